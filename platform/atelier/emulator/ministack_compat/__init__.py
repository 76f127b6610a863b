"""The only modules that import MiniStack's internals (pinned: see each module's docstring)."""
