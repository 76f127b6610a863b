"""``atelier deploy`` / ``atelier destroy``: the topology's expansion, built on a runtime with boto3.

Layout (moto style: one module per AWS service, each with ``ensure_*`` / ``remove_*`` functions
that return a :class:`~atelier.deploy.change.Change` — created, updated, unchanged, ...):

    network     VPC, private subnets, security groups (lambda → ALB → service → RDS)
    iam         roles with inline policies; policies.py writes the least-privilege documents
    s3          buckets (encryption, public-access block, versioning, website) and site files
    dynamodb    tables (TTL)                  secrets   generated once, never printed
    rds         PostgreSQL instance            ecr       repositories
    ecs         cluster, task definitions, service      elbv2  internal ALB, IP target group
    lambda_     layer and functions (CodeSha256 of the deterministic bundles from bundle.py)
    apigateway  REST API, TOKEN authorizer, CORS, stage
    monitoring  log groups, SNS topic, alarms  users     the API user (password shown once)

Orchestration: ``plan.py`` lists the deploy steps and what each needs (``steps/foundation.py``,
``steps/compute.py``, ``steps/app.py``), ``teardown.py`` the destroy steps, ``apply.py`` runs a
plan with independent steps in parallel; ``context.py`` holds what steps share (and the few
values the expansion does not give), ``outputs.py`` writes outputs.json, ``inventory.py`` lists
what a deploy manages. The tests' sandbox and the deploy benchmark live in ``atelier_devtools``.
"""
