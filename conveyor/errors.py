"""Conveyor's error classes: one meaning per class.

The consumer boundary (``consumers.callback``) classifies every failure by
these classes, once: ``Retryable`` is retried with backoff, ``Invalid`` is
recorded and dropped, ``ConfigError`` halts the process, anything else is an
unexpected bug (recorded, dropped, the consumer keeps running).
"""


class ConveyorError(Exception):
    """Base class of every error Conveyor raises on purpose."""


class ConfigError(ConveyorError):
    """The settings are unusable; carries every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid settings:\n  " + "\n  ".join(self.problems))


class Invalid(ConveyorError):
    """A message claims a topic we handle but its body is malformed.

    Retrying cannot help: the message is recorded in ``rejected_messages``.
    """


class Retryable(ConveyorError):
    """A dependency (koji, the database, the broker) is unavailable for now."""


class IllegalTransition(ConveyorError):
    """A state machine was asked to move along an edge its table does not allow."""

    def __init__(self, kind: str, current: str, target: str):
        self.kind, self.current, self.target = kind, current, target
        super().__init__(f"{kind}: illegal transition {current} -> {target}")


class KojiError(ConveyorError):
    """Koji answered with a fault that is not about availability."""
