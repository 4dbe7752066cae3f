"""Review a cassette: a readable transcript, and what changed between two versions of it.

Pure functions over the vcrpy model :func:`pytest_bss.formats.read_cassette` gives
(``{"version": 1, "interactions": [...]}``), behind ``pytest-bss show`` and ``pytest-bss
diff`` (docs/cassettes.md, "Reviewing a diff"):

* :func:`transcript` prints every interaction as an HTTP exchange: a line
  ``#0  GET /api/accounts/1001  →  200 OK``, the request (``>``) and the response (``<``)
  with their headers and bodies; JSON pretty-printed with its keys in file order, binary
  bodies as ``<N bytes, content-type>``, long bodies trimmed.
* :func:`semantic_diff` pairs the interactions of two cassettes by method, path and query
  (duplicates in order) and lists each :class:`Change`: interactions added or removed,
  status, content type, headers (not the volatile ones, see
  :mod:`pytest_bss.write.volatile`) and, for JSON bodies, each field added, removed or
  changed with its JSON path. A change repeated across the items of a list is one line
  (``$.data[*].status``); many different changes under one path are summarised.

:func:`redacted` is what the command runs before either: the plugin's scrubber over the
whole cassette, so a credential a foreign cassette still holds is never printed.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlsplit

from .decoding import body_text, decode_message, header, media_type, message_body
from .settings import DEFAULT_VOLATILE_HEADERS

if TYPE_CHECKING:
    from .secret_set import SecretSet

__all__ = [
    "DEFAULT_MAX_BODY",
    "EMPTY_CASSETTE",
    "Change",
    "interaction_key",
    "redacted",
    "semantic_diff",
    "transcript",
]

#: Lines of a body ``pytest-bss show`` prints before ``… (N more lines)``.
DEFAULT_MAX_BODY: Final = 40
#: A cassette without interactions: the other side of a file added or deleted.
EMPTY_CASSETTE: Final[Mapping[str, Any]] = {"version": 1, "interactions": []}
#: Characters of one body line kept when bodies are trimmed.
_MAX_LINE: Final = 400
#: Characters of a value shown in a change before it is cut.
_MAX_VALUE: Final = 60
#: Different changes under one list path listed one by one before they are summarised.
_MAX_VARIANTS: Final = 3
#: Follows from the body (the body's change is reported); ``Content-Type`` has its own line.
_NOT_COMPARED: Final = frozenset({"content-length", "content-type"})


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One semantic difference between two cassettes.

    ``where`` is empty for a whole interaction (``kind`` ``added`` or ``removed``), else
    the place: ``response.status``, ``response.content-type``, ``request.header NAME``,
    ``response.body`` or ``response.body $.json.path``. ``kind`` is ``added``,
    ``removed``, ``changed`` or ``summary`` (many changes in one line, said by ``note``).
    ``old`` and ``new`` are JSON values (``None`` on the side that has none); ``note``
    adds what the values do not say (``in 12 items``).
    """

    interaction: str
    index: int
    where: str
    kind: str
    old: Any = None
    new: Any = None
    note: str = ""

    def __str__(self) -> str:
        head = f"#{self.index}  {self.interaction}"
        if not self.where:
            return f"{head}  {self.kind} ({self.note})" if self.note else f"{head}  {self.kind}"
        if self.kind == "summary":
            text = self.note
        else:
            # JSON values in JSON notation; a status or a header as it is written
            quoted = " $" in self.where
            text = _describe(self.kind, self.old, self.new, quoted=quoted)
            if self.note:
                text += f" ({self.note})"
        return f"{head}  {self.where}: {text}"

    def as_dict(self) -> dict[str, Any]:
        """The change for ``--format json``."""
        return {
            "interaction": self.interaction,
            "index": self.index,
            "where": self.where,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "note": self.note,
            "text": str(self),
        }


