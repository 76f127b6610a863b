"""The only package that imports MiniStack's internals (pinned: see each module's docstring)."""
