"""JSON documents as the scrubber and the audit read them.

:func:`is_json`, :func:`load_json` (objects as lists of pairs, :class:`JsonObject`, so
repeated keys are all seen), :func:`json_scalars`, :func:`json_entries` and
:func:`json_summary` (one walk per document: its strings, the scalars at credential
positions, and the other strings with their key), and :func:`sub_json`, which rewrites
the strings and numbers of a document and keeps everything else byte for byte. Walks are
kept for the most recent documents (:class:`~pytest_bss.text_cache.TextCache`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from .catalogue import (
    USER_FIELDS,
    field_key,
    header_field_kind,
    is_headers_key,
    is_typed_id,
    json_credential_kind,
    json_key_rule,
    lone_key_token,
    looks_random,
)
from .text_cache import CACHE_BUDGET, TextCache

__all__ = [
    "JsonObject",
    "JsonSummary",
    "is_json",
    "json_entries",
    "json_scalars",
    "json_summary",
    "load_json",
    "login_keys",
    "looks_like_json",
    "sub_json",
    "too_deep",
]

_ENTRIES: Final = TextCache(CACHE_BUDGET)
_SUMMARIES: Final = TextCache(CACHE_BUDGET)

_JSON_STR: Final = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_JSON_LEX: Final = re.compile(
    rf"(?P<str>{_JSON_STR})|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<open>[{{\[])"
    r"|(?P<close>[}\]])|(?P<colon>:)|(?P<comma>,)"
)


def looks_like_json(text: str) -> bool:
    """Whether ``text`` starts like a JSON document (cheap; :func:`is_json` is sure)."""
    return text.lstrip()[:1] in ("{", "[", '"')


def is_json(text: str) -> bool:
    """Whether ``text`` is one JSON document (an object, an array or a string)."""
    if not looks_like_json(text):
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def load_json(text: str) -> Any:
    """Parse JSON with objects as lists of (key, value) pairs; ``None`` if it is not JSON."""
    try:
        return json.loads(text, object_pairs_hook=JsonObject)
    except (ValueError, RecursionError):
        return None


def too_deep(text: str) -> bool:
    """Whether ``text`` is JSON that nests too deep for Python's parser."""
    try:
        json.loads(text)
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


class JsonObject(list[tuple[str, Any]]):
    """A JSON object as :func:`load_json` gives it: all its (key, value) pairs, a duplicate
    key's too (``list``'s own constructor: fast)."""

    __slots__ = ()


