"""API revisions: how the emulated tenant's answers change when the vendor ships a new version.

``TenantEmulator(api_revision=N)`` answers as the tenant would on a later day: revision 1
is today's API (newest version ``3.0``), and each later revision adds a newer version that
``X-Api-Version: latest`` selects, with the changes :data:`REVISIONS` lists. Requests
pinned to an older version keep its shapes, as a versioned API promises. The changes
are data, applied to the revision-1 answers by :func:`apply_drifts`, so the table is the
behaviour and ``docs/emulator.md`` ("API revisions") prints it (``pytest-bss emulator
--revisions``). The vendor publishes no later version: every drift here is invented, to
test drift detection end to end.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NEWEST_VERSIONS",
    "REVISIONS",
    "Drift",
    "DriftKind",
    "apply_drifts",
    "drifts_for",
    "revisions_markdown",
]


class DriftKind(enum.StrEnum):
    """What a drift does to an endpoint's answer."""

    FIELD_ADDED = "field added"
    FIELD_RENAMED = "field renamed"
    TYPE_CHANGED = "type changed"
    ENDPOINT_GONE = "endpoint gone"


@dataclass(frozen=True)
class Drift:
    """One change a revision makes to one endpoint's successful answer.

    ``route`` is the path as the route table shows it (``api/accounts/{id}``).
    ``json_path`` names the field in the body (``$``, ``.name``, ``[*]`` for every list
    item): where it was in the previous revision, or, for an added field, where it
    appears. ``before`` and ``after`` say what changed, by kind:

    - field added: ``before`` is empty, ``after`` the field's JSON type, ``value`` what it holds;
    - field renamed: the field's old and new name (its value is unchanged);
    - type changed: the old and new JSON type (``number`` -> ``string``: a decimal string);
    - endpoint gone: the old and new status (``json_path`` is empty).
    """

    method: str
    route: str
    kind: DriftKind
    json_path: str
    before: str
    after: str
    value: Any = None

    @property
    def endpoint(self) -> str:
        """``GET api/accounts/{id}``."""
        return f"{self.method} {self.route}"


_ADDED = DriftKind.FIELD_ADDED
_RENAMED = DriftKind.FIELD_RENAMED
_TYPE = DriftKind.TYPE_CHANGED
_GONE = DriftKind.ENDPOINT_GONE

#: Revision -> the changes it makes to the answers of the revision before it.
REVISIONS: dict[int, tuple[Drift, ...]] = {
    1: (),
    2: (
        Drift("GET", "api/accounts", _ADDED, "$.data[*].currencyCode", "", "string", "EUR"),
        Drift("GET", "api/accounts/{id}", _ADDED, "$.currencyCode", "", "string", "EUR"),
        Drift(
            "GET",
            "api/invoices",
            _RENAMED,
            "$.data[*].billingAccountId",
            "billingAccountId",
            "accountId",
        ),
        *(
            Drift("GET", "api/accounts/{id}/balance", _TYPE, f"$.{name}", "number", "string")
            for name in ("balance", "debitInvoicesTotal", "creditInvoicesTotal", "paymentsTotal")
        ),
        Drift("GET", "api/accounts/{id}/syncoptions/{system}", _GONE, "", "200", "404"),
    ),
}
#: Revision -> the ``X-Api-Version`` it added as the newest, the one ``latest`` selects.
#: Only that version answers with the revision's shapes; ``4.0`` is invented.
NEWEST_VERSIONS: dict[int, str] = {1: "3.0", 2: "4.0"}


def drifts_for(revision: int) -> tuple[Drift, ...]:
    """Every drift from revision 1 up to ``revision``, oldest first."""
    return tuple(drift for number in range(2, revision + 1) for drift in REVISIONS[number])


def apply_drifts(body: Any, drifts: Iterable[Drift]) -> Any:
    """Change a revision-1 body (parsed JSON) in place as ``drifts`` say; returns it."""
    for drift in drifts:
        *parents, name = _segments(drift.json_path)
        for holder in _holders(body, parents):
            if drift.kind is DriftKind.FIELD_ADDED:
                holder[name] = drift.value
            elif name not in holder:
                continue
            elif drift.kind is DriftKind.FIELD_RENAMED:
                items = list(holder.items())  # keep the field's place among the others
                holder.clear()
                holder.update((drift.after if key == name else key, v) for key, v in items)
            elif drift.kind is DriftKind.TYPE_CHANGED:
                holder[name] = _CONVERSIONS[drift.before, drift.after](holder[name])
    return body


def revisions_markdown() -> str:
    """:data:`REVISIONS` as a Markdown table, for ``docs/emulator.md``."""
    lines = [
        "| revision | endpoint | change | JSON path | before | after |",
        "|---|---|---|---|---|---|",
    ]
    for revision, drifts in sorted(REVISIONS.items()):
        for drift in drifts:
            after = f"`{drift.after}`"
            if drift.kind is DriftKind.FIELD_ADDED:
                after += f", e.g. `{json.dumps(drift.value)}`"
            cells = (
                str(revision),
                f"{drift.method} `{drift.route}`",
                str(drift.kind),
                f"`{drift.json_path}`" if drift.json_path else "—",
                f"`{drift.before}`" if drift.before else "(absent)",
                after,
            )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _segments(json_path: str) -> list[str]:
    if not re.fullmatch(r"\$(\.\w+|\[\*\])*", json_path):
        raise ValueError(f"unsupported JSON path {json_path!r}: use $, .name and [*]")
    return re.findall(r"\w+|\*", json_path[1:])


def _holders(value: Any, segments: list[str]) -> Iterable[dict[str, Any]]:
    if not segments:
        if isinstance(value, dict):
            yield value
    elif segments[0] == "*":
        for item in value if isinstance(value, list) else ():
            yield from _holders(item, segments[1:])
    elif isinstance(value, dict) and segments[0] in value:
        yield from _holders(value[segments[0]], segments[1:])


def _decimal_string(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return f"{value:.2f}"


_CONVERSIONS = {("number", "string"): _decimal_string}
