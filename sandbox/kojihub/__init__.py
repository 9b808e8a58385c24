"""A sandbox koji hub: koji's XML-RPC API on loopback, builds that finish after a delay,
and koji-shaped bus messages. For the demo and the tests only."""

from .hub import KojiHub

__all__ = ["KojiHub"]
