"""Signals of the child processes that tests interrupt."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """In a child (``preexec_fn``): SIGINT back to its default. A shell without job control
    starts background jobs with SIGINT ignored, and children inherit that: a test that sends
    SIGINT would then test nothing, and wait for a child that never stops."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
