"""Conveyor: automation for a Fedora-style package pipeline."""

__version__ = "0.1.0"
