"""API users of any environment's account: ``atelier users add|list|disable --env <env>``."""
