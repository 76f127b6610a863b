"""The noxfile's sessions, one module per concern; ``noxfile.py`` imports them in order."""
