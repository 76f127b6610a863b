"""Crash-safe state files for ``--persist``: durable atomic writes and a quarantine for files
that cannot be read (see ``docs/reliability.md``)."""
