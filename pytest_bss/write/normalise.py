"""Stage 1 of the write path: every value becomes something a cassette can hold.

vcrpy hands over what the HTTP library was given: header values as ``bytes`` (the
everyday ``headers={"Authorization": b"Bearer " + token}``), request bodies as file-like
objects or iterators, numbers. Every later stage reads text, so every value is made plain
here, or the write is refused with :class:`~pytest_bss.exceptions.UnstorableValueError`:

* method, uri, header names and values: ``str`` (``bytes`` decoded as UTF-8, else
  Latin-1, which reads any byte string; numbers as their decimal text);
* headers: ``{name: [value, ...]}``, names sorted case-insensitively (vcrpy hands over
  response headers in no fixed order); the values of one header keep their order;
* request body: ``None``, ``str`` (UTF-8 text) or ``bytes``; a file-like body is read,
  an iterator's chunks are joined;
* response: ``status`` ``{code: int, message: str}``, ``body`` ``{string: str | bytes | None}``.

Nothing else reaches a cassette: a YAML cassette never holds a ``!!python/...`` tag.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ..exceptions import UnstorableValueError

__all__ = ["normalise", "normalise_request", "normalise_response"]


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")  # what http.client puts on the wire, byte for byte
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise UnstorableValueError(f"{where} is a {type(value).__name__}, not text")


def _headers(headers: Any, where: str) -> dict[str, list[str]]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise UnstorableValueError(f"{where} is a {type(headers).__name__}, not a mapping")
    out: dict[str, list[str]] = {}
    for name, values in headers.items():
        key = _text(name, f"a name in {where}")
        items = values if isinstance(values, list | tuple) else [values]
        out[key] = [_text(value, f"{where}.{key}") for value in items]
    return dict(sorted(out.items(), key=_header_order))


def _header_order(item: tuple[str, list[str]]) -> tuple[str, str]:
    return (item[0].lower(), item[0])


def _chunks(chunks: Iterable[Any], where: str) -> bytes:
    out = bytearray()
    for chunk in chunks:
        if isinstance(chunk, str):
            out += chunk.encode("utf-8")
        elif isinstance(chunk, bytes | bytearray | memoryview):
            out += bytes(chunk)
        else:
            raise UnstorableValueError(f"{where} holds a {type(chunk).__name__} chunk")
    return bytes(out)


def _request_body(body: Any) -> str | bytes | None:
    if body is None or isinstance(body, str):
        return body
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
    elif isinstance(body, io.BytesIO):
        raw = body.getvalue()
    elif hasattr(body, "read"):
        raw = _chunks([body.read()], "request.body")
    elif isinstance(body, Iterable) and not isinstance(body, Mapping):
        raw = _chunks(body, "request.body")
    else:
        raise UnstorableValueError(f"request.body is a {type(body).__name__}")
    try:
        return raw.decode("utf-8")  # as vcrpy stores a text body
    except UnicodeDecodeError:
        return raw


def normalise_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A new serialized request with only plain values (see the module docstring)."""
    return {
        "method": _text(request.get("method"), "request.method"),
        "uri": _text(request.get("uri"), "request.uri"),
        "body": _request_body(request.get("body")),
        "headers": _headers(request.get("headers"), "request.headers"),
    }


def normalise_response(response: Mapping[str, Any]) -> dict[str, Any]:
    """A new serialized response with only plain values (see the module docstring)."""
    status = response.get("status")
    if not isinstance(status, Mapping) or not isinstance(status.get("code"), int):
        raise UnstorableValueError("response.status is not {code: int, message: str}")
    body = response.get("body")
    string = body.get("string") if isinstance(body, Mapping) else body
    if string is not None and not isinstance(string, str | bytes):
        if isinstance(string, bytearray | memoryview):
            string = bytes(string)
        else:
            raise UnstorableValueError(f"response.body is a {type(string).__name__}")
    out = {
        "status": {
            "code": int(status["code"]),
            "message": _text(status.get("message") or "", "response.status.message"),
        },
        "headers": _headers(response.get("headers"), "response.headers"),
        "body": {"string": string},
    }
    for key, value in response.items():  # what other tools keep (vcrpy's "url" ...), if plain
        if key not in out and (value is None or isinstance(value, str | int | float | bool)):
            out[key] = value
    return out


#: What an interaction holds besides its request and response (pytest_bss.age).
METADATA: Final = ("recorded_at", "api_version")


def normalise(data: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """The stage: cassette data whose every interaction is normalised."""
    interactions = []
    for number, interaction in enumerate(data.get("interactions") or ()):
        try:
            interactions.append(
                {
                    "request": normalise_request(interaction["request"]),
                    "response": normalise_response(interaction["response"]),
                    # when and against which API version (write/stamp.py), if known
                    **{key: interaction[key] for key in METADATA if key in interaction},
                }
            )
        except UnstorableValueError as exc:
            raise UnstorableValueError(f"interaction {number}: {exc}") from None
    return {**data, "interactions": interactions}
