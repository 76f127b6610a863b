"""The one description of the platform (``topology.yaml``): typed models, loader, expansion.

Usage: ``expand(load(), "local")`` gives names, routes, env vars, sizes and permissions.
"""

from atelier.topology.expander import Expansion, expand
from atelier.topology.loader import TopologyError, default_path, load, parse
from atelier.topology.models import Topology

__all__ = ["Expansion", "Topology", "TopologyError", "default_path", "expand", "load", "parse"]
