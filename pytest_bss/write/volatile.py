"""Stage 5 of the write path: values that change on every request make no diff.

A server stamps each answer with values that mean nothing to a test: ``Date``, request and
trace ids, a cookie's expiry (``bss_volatile_headers``, defaults in
:data:`~pytest_bss.settings.DEFAULT_VOLATILE_HEADERS`). Each entry names a header (its
whole value is volatile) or ``Name:attribute``, one ``;``-separated attribute of it
(``Set-Cookie:Expires``). Header names and attributes compare case-insensitively; the
rule applies to request and response headers alike.

The rule: an interaction that equals one in the file on disk in everything but volatile
values is written with the values on disk, so it comes out byte for byte as it was. An
interaction that changed in anything else keeps its new values: they are real. New and
recorded interactions are paired in order among those that are equal once the volatile
values are masked (the first new one with the first recorded one, and so on), wherever they
sit, so one added interaction does not disturb the others.

The file compared with is the cassette as it was before this run first rewrote it
(``context.baseline``: with a shared cassette, later writers in the run, xdist workers
included, compare with the same file), else the file at ``context.path``. A file that is
missing or can't be read leaves the new values as they are.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import CassetteError
from .normalise import normalise

if TYPE_CHECKING:
    from . import WriteContext

__all__ = ["VolatileRule", "keep_recorded_values", "masked", "parse_rules", "volatile"]

# Header values cannot hold a NUL, so no real value equals the mask.
_MASK = "\x00volatile"


@dataclass(frozen=True)
class VolatileRule:
    """One ``bss_volatile_headers`` entry: a header, or one attribute of it (lower case)."""

    header: str
    attribute: str | None = None

    @classmethod
    def parse(cls, entry: str) -> VolatileRule:
        """``"Date"`` → the whole header; ``"Set-Cookie:Expires"`` → one attribute."""
        header, _, attribute = entry.strip().partition(":")
        return cls(header.strip().lower(), attribute.strip().lower() or None)

    def mask(self, value: str) -> str:
        """``value`` with what this rule calls volatile replaced by a fixed mask."""
        if self.attribute is None:
            return _MASK
        parts = value.split(";")
        for index, part in enumerate(parts):
            name, equals, _ = part.partition("=")
            if equals and name.strip().lower() == self.attribute:
                parts[index] = f"{name}={_MASK}"
        return ";".join(parts)


def parse_rules(entries: Iterable[str]) -> tuple[VolatileRule, ...]:
    """The rules of ``bss_volatile_headers`` entries (blank entries are skipped)."""
    return tuple(VolatileRule.parse(entry) for entry in entries if entry.strip())


def _rules_by_header(rules: Sequence[VolatileRule]) -> dict[str, list[VolatileRule]]:
    by_header: dict[str, list[VolatileRule]] = defaultdict(list)
    for rule in rules:
        by_header[rule.header].append(rule)
    return by_header


def _masked_headers(headers: Mapping[str, Any], by_header: Mapping[str, list[VolatileRule]]) -> Any:
    out = []
    for name, values in headers.items():
        items = list(values) if isinstance(values, list | tuple) else [values]
        for rule in by_header.get(str(name).lower(), ()):
            items = [rule.mask(value) if isinstance(value, str) else value for value in items]
        out.append((name, _frozen(items)))
    return tuple(sorted(out, key=lambda item: str(item[0])))


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted(((str(k), _frozen(v)) for k, v in value.items()), key=_first))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")  # the file holds such a body as text
        except UnicodeDecodeError:
            return value
    return value


def _first(item: tuple[str, Any]) -> str:
    return item[0]


def masked(interaction: Mapping[str, Any], rules: Sequence[VolatileRule]) -> Any:
    """A hashable form of ``interaction`` with its volatile values masked.

    Two interactions with equal masked forms differ in volatile values at most. Header
    order does not count (so files written before headers were sorted still compare).
    """
    by_header = _rules_by_header(rules)
    parts = []
    for side in ("request", "response"):
        message = interaction.get(side) or {}
        fields = tuple(
            (key, _masked_headers(value, by_header) if key == "headers" else _frozen(value))
            for key, value in sorted(message.items(), key=_first)
            if not (key == "headers" and not isinstance(value, Mapping))
        )
        parts.append((side, fields))
    return tuple(parts)


def _with_values_of(
    new: dict[str, Any], old: Mapping[str, Any], headers: set[str]
) -> dict[str, Any]:
    out = dict(new)
    for side in ("request", "response"):
        message = dict(new[side])
        old_headers = old[side].get("headers") or {}
        message["headers"] = {
            name: list(old_headers.get(name, values)) if name.lower() in headers else values
            for name, values in (message.get("headers") or {}).items()
        }
        out[side] = message
    return out


def keep_recorded_values(
    new: Sequence[dict[str, Any]],
    recorded: Sequence[Mapping[str, Any]],
    rules: Sequence[VolatileRule],
) -> list[dict[str, Any]]:
    """``new`` interactions, each that matches a ``recorded`` one (see the module) with its values.

    Both sides are normalised interactions (headers ``{name: [value, ...]}``).
    """
    if not rules or not recorded:
        return list(new)
    waiting: dict[Any, deque[Mapping[str, Any]]] = defaultdict(deque)
    for interaction in recorded:
        waiting[masked(interaction, rules)].append(interaction)
    headers = {rule.header for rule in rules}
    out = []
    for interaction in new:
        queue = waiting.get(masked(interaction, rules))
        if queue:
            interaction = _with_values_of(interaction, queue.popleft(), headers)
        out.append(interaction)
    return out


def _recorded(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    from ..cassettes import load_cassette_data

    try:
        data = normalise(load_cassette_data(path))
    except (OSError, CassetteError):  # missing, unreadable, corrupt: nothing to keep
        return []
    return list(data["interactions"])


def volatile(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """The stage: unchanged interactions keep the volatile values of the file on disk."""
    rules = parse_rules(context.volatile_headers)
    if not rules or not data.get("interactions"):
        return data
    source = context.baseline if context.baseline is not None else context.path
    recorded = _recorded(source)
    if not recorded:
        return data
    return {**data, "interactions": keep_recorded_values(data["interactions"], recorded, rules)}
