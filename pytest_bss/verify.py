"""``pytest --bss-verify``: compare what the tenant answers now with what the cassettes hold.

The suite runs live, as when recording, but nothing is written. Each live response is
paired with the interaction replay would have given the same request (method, path and
query, in order) and compared by what a client depends on:

* the status code and the media type;
* the **shape** of a JSON body: keys added or removed, a value whose type changed
  (``number`` → ``string``), the shape of list elements (``$.data[*].accountId``); values
  are ignored except under the keys a test names with
  ``@pytest.mark.bss(verify_values=["status"])``;
* a request the cassette does not hold, and a recorded one the test no longer makes.

:class:`Drift` is one difference; :func:`compare` finds them; :func:`write_report` writes
the JSON report and a self-contained HTML page (with a bar chart of drift per endpoint).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "SAFE_METHODS",
    "CassetteDrift",
    "Drift",
    "compare",
    "endpoint",
    "shape_drift",
    "write_report",
]

#: Methods ``--bss-verify`` sends without ``--bss-verify-writes``: they change nothing.
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_ID_SEGMENT: Final = re.compile(r"^(?:\d+|[0-9a-fA-F-]{32,36})$")


@dataclass(frozen=True)
class Drift:
    """One difference between a recorded interaction and the live answer."""

    endpoint: str  # "GET /api/accounts/{id}"
    kind: str  # status, content type, field added, field removed, type changed, ...
    path: str = ""  # a JSON path, "$.data[*].accountId"
    detail: str = ""  # "200 → 404", "number → string"

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.endpoint}: {self.kind}{where}{detail}"


@dataclass
class CassetteDrift:
    """What verifying one test's cassette found."""

    cassette: str
    test: str
    checked: int  # live responses compared
    drift: list[Drift] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "drift": [asdict(d) for d in self.drift]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CassetteDrift:
        return cls(
            str(data["cassette"]),
            str(data["test"]),
            int(data["checked"]),
            [Drift(**d) for d in data.get("drift", ())],
        )


# --- pairing ------------------------------------------------------------------------------


def endpoint(method: str, path: str) -> str:
    """``GET /api/accounts/{id}``: ids in the path become ``{id}``, so endpoints group."""
    segments = [("{id}" if _ID_SEGMENT.match(s) else s) for s in path.split("/")]
    return f"{method.upper()} {'/'.join(segments) or '/'}"


