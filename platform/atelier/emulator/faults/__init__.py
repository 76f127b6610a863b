"""Fault injection between a Lambda or task and a dependency: a TCP proxy on loopback."""
