"""Every route through API Gateway on one deployed, seeded stack (a package, so that the stack
is deployed once for all its modules: pytest scopes ``package`` fixtures to a directory only
when it holds this file)."""
