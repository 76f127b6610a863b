"""Lambda behaviour the runtime adds to MiniStack: the interpreter functions run with."""
