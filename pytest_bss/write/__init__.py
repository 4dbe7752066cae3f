"""The write path: what every cassette goes through on its way to disk, in order.

::

    normalise → stamp → scrub credentials → personal data → volatile values → leak gate → atomic write
    (normalise) (stamp) (credentials)         (personal)      (volatile)        (leak_gate) (atomic)

Each stage is a module with one job and a function ``stage(data, context) -> data`` over
serialized cassette data (``{"version": 1, "interactions": [...]}``); :data:`STAGES` lists
them in order and :func:`write_cassette` runs them, then writes. A stage that refuses
raises a :class:`~pytest_bss.exceptions.CassetteWriteError` and nothing is written: a
cassette that was good stays good. Personal data (pseudonyms, then its own gate) comes
after the credentials, so no credential reaches a pseudonym's input, and before the volatile
values, so an interaction compares with the file on disk as it will be written.

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
from ..secret_set import NEUTRAL_BASE
from ..settings import DEFAULT_VOLATILE_HEADERS
from .atomic import write_text
from .credentials import scrub_credentials
from .leak_gate import leak_gate
from .normalise import normalise
from .personal import personal_data
from .stamp import stamp
from .volatile import volatile

if TYPE_CHECKING:
    from ..personal import PersonalPolicy, Pseudonymiser
    from ..secret_set import SecretSet

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
    #: personal data (write/personal.py); None: the stage is off
    personal: PersonalPolicy | None = None
    #: draws the pseudonyms; None: the stage only checks (nothing to key pseudonyms with)
    pseudonymiser: Pseudonymiser | None = None
    #: how many interactions, from the first, were read from the file (already written)
    loaded: int = 0


Stage = Callable[[dict[str, Any], WriteContext], dict[str, Any]]

#: The stages every cassette goes through, in order, before it is written.
STAGES: Final[tuple[Stage, ...]] = (
    normalise,
    stamp,
    scrub_credentials,
    personal_data,
    volatile,
    leak_gate,
)


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
