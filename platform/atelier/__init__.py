"""Atelier: run an ML team's whole AWS topology on one machine, ship the same code to AWS."""

__version__ = "0.1.0"