def _key(method: str, uri: str, base: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """(method, path below the base URL, sorted query) of a request."""
    parts = urlsplit(uri)
    base_path = urlsplit(base).path if base else "/"
    path = parts.path
    if base_path and path.startswith(base_path.rstrip("/") + "/"):
        path = path[len(base_path.rstrip("/")) :]
    return (
        method.upper(),
        path or "/",
        tuple(sorted(parse_qsl(parts.query, keep_blank_values=True))),
    )


# --- bodies -------------------------------------------------------------------------------


def _media_type(headers: Mapping[str, Any]) -> str:
    for name, values in headers.items():
        if str(name).lower() == "content-type":
            value = values[0] if isinstance(values, list | tuple) and values else values
            return str(value or "").split(";", 1)[0].strip().lower()
    return ""


def _json_body(response: Mapping[str, Any]) -> Any:
    body = response.get("body")
    if isinstance(body, Mapping):
        body = body.get("string")
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return _NOT_JSON
    if not isinstance(body, str) or not body.strip():
        return _NOT_JSON
    try:
        return json.loads(body.lstrip("\ufeff"))
    except ValueError:
        return _NOT_JSON


_NOT_JSON: Final = object()


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _merged(items: Sequence[Any]) -> Any:
    """One value standing for every element of a list: objects' keys united, the first
    value of each; a scalar list by its first element."""
    objects = [item for item in items if isinstance(item, dict)]
    if objects and len(objects) == len(items):
        merged: dict[str, Any] = {}
        for item in objects:
            for key, value in item.items():
                merged.setdefault(key, value)
        return merged
    return items[0]


def shape_drift(
    old: Any, new: Any, path: str = "$", values: frozenset[str] = frozenset()
) -> Iterator[tuple[str, str, str]]:
    """(kind, JSON path, detail) of every shape difference from ``old`` to ``new``.

    Values are compared only under keys named in ``values``.
    """
    old_type, new_type = _type(old), _type(new)
    if old_type != new_type:
        yield "type changed", path, f"{old_type} → {new_type}"
        return
    if isinstance(old, dict):
        added, removed = sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())
        if len(added) == len(removed) == 1 and _type(new[added[0]]) == _type(old[removed[0]]):
            # one key gone and one of the same type come: most likely a rename
            yield "field renamed", f"{path}.{removed[0]}", f"→ {added[0]} ({_type(new[added[0]])})"
            added = removed = []
        for key in added:
            yield "field added", f"{path}.{key}", _type(new[key])
        for key in removed:
            yield "field removed", f"{path}.{key}", _type(old[key])
        for key in sorted(old.keys() & new.keys()):
            child = f"{path}.{key}"
            if key in values and _type(old[key]) != "object" and old[key] != new[key]:
                yield "value changed", child, f"{_short(old[key])} → {_short(new[key])}"
            else:
                yield from shape_drift(old[key], new[key], child, values)
    elif isinstance(old, list) and old and new:
        yield from shape_drift(_merged(old), _merged(new), f"{path}[*]", values)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(
    recorded: Sequence[tuple[Any, Mapping[str, Any]]],
    live: Sequence[tuple[Any, Mapping[str, Any]]],
    *,
    recorded_base: str,
    live_base: str,
    values: Iterable[str] = (),
) -> list[Drift]:
    """Every drift between the ``recorded`` interactions and the ``live`` ones.

    Both are (vcrpy Request, serialized response) pairs; requests pair by method, path
    below their base URL and query, in order.
    """
    names = frozenset(values)
    waiting: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for request, response in recorded:
        waiting.setdefault(_key(request.method, request.uri, recorded_base), []).append(response)
    found: dict[Drift, None] = {}
    for request, response in live:
        key = _key(request.method, request.uri, live_base)
        where = endpoint(key[0], key[1])
        queue = waiting.get(key)
        if not queue:
            found[Drift(where, "not recorded", "", "the cassette has no such request")] = None
            continue
        old = queue.pop(0)
        for drift in _response_drift(where, old, response, names):
            found[drift] = None
    for (method, path, _), left in waiting.items():
        for _ in left:
            found[Drift(endpoint(method, path), "not requested", "", "recorded, not sent")] = None
    return list(found)


def _status(response: Mapping[str, Any]) -> int | None:
    status = response.get("status")
    code = status.get("code") if isinstance(status, Mapping) else status
    return code if isinstance(code, int) else None


def _response_drift(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any], values: frozenset[str]
) -> Iterator[Drift]:
    if _status(old) != _status(new):
        yield Drift(where, "status", "", f"{_status(old)} → {_status(new)}")
        return  # an error body's shape says nothing about the resource's
    old_type, new_type = (
        _media_type(old.get("headers") or {}),
        _media_type(new.get("headers") or {}),
    )
    if old_type != new_type:
        yield Drift(where, "content type", "", f"{old_type or 'none'} → {new_type or 'none'}")
        return
    old_json, new_json = _json_body(old), _json_body(new)
    if old_json is _NOT_JSON or new_json is _NOT_JSON:
        return
    for kind, path, detail in shape_drift(old_json, new_json, values=values):
        yield Drift(where, kind, path, detail)


# --- report -------------------------------------------------------------------------------


