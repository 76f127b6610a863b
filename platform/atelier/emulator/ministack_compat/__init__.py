"""The only importers of MiniStack internals (pinned names, checked at use)."""
