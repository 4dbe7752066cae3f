"""How old a cassette is: the recording date of each interaction, and ``bss_max_age``.

Every interaction a recording writes carries ``recorded_at``, the UTC date it was recorded
(a date, not a time: a time would change every file on every recording, and re-recording
unchanged traffic on the same day must leave no diff), and ``api_version``: the
``X-Api-Version`` the request sent and, when the tenant names one, the version it reports.

In replay, a cassette's age is the age of its oldest interaction, counted from the start
of that UTC day; a cassette without dates (written before pytest-bss 0.2, or by another
tool) has an unknown age and counts as stale once ``bss_max_age`` is set.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "ON_STALE",
    "Stale",
    "api_version",
    "oldest_recording",
    "parse_duration",
    "today",
]

#: What ``bss_on_stale`` may say.
ON_STALE: Final = ("warn", "fail")
_DURATION: Final = re.compile(r"\s*(\d+)\s*([dhms])\s*")
_UNITS: Final = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
#: Response headers in which a tenant may name the API version that answered.
REPORTED_VERSION_HEADERS: Final = ("x-api-version", "api-version")


def parse_duration(text: str) -> dt.timedelta:
    """``"90d"``, ``"12h"``, ``"30m"``, ``"45s"`` as a :class:`datetime.timedelta`.

    Raises :class:`ValueError` naming the accepted forms.
    """
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(
            f"bss_max_age takes a number and a unit: 90d, 12h, 30m or 45s; got {text!r}"
        )
    return dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def today() -> str:
    """Today's UTC date, as a recording stamps it."""
    return dt.datetime.now(dt.UTC).date().isoformat()


def _header(headers: Any, names: Iterable[str]) -> str | None:
    if not isinstance(headers, Mapping):
        return None
    wanted = set(names)
    for name, values in headers.items():
        if str(name).lower() in wanted:
            value = values[0] if isinstance(values, list | tuple) and values else values
            return str(value) if value not in (None, [], "") else None
    return None


def api_version(interaction: Mapping[str, Any]) -> dict[str, str]:
    """``{"sent": ..., "reported": ...}`` for one interaction (keys only when known)."""
    out = {}
    sent = _header(interaction.get("request", {}).get("headers"), ("x-api-version",))
    reported = _header(interaction.get("response", {}).get("headers"), REPORTED_VERSION_HEADERS)
    if sent:
        out["sent"] = sent
    if reported:
        out["reported"] = reported
    return out


def oldest_recording(interactions: Iterable[Mapping[str, Any]]) -> dt.date | None:
    """The oldest ``recorded_at`` date; ``None`` if an interaction has none (age unknown)."""
    dates = []
    for interaction in interactions:
        try:
            dates.append(dt.date.fromisoformat(str(interaction["recorded_at"])))
        except (KeyError, ValueError):
            return None
    return min(dates) if dates else None


class Stale:
    """A cassette older than ``bss_max_age`` (or of unknown age), for the end-of-run list."""

    def __init__(self, path: str, recorded: dt.date | None, nodeid: str) -> None:
        self.path = path
        self.recorded = recorded
        self.nodeid = nodeid
        #: every test that used the cassette (a shared one is re-recorded with all of them)
        self.nodeids = [nodeid] if nodeid else []

    def describe(self, now: dt.datetime | None = None, *, shown: str | None = None) -> str:
        """``cassettes/x.json: recorded 2026-08-01 (123 days ago); re-record: pytest ...``.

        ``shown``: how to name the file (default: its path as given).
        """
        if self.recorded is None:
            when = "of unknown age (no recording dates: recorded before pytest-bss 0.2?)"
        else:
            now = now or dt.datetime.now(dt.UTC)
            days = (now.date() - self.recorded).days
            when = f"recorded {self.recorded.isoformat()} ({days} day{'s' * (days != 1)} ago)"
        tests = " ".join(f"'{nodeid}'" for nodeid in sorted(set(self.nodeids)))
        command = f"pytest --bss-record {tests}".rstrip()
        return f"{shown or self.path}: {when}; re-record: {command}"

    def as_tuple(self) -> tuple[str, str | None, str]:
        return (self.path, self.recorded.isoformat() if self.recorded else None, self.nodeid)

    @classmethod
    def from_tuple(cls, item: Iterable[Any]) -> Stale:
        path, recorded, nodeid = item
        return cls(path, dt.date.fromisoformat(recorded) if recorded else None, nodeid)


def is_stale(
    recorded: dt.date | None, max_age: dt.timedelta, now: dt.datetime | None = None
) -> bool:
    """Whether a cassette recorded on ``recorded`` (``None``: unknown) is older than ``max_age``."""
    if recorded is None:
        return True
    now = now or dt.datetime.now(dt.UTC)
    start = dt.datetime.combine(recorded, dt.time(), tzinfo=dt.UTC)
    return now - start > max_age
