"""The last stage of the write path: serialize, check the text, replace the file atomically.

JSON cassettes are written with ``indent=2`` and ``ensure_ascii=False``; a body is stored
as text when its bytes are UTF-8 (vcrpy turns it back into the same bytes), otherwise as
``{"base64": ...}``. YAML cassettes use vcrpy's serializer. Either
way the text is checked before it is written (no ``!!python/`` tag, ever), then written to
a temporary file next to the cassette and renamed over it: readers see the old file or the
new one, never half of one, and a refused or failed write leaves the old file as it was.
A file that already holds the text is not written at all: an unchanged cassette keeps its
mtime, and tools that watch files see nothing happen.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from pathlib import Path
from secrets import token_hex
from typing import Any, Final

from ..exceptions import UnstorableValueError

__all__ = [
    "YAML_SUFFIXES",
    "atomic_write",
    "dump_cassette",
    "encode_binary",
    "holds_text",
    "write_text",
]

YAML_SUFFIXES: Final = (".yaml", ".yml")


def encode_binary(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    raise UnstorableValueError(f"a {type(value).__name__} cannot be stored in a JSON cassette")


def _as_text(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")  # strict: encoding it again gives the same bytes
        except UnicodeDecodeError:
            return body
    return body


def _text_bodies(data: dict[str, Any]) -> dict[str, Any]:
    interactions = data.get("interactions")
    if not isinstance(interactions, list):
        return data
    out = []
    for interaction in interactions:
        if isinstance(interaction, dict):
            interaction = dict(interaction)
            request, response = interaction.get("request"), interaction.get("response")
            if isinstance(request, dict) and isinstance(request.get("body"), bytes):
                interaction["request"] = {**request, "body": _as_text(request["body"])}
            if isinstance(response, dict) and isinstance(response.get("body"), dict):
                body = response["body"]
                if isinstance(body.get("string"), bytes):
                    string = _as_text(body["string"])
                    interaction["response"] = {**response, "body": {**body, "string": string}}
        out.append(interaction)
    return {**data, "interactions": out}


def dump_cassette(path: Path, data: dict[str, Any]) -> str:
    """Serialize cassette data in the format the file name asks for."""
    data = _text_bodies(data)
    if path.suffix in YAML_SUFFIXES:
        from vcr.serializers import yamlserializer

        text = str(yamlserializer.serialize(data))
        if "!!python/" in text:  # only plain values reach here (normalise); never write one
            raise UnstorableValueError("the YAML text would hold a Python object tag")
        return text
    return json.dumps(data, indent=2, ensure_ascii=False, default=encode_binary) + "\n"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _create_temp(path: Path) -> tuple[int, str]:
    # Not tempfile.mkstemp: its 0600 would become the cassette's mode. A new cassette
    # gets 0666 minus the umask like any file; a replaced one keeps its mode.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        with contextlib.suppress(OSError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        return fd, tmp
    raise FileExistsError(f"no free temporary file name next to {path}")


def holds_text(path: Path, text: str) -> bool:
    """Whether the file at ``path`` holds exactly ``text`` (UTF-8); False if it can't be read."""
    encoded = text.encode("utf-8")
    try:
        if path.stat().st_size != len(encoded):
            return False
        return path.read_bytes() == encoded
    except OSError:
        return False


def write_text(path: Path, data: dict[str, Any]) -> str:
    """Serialize ``data`` as the file name asks and write it atomically; return the text.

    A file that already holds that text is left as it is.
    """
    text = dump_cassette(path, data)
    if not holds_text(path, text):
        atomic_write(path, text)
    return text