def json_scalars(document: Any) -> Iterator[tuple[tuple[str | None, ...], bool, Any]]:
    """(path, is a key, scalar) of every key and scalar of a :func:`load_json` document.

    ``path`` holds the keys from the root, ``None`` for a list item; for a key, the path
    ends with that key.
    """
    stack: list[tuple[tuple[str | None, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, JsonObject):
            for key, item in reversed(value):
                inner = (*path, key)
                stack.append((inner, item))
                stack.append((inner, _Key(key)))
        elif isinstance(value, list):
            stack.extend(((*path, None), item) for item in reversed(value))
        elif isinstance(value, _Key):
            yield path, True, str(value)
        else:
            yield path, False, value


class _Key(str):
    __slots__ = ()


_Entry = tuple[tuple[str | None, ...], bool, Any]


def json_entries(text: str) -> tuple[_Entry, ...] | None:
    """:func:`json_scalars` of :func:`load_json` of ``text`` as a tuple, ``None`` if
    ``text`` is not JSON; kept for the most recent texts."""
    found: tuple[_Entry, ...] | None = _ENTRIES.get(text, len(text), lambda: _entries(text))
    return found


def _entries(text: str) -> tuple[_Entry, ...] | None:
    document = load_json(text)
    if document is None:
        return None
    out: list[_Entry] = []
    try:
        _walk(document, (), out)
    except RecursionError:  # deeper than Python's stack: the walk without recursion
        return tuple(json_scalars(document))
    return tuple(out)


def _walk(value: Any, path: tuple[str | None, ...], out: list[_Entry]) -> None:
    # json_scalars, in the same order, several times faster (no stack of its own).
    if isinstance(value, JsonObject):
        for key, item in value:
            inner = (*path, key)
            out.append((inner, True, key))
            if isinstance(item, list):  # an object or an array
                _walk(item, inner, out)
            else:
                out.append((inner, False, item))
    elif isinstance(value, list):
        inner = (*path, None)
        for item in value:
            if isinstance(item, list):
                _walk(item, inner, out)
            else:
                out.append((inner, False, item))
    else:
        out.append((path, False, value))


@dataclass(frozen=True)
class JsonSummary:
    """What the credential checks read of one JSON document, gathered in one walk.

    ``strings``: the different non-empty keys and strings, in order (the texts inside the
    document); ``credentials``: (kind, value) of every scalar at a credential position
    (:func:`~pytest_bss.catalogue.json_credential_kind` of its path), in order;
    ``plain``: (last key, value) of every other string scalar, in order, where the last key
    is the nearest key above the value (``""`` at the root); ``logins``: its
    :func:`login_keys` (among the credentials as sessions, for scrub to find them by value).
    """

    strings: tuple[str, ...]
    credentials: tuple[tuple[str, Any], ...]
    plain: tuple[tuple[str, str], ...]
    logins: tuple[str, ...] = ()


def json_summary(text: str) -> JsonSummary | None:
    """The :class:`JsonSummary` of ``text``, ``None`` if it is not JSON; kept for the most
    recent texts."""
    found: JsonSummary | None = _SUMMARIES.get(text, len(text), lambda: _summary(text))
    return found


def _summary(text: str) -> JsonSummary | None:
    document = load_json(text)
    if document is None:
        return None
    token = lone_key_token(text)
    if token is not None:  # {"key": "<40 hex>"}: a token login's answer
        return JsonSummary(("key", token), (("access_token", token),), ())
    strings: dict[str, None] = {}
    credentials: list[tuple[str, Any]] = []
    plain: list[tuple[str, str]] = []
    try:
        _summarise(document, None, "", strings, credentials, plain)
    except RecursionError:  # deeper than Python's stack: from the walk without recursion
        return with_login_keys(_summary_of_entries(json_scalars(document)), text, document)
    strings.pop("", None)
    return with_login_keys(
        JsonSummary(tuple(strings), tuple(credentials), tuple(plain)), text, document
    )


def with_login_keys(summary: JsonSummary, text: str, document: Any) -> JsonSummary:
    """``summary`` with the :func:`login_keys` of the document as session credentials
    (taken out of the plain strings)."""
    keys = login_keys(text, document)
    if not keys:
        return summary
    plain = tuple(entry for entry in summary.plain if entry[1] not in keys or entry[0] != "key")
    credentials = summary.credentials + tuple(("session", key) for key in keys)
    return JsonSummary(summary.strings, credentials, plain, keys)


#: What a text holds if it may name a ``key`` (or a name written with escapes).
_MAY_HOLD_KEY: Final = re.compile(r'"[kK][eE][yY]"\s*:|\\u')
#: The shortest login key :func:`login_keys` takes (Vine's are ``<id>-<uuid>``, 56; a
#: Firebase push id, an object's key reused in its URLs, is 20).
_LOGIN_KEY_LENGTH: Final = 32


def login_keys(text: str, document: Any = None) -> tuple[str, ...]:
    """The session key of a login's answer: the one random-looking ``key`` of 32
    characters or more in the document, in an object that names a user beside it, at most
    two levels down (Vine's ``{"data": {"username": …, "userId": …, "key": "<id>-<uuid>"}}``),
    which the API then wants in a header. A ``key`` alone is no credential position (an
    object's, a setting's, a translation's key), nor is one of many (a listing's).
    ``document``: ``text`` parsed by :func:`load_json`."""
    if _MAY_HOLD_KEY.search(text) is None:
        return ()
    if document is None:
        document = load_json(text)
    found: dict[str, None] = {}
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, JsonObject):
            names = {field_key(name): item for name, item in value}
            key = names.get("key")
            if (
                isinstance(key, str)
                and len(key) >= _LOGIN_KEY_LENGTH
                and names.keys() & USER_FIELDS
                and looks_random(key)
            ):
                found[key] = None
        if isinstance(value, list) and depth < 2:  # an object (a list of pairs) or an array
            stack.extend((item, depth + 1) for item in _children(value) if isinstance(item, list))
    return tuple(found) if len(found) == 1 else ()


def _children(value: list[Any]) -> Iterator[Any]:
    return (item for _, item in value) if isinstance(value, JsonObject) else iter(value)


def _summarise(
    value: Any,
    kind: str | None,
    key: str,
    strings: dict[str, None],
    credentials: list[tuple[str, Any]],
    plain: list[tuple[str, str]],
    headers: bool = False,
) -> None:
    # _summary_of_entries(json_scalars(...)), following the kind down instead of reading
    # each path: several times faster. The scalar case is written out in each loop on
    # purpose: a call per scalar (thousands a body) is most of what a shared helper costs.
    # ``headers``: the value is the object of a "headers" key (its keys are header names).
    if isinstance(value, JsonObject):
        for inner_key, item in value:
            strings[inner_key] = None
            is_value, key_kind = json_key_rule(inner_key)
            if headers:
                is_value, key_kind = False, header_field_kind(inner_key)
            inner_kind = kind if is_value else key_kind
            if isinstance(item, list):  # an object or an array
                _summarise(
                    item,
                    inner_kind,
                    inner_key,
                    strings,
                    credentials,
                    plain,
                    isinstance(item, JsonObject)
                    and ("eaders" in inner_key or "EADERS" in inner_key)  # cheap, then sure
                    and is_headers_key(inner_key),
                )
            elif inner_kind is not None and not is_typed_id(inner_key, item):
                credentials.append((inner_kind, item))
                if isinstance(item, str):
                    strings[item] = None
            elif isinstance(item, str):
                strings[item] = None
                plain.append((inner_key, item))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list):
                _summarise(item, kind, key, strings, credentials, plain)
            elif kind is not None:
                credentials.append((kind, item))
                if isinstance(item, str):
                    strings[item] = None
            elif isinstance(item, str):
                strings[item] = None
                plain.append((key, item))
    elif kind is not None:
        credentials.append((kind, value))
        if isinstance(value, str):
            strings[value] = None
    elif isinstance(value, str):
        strings[value] = None
        plain.append((key, value))


