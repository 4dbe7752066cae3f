"""Stage 6 of the write path: refuse to write what still holds a credential, or can't be read.

The gate runs the scrubber's own leak check (:func:`pytest_bss.leaks.find_leaks`) over the
final data, and refuses anything that is not a plain value (the check can't read what it
doesn't know). A refusal raises a :class:`~pytest_bss.exceptions.CassetteWriteError` that
names the places, never a value, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..exceptions import CredentialLeakError, UnstorableValueError
from ..leaks import find_leaks

if TYPE_CHECKING:
    from . import WriteContext

__all__ = ["leak_gate"]

_PLAIN = (str, bytes, int, float, bool, type(None))


def _unreadable(value: Any, place: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                yield f"{place} (a {type(key).__name__} key)"
            yield from _unreadable(item, f"{place}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unreadable(item, f"{place}[{index}]")
    elif not isinstance(value, _PLAIN):
        yield f"{place} (a {type(value).__name__})"


def leak_gate(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """The stage: ``data`` unchanged, or a refusal naming every place that fails the check."""
    path = context.path
    unreadable = list(_unreadable(data.get("interactions"), "interactions"))
    if unreadable:
        raise UnstorableValueError(
            f"Refused to write cassette {path}: it would hold values the leak check cannot "
            f"read at\n  " + "\n  ".join(unreadable[:10]) + "\nThe file on disk was left as "
            "it was. Give the request plain text or bytes (README: Troubleshooting, "
            "'Refused to write cassette').",
            path=str(path),
        )
    leaks = find_leaks(data, context.secrets, neutral_base=context.neutral_base)
    if leaks:
        places = tuple(str(leak) for leak in leaks)
        shown = "\n  ".join(places[:10])
        unverifiable = [leak for leak in leaks if leak.kind.startswith("unverifiable")]
        headline = "a credential survived scrubbing at"
        if all(leak.fix for leak in leaks):
            # Each place says what to do (a short password, a body that can't be checked ...).
            advice = "Each place above names its fix."
        elif len(unverifiable) == len(leaks):
            headline = "it would hold a body the leak check cannot read, at"
            advice = (
                "A body whose Content-Encoding or charset pytest-bss cannot undo cannot be "
                "checked for credentials or personal data, so it is not stored: have the "
                "request ask for an encoding it can read (Accept-Encoding: gzip, deflate), or "
                "keep that request out of the cassette."
            )
        else:
            advice = (
                "Please report this as a pytest-bss bug (the places above are safe to share; "
                "they hold no secret)."
            )
        raise CredentialLeakError(
            f"Refused to write cassette {path}: {headline}\n  {shown}\n"
            f"The file on disk was left as it was. {advice}\n"
            "(README: Troubleshooting, 'Refused to write cassette')",
            path=str(path),
            places=places,
        )
    return data
