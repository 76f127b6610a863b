"""Benchmarks (not tests): ``python -m atelier.bench <group>`` writes ``docs/benchmarks.md``."""
