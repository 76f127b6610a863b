"""The only modules that reach into MiniStack's internals."""
