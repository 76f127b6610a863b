"""RDS on the runtime: a real PostgreSQL per CreateDBInstance (pgserver binaries)."""