def summary_lines(results: Sequence[CassetteDrift], *, most: int = 10) -> list[str]:
    """The terminal's account of a verify run."""
    drifted = [r for r in results if r.drift]
    lines = [
        f"pytest-bss verify: {len(results)} cassette{'s' * (len(results) != 1)} checked "
        f"against the tenant, {len(drifted)} with drift; nothing was written"
    ]
    for result in drifted:
        lines.append(f"  {result.cassette} ({result.test}):")
        lines += [f"    {drift}" for drift in result.drift[:most]]
        if len(result.drift) > most:
            lines.append(f"    … {len(result.drift) - most} more (--bss-verify-report)")
    return lines


def report_paths(target: Path) -> tuple[Path, Path]:
    """``drift`` / ``drift.json`` / ``drift.html`` → (``drift.json``, ``drift.html``)."""
    base = target.with_suffix("") if target.suffix in (".json", ".html") else target
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".html")


def write_report(target: Path, results: Sequence[CassetteDrift], *, tenant: str) -> list[Path]:
    """Write the JSON report and the HTML page; return their paths.

    The plugin redacts ``results`` first (a path segment or a named value might hold a
    known credential), as data, so that both files are redacted alike.
    """
    json_path, html_path = report_paths(target)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "tenant": tenant,
        "cassettes": len(results),
        "with_drift": sum(bool(r.drift) for r in results),
        "results": [r.as_dict() for r in results],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    json_path.write_text(text, encoding="utf-8")
    html_path.write_text(render_html(results, tenant=tenant), encoding="utf-8")
    return [json_path, html_path]


_STYLE: Final = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-size:.95em}.ok{color:#2a7a2a}.drift{color:#b3261e}
svg text{font:12px system-ui,sans-serif}
"""


def _chart(results: Sequence[CassetteDrift]) -> str:
    counts = Counter(d.endpoint for r in results for d in r.drift)
    if not counts:
        return "<p class='ok'>No drift: every live answer has the recorded shape.</p>"
    rows = counts.most_common()
    width, bar_left, row = 720, 320, 22
    top = max(counts.values())
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{row * len(rows) + 10}'"
        " role='img' aria-label='drift per endpoint'>"
    ]
    for index, (name, count) in enumerate(rows):
        y = 5 + index * row
        length = max(2, int((width - bar_left - 40) * count / top))
        parts.append(f"<text x='0' y='{y + 14}'>{html.escape(name)}</text>")
        parts.append(
            f"<rect x='{bar_left}' y='{y + 3}' width='{length}' height='{row - 8}' fill='#b3261e'/>"
        )
        parts.append(f"<text x='{bar_left + length + 6}' y='{y + 14}'>{count}</text>")
    parts.append("</svg>")
    return "".join(parts)


def render_html(results: Sequence[CassetteDrift], *, tenant: str) -> str:
    """A self-contained page: the chart, then one table per cassette with drift."""
    esc = html.escape
    drifted = [r for r in results if r.drift]
    body = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>pytest-bss drift report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>pytest-bss drift report</h1>",
        f"<p>Tenant <code>{esc(tenant)}</code>: {len(results)} cassettes checked, "
        f"<span class='{'drift' if drifted else 'ok'}'>{len(drifted)} with drift</span>.</p>",
        "<h2>Drift per endpoint</h2>",
        _chart(results),
    ]
    for result in drifted:
        body.append(f"<h2><code>{esc(result.cassette)}</code></h2>")
        body.append(f"<p>Test <code>{esc(result.test)}</code>, {result.checked} answers.</p>")
        body.append("<table><tr><th>endpoint</th><th>change</th><th>where</th><th>detail</th></tr>")
        for drift in result.drift:
            body.append(
                f"<tr><td><code>{esc(drift.endpoint)}</code></td><td>{esc(drift.kind)}</td>"
                f"<td><code>{esc(drift.path)}</code></td><td>{esc(drift.detail)}</td></tr>"
            )
        body.append("</table>")
    body.append("</body></html>\n")
    return "\n".join(body)
