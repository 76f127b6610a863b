"""The only package that imports MiniStack's internals."""
