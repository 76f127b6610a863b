"""Cost: the workload profile priced per environment, the runtime's meter priced the same way.

Modules: :mod:`prices` (the dated price table), :mod:`profile` (topology + Terraform variables
+ workload for one environment), :mod:`usage` (billable quantities and how they are priced),
:mod:`estimate` (the profile's monthly usage), :mod:`formats` (table, JSON, Markdown, HTML),
:mod:`whatif` (compare and what-if), :mod:`infracost` (the usage file), :mod:`recommend`,
:mod:`budgets`, :mod:`replay` (a simulated week through a local runtime), :mod:`cli`.
"""
