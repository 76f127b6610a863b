"""Shared inputs of the cost tests: the repository's topology and price table."""

from __future__ import annotations

import pytest

from atelier.cost.prices import PriceTable, load
from atelier.topology import Topology
from atelier.topology import load as load_topology


@pytest.fixture(scope="session")
def topology() -> Topology:
    return load_topology()


@pytest.fixture(scope="session")
def prices() -> PriceTable:
    return load()