def redacted(data: Mapping[str, Any], secrets: SecretSet) -> dict[str, Any]:
    """``data`` through the plugin's scrubber, bodies decoded: safe to print.

    A cassette pytest-bss wrote holds placeholders already and comes out unchanged; one
    written by another tool may not, and its credentials are replaced here for display.
    """
    from .audit import plain_bodies
    from .scrub import scrub_interactions

    return scrub_interactions(plain_bodies(data), secrets)[0]


# --- transcript -----------------------------------------------------------------------------


def transcript(data: Mapping[str, Any], *, max_body: int | None = DEFAULT_MAX_BODY) -> str:
    """``data`` as an HTTP transcript; ``max_body`` lines of each body (``None``: all)."""
    blocks = []
    for index, interaction in enumerate(_interactions(data)):
        request = decode_message(interaction.get("request") or {}, is_request=True)
        response = decode_message(interaction.get("response") or {}, is_request=False)
        uri = str(request.get("uri") or "")
        lines = [f"#{index}  {_request_line(request)}  →  {_status(response)}"]
        lines.append(f"> {request.get('method') or '?'} {uri}")
        lines += _message_lines(">", request, is_request=True, max_body=max_body)
        lines.append(f"< {_status(response)}")
        lines += _message_lines("<", response, is_request=False, max_body=max_body)
        blocks.append("\n".join(lines))
    if not blocks:
        return "(no interactions)\n"
    return "\n\n".join(blocks) + "\n"


