"""The structured-data pipeline: a breast-cancer classifier served over HTTP (FastAPI)."""
