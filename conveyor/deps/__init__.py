"""The module knower: which module stream requires or buildrequires which, and which rpms.

``definition`` holds the plain values, ``store`` the database rows and their history,
``load`` reads modulemd files and pushes, ``graph`` answers the queries in memory.
"""

from conveyor.deps.definition import Dependency, StreamDefinition, UnknownModuleStream, split_ns
from conveyor.deps.graph import DepGraph

__all__ = ["DepGraph", "Dependency", "StreamDefinition", "UnknownModuleStream", "split_ns"]
