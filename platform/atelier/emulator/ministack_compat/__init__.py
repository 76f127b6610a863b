"""The only code that reaches into MiniStack's internals: each module patches one gap."""
