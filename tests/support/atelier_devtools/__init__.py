"""Atelier's test and benchmark harness, shipped apart from the product.

``runtime`` starts a runtime for tests, ``sandbox`` stages a deployable copy of the repository,
``e2e`` is the laptop run (``python -m atelier_devtools.e2e``) and ``bench`` the benchmarks
(``python -m atelier_devtools.bench <group>``).
"""
