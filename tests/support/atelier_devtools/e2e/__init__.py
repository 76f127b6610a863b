"""`nox -s e2e`: from nothing to all three pipelines proven through the API and the browser."""