def _interactions(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = data.get("interactions") or []
    return [item for item in items if isinstance(item, Mapping)]


def _request_line(request: Mapping[str, Any]) -> str:
    method = str(request.get("method") or "?").upper()
    parts = urlsplit(str(request.get("uri") or ""))
    return f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def _status(response: Mapping[str, Any]) -> str:
    status = response.get("status")
    if not isinstance(status, Mapping):
        return str(status) if status is not None else "(no status)"
    return f"{status.get('code', '?')} {status.get('message') or ''}".rstrip()


def _message_lines(
    mark: str, message: Mapping[str, Any], *, is_request: bool, max_body: int | None
) -> list[str]:
    headers = message.get("headers")
    headers = headers if isinstance(headers, Mapping) else {}
    lines = [f"{mark} {name}: {value}" for name, value in _header_items(headers)]
    body = _body_lines(message_body(message, is_request=is_request), headers, max_body)
    if body:
        lines.append(mark)
        lines += [f"{mark} {line}".rstrip() for line in body]
    return lines


def _header_items(headers: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, values in headers.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            yield str(name), str(value)


def _body_lines(body: Any, headers: Mapping[str, Any], max_body: int | None) -> list[str]:
    kind, value = _body_value(body, headers)
    if kind == "none":
        return []
    if kind == "bytes":
        return [f"<{len(value)} bytes, {media_type(headers)[0] or 'no content type'}>"]
    text = json.dumps(value, indent=2, ensure_ascii=False) if kind == "json" else value
    lines = text.splitlines()
    if max_body is None:
        return lines
    out = [_cut_line(line) for line in lines[:max_body]]
    if len(lines) > max_body:
        out.append(f"… ({len(lines) - max_body} more lines)")
    return out


def _cut_line(line: str) -> str:
    if len(line) <= _MAX_LINE:
        return line
    return f"{line[:_MAX_LINE]}… ({len(line) - _MAX_LINE} more characters)"


def _body_value(body: Any, headers: Mapping[str, Any]) -> tuple[str, Any]:
    """("none", None), ("json", document), ("text", str) or ("bytes", bytes)."""
    if body is None or body == "" or body == b"":
        return "none", None
    if isinstance(body, bytes | bytearray):
        text = body_text(body, headers)
        if text is None:
            return "bytes", bytes(body)
        body = text.text
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False, default=str)
    if body.lstrip()[:1] in ("{", "["):
        try:
            return "json", json.loads(body)
        except (ValueError, RecursionError):
            pass
    return "text", body


# --- diff -----------------------------------------------------------------------------------


def interaction_key(request: Mapping[str, Any]) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """(method, path, sorted query pairs): how the interactions of two cassettes pair up."""
    parts = urlsplit(str(request.get("uri") or ""))
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return str(request.get("method") or "").upper(), parts.path or "/", query


def semantic_diff(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    volatile: Sequence[str] = DEFAULT_VOLATILE_HEADERS,
) -> list[Change]:
    """What changed from cassette ``old`` to cassette ``new``, in the order of ``new``.

    ``volatile``: ``bss_volatile_headers`` entries whose values are not compared (a
    header, or ``Name:attribute``); ``()`` compares every header.
    """
    from .write.volatile import parse_rules

    rules = parse_rules(volatile)
    ignored = {rule.header for rule in rules if rule.attribute is None}
    attributes = [rule for rule in rules if rule.attribute is not None]
    olds = [_decoded(item) for item in _interactions(old)]
    news = [_decoded(item) for item in _interactions(new)]

    waiting: dict[Any, deque[int]] = defaultdict(deque)
    for index, (request, _) in enumerate(olds):
        waiting[interaction_key(request)].append(index)
    pairs: list[tuple[int | None, int]] = []
    for index, (request, _) in enumerate(news):
        queue = waiting.get(interaction_key(request))
        pairs.append((queue.popleft() if queue else None, index))
    removed = sorted(index for queue in waiting.values() for index in queue)

    # Each removed interaction is listed where it stood: before the first new interaction
    # paired with an old one that came after it.
    placed: list[tuple[tuple[int, int], list[Change]]] = []
    for gone in removed:
        request, response = olds[gone]
        after = [n for o, n in pairs if o is not None and o > gone]
        change = Change(_request_line(request), gone, "", "removed", note=_status(response))
        placed.append(((min(after, default=len(news)), 0), [change]))
    for paired, new_index in pairs:
        request, response = news[new_index]
        label = _request_line(request)
        if paired is None:
            change = Change(label, new_index, "", "added", note=_status(response))
            placed.append(((new_index, 1), [change]))
            continue
        raw = _interaction_changes(olds[paired], news[new_index], ignored, attributes)
        placed.append(((new_index, 1), list(_summarised(label, new_index, raw))))
    return [change for _, changes in sorted(placed, key=lambda item: item[0]) for change in changes]


def _decoded(interaction: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        decode_message(interaction.get("request") or {}, is_request=True),
        decode_message(interaction.get("response") or {}, is_request=False),
    )


# A change before summarising: (where, JSON path or None, kind, old, new, note).
_Raw = tuple[str, "tuple[Any, ...] | None", str, Any, Any, str]


def _interaction_changes(
    old: tuple[dict[str, Any], dict[str, Any]],
    new: tuple[dict[str, Any], dict[str, Any]],
    ignored: set[str],
    attributes: Sequence[Any],
) -> Iterator[_Raw]:
    (old_request, old_response), (new_request, new_response) = old, new
    if _status(old_response) != _status(new_response):
        yield "response.status", None, "changed", _status(old_response), _status(new_response), ""
    for side, before, after in (
        ("request", old_request, new_request),
        ("response", old_response, new_response),
    ):
        old_headers = _headers(before)
        new_headers = _headers(after)
        old_type, new_type = (
            header(old_headers, "content-type"),
            header(new_headers, "content-type"),
        )
        if _normal_type(old_type) != _normal_type(new_type):
            yield f"{side}.content-type", None, "changed", old_type or None, new_type or None, ""
        yield from _header_changes(side, old_headers, new_headers, ignored, attributes)
        yield from _body_changes(side, before, after, old_headers, new_headers)


def _headers(message: Mapping[str, Any]) -> Mapping[str, Any]:
    headers = message.get("headers")
    return headers if isinstance(headers, Mapping) else {}


def _normal_type(value: str) -> str:
    mime, *params = value.split(";")
    rest = sorted(param.strip().lower().replace('"', "") for param in params if param.strip())
    return ";".join([mime.strip().lower(), *rest])


def _header_changes(
    side: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    ignored: set[str],
    attributes: Sequence[Any],
) -> Iterator[_Raw]:
    def values(headers: Mapping[str, Any]) -> dict[str, tuple[str, list[str]]]:
        out: dict[str, tuple[str, list[str]]] = {}
        for name, value in _header_items(headers):
            low = name.lower()
            if low in ignored or low in _NOT_COMPARED:
                continue
            for rule in attributes:
                if rule.header == low:
                    value = rule.mask(value)
            out.setdefault(low, (name, []))[1].append(value)
        return out

    before, after = values(old), values(new)
    for low, (name, items) in before.items():
        if low not in after:
            yield f"{side}.header {name}", None, "removed", _one(items, old, name), None, ""
    for low, (name, items) in after.items():
        if low not in before:
            yield f"{side}.header {name}", None, "added", None, _one(items, new, name), ""
        elif before[low][1] != items:
            old_name = before[low][0]
            yield (
                f"{side}.header {name}",
                None,
                "changed",
                _one(before[low][1], old, old_name),
                _one(items, new, name),
                "",
            )


def _one(masked: list[str], headers: Mapping[str, Any], name: str) -> Any:
    """A header's values as shown: the real ones (a mask only served the comparison)."""
    real = [value for key, value in _header_items(headers) if key == name]
    values = real if len(real) == len(masked) else masked
    return values[0] if len(values) == 1 else values


def _body_changes(
    side: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_headers: Mapping[str, Any],
    new_headers: Mapping[str, Any],
) -> Iterator[_Raw]:
    is_request = side == "request"
    old_kind, old_value = _body_value(message_body(old, is_request=is_request), old_headers)
    new_kind, new_value = _body_value(message_body(new, is_request=is_request), new_headers)
    where = f"{side}.body"
    if old_kind == new_kind == "json":
        for path, kind, before, after, note in _json_changes(old_value, new_value, ()):
            yield where, path, kind, before, after, note
        return
    if old_kind == new_kind and old_value == new_value:
        return
    if old_kind == "none":
        yield where, None, "added", None, _body_summary(new_kind, new_value), ""
    elif new_kind == "none":
        yield where, None, "removed", _body_summary(old_kind, old_value), None, ""
    else:
        before, after = _body_summary(old_kind, old_value), _body_summary(new_kind, new_value)
        yield where, None, "changed", before, after, ""


def _body_summary(kind: str, value: Any) -> str:
    if kind == "bytes":
        return f"<{len(value)} bytes>"
    if kind == "json":
        return f"<JSON {'object' if isinstance(value, dict) else 'array'}>"
    lines = value.splitlines()
    if len(lines) <= 1:
        return _shown(value)
    return f"<text, {len(lines)} lines>"


def _json_changes(
    old: Any, new: Any, path: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], str, Any, Any, str]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in old.items():
            if key not in new:
                yield (*path, key), "removed", value, None, ""
        for key, value in new.items():
            if key not in old:
                yield (*path, key), "added", None, value, ""
            else:
                yield from _json_changes(old[key], value, (*path, key))
    elif isinstance(old, list) and isinstance(new, list):
        if _same(old, new):
            return
        if not any(isinstance(item, dict | list) for item in (*old, *new)):
            yield path, "changed", old, new, _list_note(old, new)
            return
        for index in range(min(len(old), len(new))):
            yield from _json_changes(old[index], new[index], (*path, index))
        if len(new) > len(old):
            extra = new[len(old) :]
            yield (*path, _Range(len(old), len(new))), "added", None, _one_or_all(extra), ""
        elif len(old) > len(new):
            gone = old[len(new) :]
            yield (*path, _Range(len(new), len(old))), "removed", _one_or_all(gone), None, ""
    elif not _same(old, new):
        yield path, "changed", old, new, ""


