"""Cassette files of any recording tool: read into one model, written back in their own form.

``pytest-bss audit`` and ``scrub`` read what vcrpy (6 and later) loads and what betamax
writes, whatever the file is called:

* **vcrpy** JSON and YAML: ``{"interactions": [...]}``, with or without ``version``;
  request bodies as text, bytes (``!!binary``), a ``{"string": ...}`` mapping, a list of
  ``[name, value]`` pairs or a mapping of form fields; Python 2's ``!!python/unicode``
  string tags; header values as lists or single strings;
* **betamax** JSON: ``{"http_interactions": [...]}`` with ``string`` or
  ``base64_string`` bodies.

:func:`read_cassette` gives a :class:`CassetteFile`: the file's text, its parsed document
and ``data``, the vcrpy model (``{"version": 1, "interactions": [...]}``) that the
scrubber and the audit read. :func:`render` writes a scrubbed model back so that the file
differs from the original only where a value was replaced: the known values are replaced
in the text itself, and the result is accepted only if it reads back as exactly the
scrubbed model; otherwise the document is updated in place (same key order) and dumped in
the file's own style (JSON indentation and separators detected from the file).

:func:`find_cassettes` lists the files of a folder run, detecting cassettes by content
(vcrpy's default ``path_transformer`` writes names without a suffix), and says why it
skips every other file.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from .cassettes import MAX_CASSETTE_BYTES, HostileCassetteError, parse_error, parse_text
from .catalogue import OWN_PLACEHOLDERS
from .decoding import ABSOLUTE_URL, decode_message
from .exceptions import CassetteCorruptError
from .repeated_keys import TooManyRepeatsError

__all__ = [
    "CASSETTE_SUFFIXES",
    "CassetteFile",
    "NotACassetteError",
    "Skipped",
    "find_cassettes",
    "model_strings",
    "printable",
    "read_cassette",
    "read_text",
    "render",
    "shown_name",
    "unmodelled_texts",
]

#: Suffixes taken as cassettes without looking inside.
CASSETTE_SUFFIXES: Final = (".json", ".yaml", ".yml")
_YAML_SUFFIXES: Final = (".yaml", ".yml")
#: How much of a suffix-less file is read to tell whether it is a cassette.
_SNIFF_BYTES: Final = 4096
_CASSETTE_KEYS: Final = frozenset({"version", "interactions", "http_interactions", "recorded_with"})
# At the start of a line (YAML, indented JSON) or after the "{" of a minified JSON file,
# behind a byte-order mark if there is one.
_SNIFF: Final = re.compile(r"""(?m)(?:^|\{)[\s\ufeff]*["']?(?:http_)?interactions["']?\s*:""")


class NotACassetteError(ValueError):
    """A readable file that is not a cassette of any known tool (the message says why)."""


def printable(name: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 written ``\\xe9``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def shown_name(path: str | Path) -> str:
    """A path as every report prints it: printable, a token of a known shape masked
    (``test_x[<github_token>].yaml``)."""
    from .shapes import mask_shapes

    return mask_shapes(printable(str(path)))


@dataclass(frozen=True)
class Skipped:
    """A file a folder run did not read, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{shown_name(self.path)}: skipped ({self.reason})"


@dataclass
class CassetteFile:
    """One cassette file: its text, its parsed document and the vcrpy model of it."""

    path: Path
    tool: str  # "vcrpy" or "betamax"
    syntax: str  # "json" or "yaml"
    text: str
    document: Any
    data: dict[str, Any]
    #: The same file as read with the other values of a repeated key (a parser keeps the
    #: last): each a whole cassette, so that every value is read in its place.
    shadows: list[CassetteFile] = field(default_factory=list)


# --- listing ----------------------------------------------------------------------------


def find_cassettes(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """The cassette files named or under the named folders, and every file skipped there.

    Files with a cassette suffix are cassettes; any other file is one if its content says
    so (vcrpy's default file names have no suffix). In a folder the rest are listed as
    skipped, with the reason. Raises :class:`FileNotFoundError` for a path that does not
    exist and :class:`ValueError` for a named file that is no cassette.
    """
    files: dict[Path, None] = {}
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            for found in _walk(path, skipped):
                reason = _skip_reason(found)
                if reason is None:
                    files[found] = None
                else:
                    skipped.append(Skipped(found, reason))
        elif path.is_file():
            reason = _skip_reason(path)
            if reason is not None:
                raise ValueError(f"{path} is {reason.removeprefix('not a cassette: ')}")
            files[path] = None
        else:
            raise FileNotFoundError(f"{path} does not exist")
    return list(files), skipped


def _walk(folder: Path, unreadable: list[Skipped]) -> list[Path]:
    """Every file under ``folder``, sorted, following links to folders (each real folder
    once, so a link loop ends) and listing broken links too (:func:`_skip_reason` says so);
    a folder that cannot be listed is added to ``unreadable``."""
    found: list[Path] = []
    seen: set[str] = set()

    def cannot_list(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        unreadable.append(Skipped(where, f"a folder that cannot be read ({error.strerror})"))

    for root, dirs, names in os.walk(folder, onerror=cannot_list, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs.clear()
            continue
        seen.add(real)
        dirs.sort()
        found += (Path(root) / name for name in names)
    return sorted(found)


def _skip_reason(path: Path) -> str | None:
    if path.is_symlink() and not path.exists():
        return "a broken symbolic link"
    if not path.is_file():
        return "not a regular file"
    if path.suffix in CASSETTE_SUFFIXES:
        return None
    if "__pycache__" in path.parts or path.suffix in (".pyc", ".lock", ".tmp"):
        return "not a cassette: a cache or temporary file"
    if path.name.startswith(".") and path.suffix != "":  # .gitkeep, .DS_Store ...
        return "not a cassette: a hidden file"
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if b"\0" in head:
        return "not a cassette: binary content"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "not a cassette: not UTF-8 text"
        text = head[: exc.start].decode("utf-8")
    if _SNIFF.search(text):
        return None
    if not text.strip():
        return "not a cassette: empty"
    return "not a cassette: no 'interactions' or 'http_interactions' near its start"


# --- reading ----------------------------------------------------------------------------


def read_cassette(path: Path) -> CassetteFile:
    """Read any supported cassette file.

    Raises :class:`~pytest_bss.exceptions.CassetteCorruptError` for a file that cannot be
    read or parsed, and :class:`NotACassetteError` for a file that parses but is no
    cassette of a known tool. Neither message quotes the file's content.
    """
    with path.open("rb") as handle:
        too_big = os.fstat(handle.fileno()).st_size > MAX_CASSETTE_BYTES
        raw = b"" if too_big else handle.read(MAX_CASSETTE_BYTES + 1)
    if too_big or len(raw) > MAX_CASSETTE_BYTES:
        raise CassetteCorruptError(
            f"Cassette {path} is larger than {MAX_CASSETTE_BYTES:,} bytes", path=str(path)
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteCorruptError(f"Cassette {path} is not UTF-8 text", path=str(path)) from None
    return read_text(path, text)


def read_text(path: Path, text: str) -> CassetteFile:
    """:func:`read_cassette` for text already read (``path`` names it and its syntax)."""
    if not text.strip():
        raise CassetteCorruptError(f"Cassette {path} is empty", path=str(path))
    syntax = _syntax(path, text)
    try:
        duplicates: list[str] = []
        shadows: list[Any] = []
        document = parse_text(
            text,
            yaml_syntax=syntax == "yaml",
            lenient=True,
            duplicates=duplicates,
            shadows=shadows,
        )
    except (HostileCassetteError, TooManyRepeatsError) as exc:
        raise CassetteCorruptError(f"Cassette {path} {exc}", path=str(path)) from None
    except Exception as exc:  # every parser failure is the same problem for the user
        raise CassetteCorruptError(
            f"Cassette {path} cannot be parsed ({parse_error(exc)})", path=str(path)
        ) from None
    tool, data = _model(path, document)
    read = CassetteFile(path, tool, syntax, text, document, data)
    for shadow in shadows:
        # A repeated key: vcrpy reads its last value, and the others are read here too
        # (audit and scrub see every value, each in its place).
        try:
            shadow_tool, shadow_data = _model(path, shadow)
        except NotACassetteError:
            raise CassetteCorruptError(
                f"Cassette {path} repeats a key ({duplicates[0]}) and one of its values is no "
                "cassette: remove the repeated key",
                path=str(path),
            ) from None
        read.shadows.append(CassetteFile(path, shadow_tool, syntax, text, shadow, shadow_data))
    return read


def _model(path: Path, document: Any) -> tuple[str, dict[str, Any]]:
    """The tool that wrote ``document`` and the vcrpy model of it."""
    if isinstance(document, Mapping) and isinstance(document.get("http_interactions"), list):
        return "betamax", _from_betamax(document)
    if isinstance(document, Mapping) and isinstance(document.get("interactions"), list):
        return "vcrpy", _from_vcrpy(document)
    if isinstance(document, Mapping) and _CASSETTE_KEYS & document.keys():
        # a cassette's own keys, but no list of interactions: a broken cassette
        raise CassetteCorruptError(f"Cassette {path} has no 'interactions' list", path=str(path))
    raise NotACassetteError(
        f"{path} is not a cassette: no 'interactions' (vcrpy) or 'http_interactions' (betamax) list"
    )


def _syntax(path: Path, text: str) -> str:
    if path.suffix == ".json":
        return "json"
    if path.suffix in _YAML_SUFFIXES:
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def _headers(headers: Any) -> dict[str, Any]:
    if isinstance(headers, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in headers
    ):  # a list of [name, value] pairs, which vcrpy's HeadersDict takes too
        pairs: dict[str, list[Any]] = {}
        for name, value in headers:
            pairs.setdefault(str(name), []).extend(
                value if isinstance(value, list | tuple) else [value]
            )
        return pairs
    if not isinstance(headers, Mapping):
        return {}
    return {
        str(name): [
            _header_text(v) for v in (values if isinstance(values, list | tuple) else [values])
        ]
        for name, values in headers.items()
    }


def _header_text(value: Any) -> Any:
    """A header value the file holds as bytes (YAML ``!!binary``) as text, so it is read."""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    return value


def _request_body(body: Any) -> Any:
    """A request body as text or bytes, whatever shape the file gave it.

    Form fields given as pairs or a mapping become a form body (placeholders unencoded, as
    the scrubber writes them).
    """
    if isinstance(body, Mapping):
        if "string" in body and len(body) <= 2:  # {"string": ...} (maybe with "encoding")
            return body["string"]
        return _form(body.items())
    if isinstance(body, list) and all(isinstance(p, list | tuple) and len(p) == 2 for p in body):
        return _form(body)
    return body


def _form(pairs: Iterable[Any]) -> str:
    return urlencode([(str(k), "" if v is None else str(v)) for k, v in pairs], safe="<>")


def _from_vcrpy(document: Mapping[str, Any]) -> dict[str, Any]:
    interactions = []
    for item in document["interactions"]:
        if not isinstance(item, Mapping):
            raise NotACassetteError("an interaction is not a mapping")
        request = dict(item.get("request") or {})
        response = dict(item.get("response") or {})
        request["body"] = _request_body(request.get("body"))
        request["headers"] = _headers(request.get("headers"))
        response["headers"] = _headers(response.get("headers"))
        if _httpx_layout(response):  # vcrpy < 5's httpx responses: the body is "content"
            response["body"] = {"string": response.pop("content")}
        body = response.get("body")
        if not isinstance(body, Mapping):
            response["body"] = {"string": body if body is not None else ""}
        interactions.append({"request": request, "response": response})
    return {"version": 1, "interactions": interactions}


def _httpx_layout(response: Mapping[str, Any]) -> bool:
    """Whether a vcrpy response is in the layout vcrpy before 5 wrote for httpx
    (``status_code``, ``http_version``, ``headers``, ``content``), which vcrpy still
    loads, its ``content`` as the body."""
    return "content" in response and "body" not in response and "status_code" in response


def _betamax_body(body: Any) -> Any:
    if not isinstance(body, Mapping):
        return body if body is not None else ""
    if body.get("base64_string"):
        try:
            return base64.b64decode(str(body["base64_string"]), validate=True)
        except (binascii.Error, ValueError):
            raise NotACassetteError("a base64_string body is not valid base64") from None
    return body.get("string", "")


def _from_betamax(document: Mapping[str, Any]) -> dict[str, Any]:
    interactions = []
    for item in document["http_interactions"]:
        if not isinstance(item, Mapping):
            raise NotACassetteError("an interaction is not a mapping")
        request = item.get("request") or {}
        response = item.get("response") or {}
        interactions.append(
            {
                "request": {
                    "method": request.get("method", ""),
                    "uri": request.get("uri", ""),
                    "body": _betamax_body(request.get("body")),
                    "headers": _headers(request.get("headers")),
                },
                "response": {
                    "status": response.get("status") or {},
                    "headers": _headers(response.get("headers")),
                    "body": {"string": _betamax_body(response.get("body"))},
                },
            }
        )
    return {"version": 1, "interactions": interactions}


# --- what the model leaves out ----------------------------------------------------------

#: Per tool, the keys of a request and a response that the model reads.
_MODELLED: Final = {
    "vcrpy": ({"method", "uri", "body", "headers"}, {"status", "headers", "body"}),
    "betamax": ({"method", "uri", "body", "headers"}, {"status", "headers", "body"}),
}


def unmodelled_texts(file: CassetteFile) -> list[tuple[int | None, str, str]]:
    """(interaction, place, text) of every string the model does not read.

    Top-level keys other than the interactions, keys of an interaction other than its
    request and response (betamax's ``recorded_at``), and keys of a request or response the
    model ignores (betamax's ``response.url``): ``audit`` checks them too, so nothing in a
    file goes unread.
    """
    return [
        (index, f"{place}{where}", text)
        for index, place, value in unmodelled_values(file)
        for where, text in _leaves(value)
    ]


def unmodelled_values(file: CassetteFile) -> list[tuple[int | None, str, Any]]:
    """(interaction, place, value) of each value the model does not read, whole (a
    recorder's own ``{"data": {"password": …}}``: its keys say what its strings are)."""
    request_keys, response_keys = _MODELLED[file.tool]
    list_key = "http_interactions" if file.tool == "betamax" else "interactions"
    out: list[tuple[int | None, str, Any]] = []
    document = file.document
    for key, value in document.items():
        if key != list_key:
            out.append((None, str(key), value))
    for index, item in enumerate(document[list_key]):
        if not isinstance(item, Mapping):
            continue
        for key, value in item.items():
            if key in ("request", "response") and isinstance(value, Mapping):
                known = request_keys if key == "request" else response_keys
                if key == "response" and file.tool == "vcrpy" and _httpx_layout(value):
                    known = known | {"content"}
                for field_name, field_value in value.items():
                    if field_name not in known:
                        out.append((index, f"{key}.{field_name}", field_value))
                    elif field_name == "body" and key == "response":
                        # keys of a body mapping beside the ones read ({"string", "encoding"})
                        out += [
                            (index, f"{key}.body.{name}", item)
                            for name, item in _extra_body_keys(field_value)
                        ]
            else:
                out.append((index, str(key), value))
    return out


def _leaves(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(key, f"{where}.<key>")
            yield from _leaves(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value
    elif isinstance(value, bytes | bytearray):
        yield where, bytes(value).decode("utf-8", "replace")


def _extra_body_keys(body: Any) -> list[tuple[str, Any]]:
    if not isinstance(body, Mapping):
        return []
    read = ("string", "encoding", "base64_string")
    return [(str(name), item) for name, item in body.items() if name not in read]


def model_strings(data: Mapping[str, Any]) -> Iterator[str]:
    """Every string the model holds (bodies decoded where they can be)."""
    for interaction in data.get("interactions") or ():
        for side in ("request", "response"):
            message = decode_message(interaction[side], is_request=side == "request")
            yield from (text for _, text in _leaves(message))


# --- writing ----------------------------------------------------------------------------


def render(file: CassetteFile, scrubbed: dict[str, Any], replace: Callable[[str], str]) -> str:
    """The text of ``file`` with the scrubbed model ``scrubbed`` written into it.

    ``replace(text) -> text`` replaces the known values in raw text, in every written form
    (:meth:`pytest_bss.secret_set.SecretSet.replace`). Its result is used when it reads
    back as exactly ``scrubbed``: the file then differs only where values were replaced.
    Otherwise the parsed document is updated (same keys, same order) and dumped in the
    file's own syntax and, for JSON, its own indentation.
    """
    expected = comparable(scrubbed)
    candidate = replace(file.text)
    rest_expected = comparable(_with_rest_replaced(file.tool, scrubbed, replace))
    try:
        if comparable(read_text(file.path, candidate).data) == expected:
            return candidate
    except (CassetteCorruptError, NotACassetteError):
        pass
    document = copy.deepcopy(file.document)
    if file.tool == "betamax":
        _into_betamax(document, scrubbed)
    else:
        _into_vcrpy(document, scrubbed)
    _replace_unmodelled(file.tool, document, replace)
    dumped = _dump(file, document)
    if "\r\n" in file.text:  # the file's own line ends (a file made on Windows)
        dumped = dumped.replace("\r\n", "\n").replace("\n", "\r\n")
    if file.text.startswith("\ufeff") and not dumped.startswith("\ufeff"):
        dumped = "\ufeff" + dumped
    # What the model leaves out (betamax's response.url, a note) is replaced in the text.
    for text in (replace(dumped), dumped):
        try:
            if comparable(read_text(file.path, text).data) in (expected, rest_expected):
                return text
        except (CassetteCorruptError, NotACassetteError):
            continue
    raise ValueError(f"{file.path}: the scrubbed cassette would not read back the same")


def _replace_unmodelled(tool: str, document: Any, replace: Callable[[str], str]) -> None:
    """Replace the known values in what the model leaves out (:func:`unmodelled_texts`:
    vcrpy 1's ``response.url``, betamax's ``recorded_at``, notes), in place; in a URL the
    placeholder is percent-encoded, as the scrubber writes it in a query."""

    fix = _url_aware(replace)
    request_keys, response_keys = _MODELLED[tool]
    list_key = "http_interactions" if tool == "betamax" else "interactions"
    for key in list(document):
        if key != list_key:
            document[key] = _map_strings(document[key], fix)
    for item in document[list_key]:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key in ("request", "response") and isinstance(value, dict):
                known = request_keys if key == "request" else response_keys
                if key == "response" and tool == "vcrpy" and _httpx_layout(value):
                    known = known | {"content"}
                for name in [name for name in value if name not in known]:
                    value[name] = _map_strings(value[name], fix)
                if key == "response" and "body" in value:  # vcrpy < 5's httpx: none
                    value["body"] = _body_extras_replaced(value["body"], fix)
            else:
                item[key] = _map_strings(value, fix)


def _body_extras_replaced(body: Any, fix: Callable[[str], str]) -> Any:
    """A response body mapping with the known values replaced in the keys the model does
    not read (:func:`_extra_body_keys`: a recorder's own ``{"data": {...}}``)."""
    if not isinstance(body, Mapping):
        return body
    extras = dict(_extra_body_keys(body))
    return {key: _map_strings(item, fix) if key in extras else item for key, item in body.items()}


def _url_aware(replace: Callable[[str], str]) -> Callable[[str], str]:
    def fix(text: str) -> str:
        new = replace(text)
        if new != text and ABSOLUTE_URL.match(text):
            new = OWN_PLACEHOLDERS.sub(r"%3C\1%3E", new)
        return new

    return fix


def _with_rest_replaced(
    tool: str, data: Mapping[str, Any], replace: Callable[[str], str]
) -> dict[str, Any]:
    """``data`` with the known values replaced in the keys of its requests and responses
    that the scrubber leaves (vcrpy 1's ``response.url``), as :func:`_replace_unmodelled`
    writes them."""
    fix = _url_aware(replace)
    request_keys, response_keys = _MODELLED[tool]
    interactions = []
    for interaction in data.get("interactions") or ():
        pair = dict(interaction)
        for side, known in (("request", request_keys), ("response", response_keys)):
            message = pair.get(side)
            if isinstance(message, Mapping):
                pair[side] = {
                    key: value if key in known else _map_strings(value, fix)
                    for key, value in message.items()
                }
                if side == "response" and "body" in message:
                    pair[side]["body"] = _body_extras_replaced(message["body"], fix)
        interactions.append(pair)
    return {**data, "interactions": interactions}


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {key: _map_strings(item, fn) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, fn) for item in value]
    return fn(value) if isinstance(value, str) else value


def comparable(data: Mapping[str, Any]) -> list[Any]:
    """The interactions as the scrubber sees them: decoded, bodies as bytes, headers as lists."""
    out = []
    for interaction in data.get("interactions") or ():
        pair = []
        for side in ("request", "response"):
            message = decode_message(interaction[side], is_request=side == "request")
            body = message.get("body")
            if side == "response" and isinstance(body, Mapping):
                body = body.get("string")
            if isinstance(body, str):
                body = body.encode("utf-8", "surrogatepass")
            headers = {
                name.lower(): [str(v) for v in values]
                for name, values in _headers(message.get("headers")).items()
            }
            rest = {key: value for key, value in message.items() if key not in ("body", "headers")}
            pair.append((sorted(headers.items()), body or b"", json.dumps(rest, sort_keys=True)))
        out.append(pair)
    return out


def _set_headers(target: Any, headers: Mapping[str, Any]) -> Any:
    """``headers`` in the shape of ``target``: single strings stay single, order is kept."""
    if not isinstance(target, dict):
        return {name: list(values) for name, values in headers.items()}
    out: dict[str, Any] = {}
    for name, values in headers.items():
        old = target.get(name)
        single = old is not None and not isinstance(old, list | tuple) and len(values) == 1
        out[name] = values[0] if single else list(values)
    return out


def _set_request_body(old: Any, new: Any) -> Any:
    # a bytes body is decoded only to be read as a form (a binary upload stays bytes)
    def text() -> str:
        return (new.decode("utf-8", "surrogatepass") if isinstance(new, bytes) else new) or ""

    if isinstance(old, Mapping) and not ("string" in old and len(old) <= 2):
        return dict(parse_qsl(text(), keep_blank_values=True))
    if isinstance(old, Mapping):
        return {**old, "string": new}
    if isinstance(old, list):
        return [list(pair) for pair in parse_qsl(text(), keep_blank_values=True)]
    if isinstance(old, bytes) and isinstance(new, str):
        return new.encode("utf-8", "surrogatepass")
    return new


def _into_vcrpy(document: Any, scrubbed: Mapping[str, Any]) -> None:
    for item, new in zip(document["interactions"], scrubbed["interactions"], strict=True):
        request, response = item["request"], item["response"]
        for key in ("method", "uri"):
            request[key] = new["request"].get(key)
        request["body"] = _set_request_body(request.get("body"), new["request"].get("body"))
        request["headers"] = _set_headers(request.get("headers"), new["request"]["headers"])
        if "status" in response or "status" in new["response"]:
            response["status"] = new["response"].get("status", response.get("status"))
        response["headers"] = _set_headers(response.get("headers"), new["response"]["headers"])
        body = new["response"].get("body")
        if _httpx_layout(response):
            response["content"] = body.get("string") if isinstance(body, Mapping) else body
        elif isinstance(response.get("body"), Mapping) and isinstance(body, Mapping):
            response["body"] = {**response["body"], **body}
        else:
            response["body"] = body.get("string") if isinstance(body, Mapping) else body


def _set_betamax_body(old: Any, new: Any) -> Any:
    old = dict(old) if isinstance(old, Mapping) else {"encoding": "utf-8", "string": ""}
    if old.get("base64_string"):
        raw = new if isinstance(new, bytes) else str(new).encode(old.get("encoding") or "utf-8")
        old["base64_string"] = base64.b64encode(raw).decode("ascii")
    else:
        old["string"] = new.decode("utf-8", "replace") if isinstance(new, bytes) else new
    return old


def _into_betamax(document: Any, scrubbed: Mapping[str, Any]) -> None:
    for item, new in zip(document["http_interactions"], scrubbed["interactions"], strict=True):
        request, response = item["request"], item["response"]
        request["uri"] = new["request"].get("uri")
        request["body"] = _set_betamax_body(request.get("body"), new["request"].get("body"))
        request["headers"] = _set_headers(request.get("headers"), new["request"]["headers"])
        response["status"] = new["response"].get("status", response.get("status"))
        response["headers"] = _set_headers(response.get("headers"), new["response"]["headers"])
        body = new["response"].get("body")
        response["body"] = _set_betamax_body(
            response.get("body"), body.get("string") if isinstance(body, Mapping) else body
        )


def _dump(file: CassetteFile, document: Any) -> str:
    if file.syntax == "yaml":
        from vcr.serializers import yamlserializer

        text = str(yamlserializer.serialize(document))
        if "!!python/" in text:
            raise ValueError(f"{file.path}: the YAML text would hold a Python object tag")
        return text
    from .write.atomic import encode_binary

    indent, separators = _json_style(file.text)
    ascii_only = file.text.isascii() and "\\u" in file.text
    text = json.dumps(
        document,
        indent=indent,
        separators=separators,
        ensure_ascii=ascii_only,
        default=encode_binary,
    )
    return text + "\n" if file.text.endswith("\n") else text


def _json_style(text: str) -> tuple[int | str | None, tuple[str, str]]:
    """The indentation and separators a JSON file was written with."""
    lines = text.splitlines()
    indent: int | str | None = None
    if len(lines) > 1:
        second = lines[1]
        lead = second[: len(second) - len(second.lstrip())]
        indent = "\t" if lead.startswith("\t") else len(lead) or None
    item = "," if indent is not None else (", " if ", " in text else ",")
    key = ": " if '": ' in text else ":"
    return indent, (item, key)
