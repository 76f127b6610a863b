"""Benchmarks (not tests): ``python -m atelier_devtools.bench <group>`` writes ``docs/benchmarks.md``."""
