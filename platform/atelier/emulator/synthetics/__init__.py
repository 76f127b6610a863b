"""CloudWatch Synthetics in the runtime: the canary API, and canaries that run on their schedule.

``models`` holds the canaries and their runs, ``responses`` routes the ``synthetics`` REST API,
``runner`` runs started canaries on the runtime's clock, ``invoke`` runs one canary's handler
as a Lambda-like process (its zip, its execution role's session, its environment variables).
"""
