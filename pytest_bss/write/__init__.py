"""The write path: what every cassette goes through on its way to disk, in order.

::

    normalise  →  scrub credentials  →  leak gate  →  atomic write
    (normalise)   (credentials)         (leak_gate)   (atomic)

Each stage is a module with one job and a function ``stage(data, context) -> data`` over
serialized cassette data (``{"version": 1, "interactions": [...]}``); :data:`STAGES` lists
them in order and :func:`write_cassette` runs them, then writes. A stage that refuses
raises a :class:`~pytest_bss.exceptions.CassetteWriteError` and nothing is written: a
cassette that was good stays good. Stages planned next (personal data, volatile values)
slot in between the credentials and the leak gate without touching the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..scrub import NEUTRAL_BASE
from .atomic import write_text
from .credentials import scrub_credentials
from .leak_gate import leak_gate
from .normalise import normalise

if TYPE_CHECKING:
    from ..scrub import SecretSet

__all__ = ["STAGES", "Stage", "WriteContext", "prepare", "write_cassette"]


@dataclass
class WriteContext:
    """What the stages of one write share: the destination and the run's known secrets."""

    path: Path
    secrets: SecretSet
    base_urls: tuple[str, ...] = ()
    neutral_base: str = NEUTRAL_BASE
    #: values the credentials stage replaced
    replaced: int = 0


Stage = Callable[[dict[str, Any], WriteContext], dict[str, Any]]

#: The stages every cassette goes through, in order, before it is written.
STAGES: Final[tuple[Stage, ...]] = (normalise, scrub_credentials, leak_gate)


def prepare(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """Run every stage over ``data``; what comes out is what the file will hold."""
    for stage in STAGES:
        data = stage(data, context)
    return data


def write_cassette(data: dict[str, Any], context: WriteContext) -> str:
    """Run the stages, then write ``context.path`` atomically; return the text written."""
    return write_text(context.path, prepare(data, context))