def _summary_of_entries(entries: Iterable[_Entry]) -> JsonSummary:
    """The :class:`JsonSummary` read from :func:`json_scalars` (the plain definition)."""
    strings: dict[str, None] = {}
    credentials: list[tuple[str, Any]] = []
    plain: list[tuple[str, str]] = []
    for path, is_key, value in entries:
        if isinstance(value, str) and value:
            strings[value] = None
        if is_key:
            continue
        kind = json_credential_kind(path)
        if kind is not None and not (path and is_typed_id(path[-1] or "", value)):
            credentials.append((kind, value))
        elif isinstance(value, str):
            plain.append((next((k for k in reversed(path) if k is not None), ""), value))
    return JsonSummary(tuple(strings), tuple(credentials), tuple(plain))


_Rewrite = Callable[[tuple[str | None, ...], str, bool], str]


def sub_json(text: str, fn: _Rewrite) -> str:
    """Rewrite the keys, strings and numbers of a JSON document, keeping all else as it is.

    ``fn(path, token, is_key)`` gets each token as written (a string with its quotes and
    escapes) and returns its replacement; ``path`` is as in :func:`json_scalars`. Call it
    on text :func:`is_json` accepts.
    """
    # Each frame: [is an object, path, current key, after the colon]
    stack: list[list[Any]] = []
    out: list[str] = []
    last = 0
    for match in _JSON_LEX.finditer(text):
        kind = match.lastgroup
        token = match[0]
        frame = stack[-1] if stack else None
        if kind == "str" or kind == "num":
            is_key = frame is not None and frame[0] and not frame[3]
            if is_key:
                key: str | None = token[1:-1] if "\\" not in token else _loads_str(token)
                frame[2] = key  # type: ignore[index]
                path = (*frame[1], key)  # type: ignore[index]
            elif frame is None:
                path = ()
            else:
                path = (*frame[1], frame[2] if frame[0] else None)
            new = fn(path, token, is_key)
            if new != token:
                out.append(text[last : match.start()])
                out.append(new)
                last = match.end()
        elif kind == "open":
            path = () if frame is None else (*frame[1], frame[2] if frame[0] else None)
            stack.append([match["open"] == "{", path, None, False])
        elif kind == "close":
            if stack:
                stack.pop()
        elif kind == "colon":
            if frame is not None:
                frame[3] = True
        elif frame is not None:  # a comma
            frame[2], frame[3] = None, False
    out.append(text[last:])
    return "".join(out)


def _loads_str(token: str) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        return token[1:-1]
    return value if isinstance(value, str) else token[1:-1]
