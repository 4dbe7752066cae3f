"""The plugin's settings and the one function that merges their layers.

Precedence, lowest first: defaults < ini (``[tool.pytest.ini_options]``) <
the ``bss_vcr_config`` fixture < the ``@pytest.mark.bss`` marker < the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "DEFAULTS",
    "DEFAULT_VOLATILE_HEADERS",
    "FORMATS",
    "MARKER_KEYS",
    "RECORD_MODES",
    "Settings",
    "merge_settings",
]

#: ``none`` replays; ``rewrite`` replaces each cassette as a whole; the rest are vcrpy's.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
FORMATS = ("json", "yaml")
MARKER_KEYS = frozenset(
    {"cassette", "match_on", "allow_playback_repeats", "verify_values", "personal_data"}
)
#: vcrpy options the plugin owns; bss_vcr_config may not set them.
RESERVED_VCR_KEYS = frozenset(
    {
        "path",
        "cassette_library_dir",
        "persister",
        "serializer",
        "record_mode",
        "path_transformer",
        "func_path_generator",
        "inject_cassette",
    }
)

#: Headers whose values carry no meaning for tests (``bss_volatile_headers``): an interaction
#: that differs from the one on disk only in these keeps the values on disk (docs/cassettes.md).
#: ``Name:attribute`` names one ``;``-separated attribute of the header (a cookie's expiry).
DEFAULT_VOLATILE_HEADERS = (
    "Date",
    "Expires",
    "Last-Modified",
    "Age",
    "X-Request-Id",
    "X-Correlation-Id",
    "Request-Id",
    "X-Trace-Id",
    "traceparent",
    "tracestate",
    "X-Amzn-Trace-Id",
    "X-Amzn-RequestId",
    "X-Ms-Request-Id",
    "CF-Ray",
    "X-Runtime",
    "X-Response-Time",
    "Set-Cookie:Expires",
)
_FIELD_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_VOLATILE_ENTRY = re.compile(rf"{_FIELD_NAME}(?::{_FIELD_NAME})?")


@dataclass(frozen=True)
class Settings:
    """Everything that decides how one test's cassette is found, recorded and matched."""

    record_mode: str = "none"
    cassette_dir: str = "cassettes"
    cassette_format: str = "json"
    match_on: tuple[str, ...] = ("method", "path", "query")
    allow_playback_repeats: bool = False
    cassette: str | None = None
    volatile_headers: tuple[str, ...] = DEFAULT_VOLATILE_HEADERS
    #: JSON keys whose values --bss-verify compares (the marker's verify_values=)
    verify_values: tuple[str, ...] = ()
    #: pseudonymise personal data while recording (docs/personal-data.md)
    personal_data: bool = True
    #: ``bss_personal_fields``: more keys (``pattern`` or ``pattern:kind``)
    personal_fields: tuple[str, ...] = ()
    #: ``bss_personal_keep``: keys that are not personal data
    personal_keep: tuple[str, ...] = ()

    @property
    def recording(self) -> bool:
        """Whether this run talks to a tenant (every mode but ``none``)."""
        return self.record_mode != "none"


DEFAULTS = Settings()


def merge_settings(
    *,
    ini: Mapping[str, Any] | None = None,
    fixture: Mapping[str, Any] | None = None,
    marker: Mapping[str, Any] | None = None,
    cli: Mapping[str, Any] | None = None,
) -> Settings:
    """Apply the layers in precedence order; a layer's ``None`` values mean "not set".

    - ini may set every field but ``cassette`` (``volatile_headers``, ``personal_fields``
      and ``personal_keep`` only there; an empty ``volatile_headers`` switches the rule off);
    - the ``bss_vcr_config`` fixture may set ``match_on`` and ``allow_playback_repeats``
      (the rest of it is passed to vcrpy);
    - the marker may set ``cassette``, ``match_on``, ``allow_playback_repeats`` and
      ``personal_data``;
    - the command line sets ``record_mode`` and ``cassette_dir``.
    """
    result = DEFAULTS
    layers = (
        (
            "ini",
            ini,
            {
                "record_mode",
                "cassette_dir",
                "cassette_format",
                "match_on",
                "allow_playback_repeats",
                "volatile_headers",
                "personal_data",
                "personal_fields",
                "personal_keep",
            },
        ),
        ("bss_vcr_config", fixture, {"match_on", "allow_playback_repeats"}),
        ("marker", marker, set(MARKER_KEYS)),
        ("command line", cli, {"record_mode", "cassette_dir"}),
    )
    for _name, layer, allowed in layers:
        if not layer:
            continue
        changes = {
            key: value for key, value in layer.items() if key in allowed and value is not None
        }
        result = replace(result, **_normalize(changes))
    _validate(result)
    return result


def _normalize(changes: dict[str, Any]) -> dict[str, Any]:
    if "match_on" in changes:
        changes["match_on"] = _as_names(changes["match_on"])
    if "allow_playback_repeats" in changes:
        changes["allow_playback_repeats"] = _as_bool(changes["allow_playback_repeats"])
    if "volatile_headers" in changes:
        changes["volatile_headers"] = _as_names(changes["volatile_headers"])
    if "verify_values" in changes:
        changes["verify_values"] = _as_names(changes["verify_values"])
    if "personal_data" in changes:
        changes["personal_data"] = _as_bool(changes["personal_data"])
    for key in ("personal_fields", "personal_keep"):
        if key in changes:
            changes[key] = _as_lines(changes[key])
    return changes


def _as_lines(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.splitlines()
    return tuple(line.strip() for line in value if line.strip())


def _as_names(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return tuple(str(name) for name in value)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _validate(settings: Settings) -> None:
    if settings.record_mode not in RECORD_MODES:
        raise ValueError(
            f"bss record mode must be one of {', '.join(RECORD_MODES)}, got {settings.record_mode!r}"
        )
    if settings.cassette_format not in FORMATS:
        raise ValueError(
            f"bss_cassette_format must be one of {', '.join(FORMATS)}, got {settings.cassette_format!r}"
        )
    bad = [entry for entry in settings.volatile_headers if not _VOLATILE_ENTRY.fullmatch(entry)]
    if bad:
        raise ValueError(
            f"bss_volatile_headers takes one header name a line (or Name:attribute), got {bad[0]!r}"
        )
    if settings.personal_fields or settings.personal_keep:
        from .personal.fields import KeyRules

        KeyRules.parse(settings.personal_fields, settings.personal_keep)  # names a bad entry
    if not settings.match_on:
        raise ValueError("match_on must name at least one vcrpy matcher, e.g. method path query")
