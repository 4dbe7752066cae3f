"""The last stage of the write path: serialize, check the text, replace the file atomically.

JSON cassettes are written with ``indent=2`` and ``ensure_ascii=False``; a body that is not
UTF-8 text is stored as ``{"base64": ...}``. YAML cassettes use vcrpy's serializer. Either
way the text is checked before it is written (no ``!!python/`` tag, ever), then written to
a temporary file next to the cassette and renamed over it: readers see the old file or the
new one, never half of one, and a refused or failed write leaves the old file as it was.
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

__all__ = ["YAML_SUFFIXES", "atomic_write", "dump_cassette", "write_text"]

YAML_SUFFIXES: Final = (".yaml", ".yml")


def _encode_binary(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    raise UnstorableValueError(f"a {type(value).__name__} cannot be stored in a JSON cassette")


def dump_cassette(path: Path, data: dict[str, Any]) -> str:
    """Serialize cassette data in the format the file name asks for."""
    if path.suffix in YAML_SUFFIXES:
        from vcr.serializers import yamlserializer

        text = str(yamlserializer.serialize(data))
        if "!!python/" in text:  # only plain values reach here (normalise); never write one
            raise UnstorableValueError("the YAML text would hold a Python object tag")
        return text
    return json.dumps(data, indent=2, ensure_ascii=False, default=_encode_binary) + "\n"


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


def write_text(path: Path, data: dict[str, Any]) -> str:
    """Serialize ``data`` as the file name asks and write it atomically; return the text."""
    text = dump_cassette(path, data)
    atomic_write(path, text)
    return text