def _same(old: Any, new: Any) -> bool:
    """Equal and of the same JSON types (``1`` is not ``1.0``, nor ``true``)."""
    if type(old) is not type(new):
        return False
    if isinstance(old, dict):  # key order carries no meaning
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


def _one_or_all(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


def _list_note(old: list[Any], new: list[Any]) -> str:
    """For a long list of scalars: what was added and removed (the values may not fit)."""
    if len(_key(old)) <= _MAX_VALUE and len(_key(new)) <= _MAX_VALUE:
        return ""
    before, after = Counter(map(_key, old)), Counter(map(_key, new))
    added, removed = list((after - before).elements()), list((before - after).elements())
    parts = []
    if added:
        parts.append(f"{len(added)} added: {_cut(', '.join(added))}")
    if removed:
        parts.append(f"{len(removed)} removed: {_cut(', '.join(removed))}")
    return "; ".join(parts) or "reordered"


def _key(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class _Range:
    """The items ``start`` to ``stop`` (exclusive) of a list that grew or shrank."""

    start: int
    stop: int


class _Any:
    """Any index of a list: ``[*]``."""


_ANY: Final = _Any()


def _summarised(label: str, index: int, raw: Iterable[_Raw]) -> Iterator[Change]:
    """The changes of one interaction; a change repeated across list items is one line."""
    groups: dict[tuple[Any, ...], list[_Raw]] = {}
    for item in raw:
        where, path, kind, old, new, _note = item
        general = None if path is None else tuple(_ANY if isinstance(p, int) else p for p in path)
        key = (where, general, kind, _key(old), _key(new))
        groups.setdefault(key, []).append(item)
    # Under one general path, more than _MAX_VARIANTS different changes become one line.
    variants: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for key in groups:
        variants[key[:3]].append(key)
    done: set[tuple[Any, ...]] = set()
    for key, members in groups.items():
        where, general, kind = key[:3]
        first_where, first_path, _, old, new, note = members[0]
        if len(variants[key[:3]]) > _MAX_VARIANTS and general is not None and _ANY in general:
            if key[:3] in done:
                continue
            done.add(key[:3])
            count = sum(len(groups[k]) for k in variants[key[:3]])
            example = f"{_path(first_path)}: {_describe(kind, old, new)}"
            yield Change(
                label,
                index,
                f"{where} {_path(general)}",
                "summary",
                note=f"{kind} in {count} items, e.g. {example}",
            )
            continue
        if len(members) == 1:
            yield Change(label, index, _where(first_where, first_path), kind, old, new, note)
        else:
            yield Change(
                label,
                index,
                _where(where, general),
                kind,
                old,
                new,
                _join(note, f"in {len(members)} items"),
            )


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _describe(kind: str, old: Any, new: Any, *, quoted: bool = True) -> str:
    def show(value: Any) -> str:
        if quoted or not isinstance(value, str):
            return _shown(value)
        return _cut(value)

    if kind == "changed":
        return f"{show(old)} → {show(new)}"
    return f"{kind} {show(new if kind == 'added' else old)}"


def _where(where: str, path: tuple[Any, ...] | None) -> str:
    return where if path is None else f"{where} {_path(path)}"


def _path(path: tuple[Any, ...] | None) -> str:
    out = "$"
    for part in path or ():
        if isinstance(part, _Any):
            out += "[*]"
        elif isinstance(part, _Range):
            out += (
                f"[{part.start}]" if part.stop == part.start + 1 else f"[{part.start}:{part.stop}]"
            )
        elif isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def _shown(value: Any) -> str:
    """A value in one short line: JSON, cut with ``…``; big containers by their size."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= _MAX_VALUE:
        return text
    if isinstance(value, dict):
        return f"{{… {len(value)} keys}}"
    if isinstance(value, list):
        return f"[… {len(value)} items]"
    return _cut(text)


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"
