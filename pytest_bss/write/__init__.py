"""The write path: what every cassette goes through on its way to disk, in order.

::

    normalise  →  stamp  →  scrub credentials  →  volatile values  →  leak gate  →  atomic write
    (normalise)   (stamp)   (credentials)         (volatile)          (leak_gate)   (atomic)

Each stage is a module with one job and a function ``stage(data, context) -> data`` over
serialized cassette data (``{"version": 1, "interactions": [...]}``); :data:`STAGES` lists
them in order and :func:`write_cassette` runs them, then writes. A stage that refuses
raises a :class:`~pytest_bss.exceptions.CassetteWriteError` and nothing is written: a
cassette that was good stays good. The stage planned next (personal data) slots in between
the credentials and the volatile values without touching the others.

The same traffic gives the same file: normalise sorts headers, the volatile stage keeps
the recorded values of interactions that did not change, and the atomic write leaves a
file whose text would not change alone (docs/cassettes.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..age import today
from ..scrub import NEUTRAL_BASE
from ..settings import DEFAULT_VOLATILE_HEADERS
from .atomic import write_text
from .credentials import scrub_credentials
from .leak_gate import leak_gate
from .normalise import normalise
from .stamp import stamp
from .volatile import volatile

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
    #: ``bss_volatile_headers`` entries (see :mod:`.volatile`)
    volatile_headers: tuple[str, ...] = DEFAULT_VOLATILE_HEADERS
    #: the cassette as it was before this run first rewrote it; None: ``path`` as it is
    baseline: Path | None = None
    #: values the credentials stage replaced
    replaced: int = 0
    #: the UTC date new interactions are stamped with (write/stamp.py)
    recorded_on: str = field(default_factory=today)


Stage = Callable[[dict[str, Any], WriteContext], dict[str, Any]]

#: The stages every cassette goes through, in order, before it is written.
STAGES: Final[tuple[Stage, ...]] = (normalise, stamp, scrub_credentials, volatile, leak_gate)


def prepare(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """Run every stage over ``data``; what comes out is what the file will hold."""
    for stage in STAGES:
        data = stage(data, context)
    return data


def write_cassette(data: dict[str, Any], context: WriteContext) -> str:
    """Run the stages, then write ``context.path`` atomically; return the file's text.

    A file that already holds exactly that text is left alone (its mtime too).
    """
    return write_text(context.path, prepare(data, context))
