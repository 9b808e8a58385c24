"""Koji's fault classes, as the hub reports them over XML-RPC.

The codes match ``koji.GenericError`` and its subclasses, so the real
``koji.ClientSession`` turns the faults back into the same exceptions.
"""

from __future__ import annotations


class GenericError(Exception):
    """Base fault; ``str(exc)`` is the faultString sent to the client."""

    fault_code = 1000


class TagError(GenericError):
    fault_code = 1003


class ActionNotAllowed(GenericError):
    fault_code = 1004


class BuildError(GenericError):
    fault_code = 1005


class ParameterError(GenericError):
    fault_code = 1019


class StoredFault(GenericError):
    """A fault recorded earlier (a failed task) and raised again with its own code."""

    def __init__(self, fault_code: int, message: str) -> None:
        super().__init__(message)
        self.fault_code = fault_code
