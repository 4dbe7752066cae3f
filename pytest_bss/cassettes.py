"""vcrpy assembly: the cassette class, its persister and its file formats.

vcrpy stays the record/replay engine; this module extends it where BSS suites need more:

- :class:`BssCassette` finds matching interactions through an index keyed on the
  method, path and query instead of scanning every interaction with every matcher,
  so replay cost grows linearly with the cassette; it raises errors that say which
  test to re-record; it can start empty (whole-cassette rewrite) and can be told
  not to save (a test that failed while recording keeps its old cassette).
- :class:`BssPersister` scrubs every interaction, refuses to write a cassette in
  which a known credential survived, writes atomically (temporary file + rename,
  under a lock that also holds across pytest-xdist workers) and loads strictly:
  an empty, unparsable or hostile file is an error, never a silent re-record.
- Cassettes are JSON (``.json``, fast to load and easy to review in a diff) or
  vcrpy's YAML (``.yaml``/``.yml``), chosen by the file name.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vcr.cassette import Cassette
from vcr.errors import UnhandledHTTPRequestError
from vcr.matchers import method as match_method
from vcr.matchers import path as match_path
from vcr.matchers import query as match_query
from vcr.matchers import requests_match
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode
from vcr.request import Request
from vcr.serializers import compat

from .exceptions import (
    CassetteCorruptError,
    CassetteMissingError,
    RequestAlreadyPlayedError,
    RequestNotRecordedError,
)
from .repeated_keys import json_with_shadows, yaml_repeated, yaml_shadows
from .secret_set import NEUTRAL_BASE, SecretSet
from .settings import DEFAULT_VOLATILE_HEADERS
from .write import WriteContext, write_cassette
from .write.atomic import YAML_SUFFIXES, atomic_write, dump_cassette
from .write.normalise import METADATA

if TYPE_CHECKING:
    from .personal import PersonalPolicy, Pseudonymiser

__all__ = [
    "FORMAT_VERSION",
    "BssCassette",
    "BssPersister",
    "HostileCassetteError",
    "atomic_write",
    "cassette_lock",
    "dump_cassette",
    "load_cassette_data",
    "parse_error",
    "parse_text",
    "use_cassette",
]

FORMAT_VERSION = 1
_PLACEHOLDER = re.compile(r"<BSS_[A-Z_]+(?:_\d+)?>")

# Bounds on what loading a cassette may cost, so that a hostile file fails fast instead of
# hanging the run or exhausting memory. Real cassettes stay far below them: the 4,000
# interaction benchmark cassette is 11 MB, expands to 148,000 YAML values and nests 6 deep.
#: the largest cassette file read, in bytes
MAX_CASSETTE_BYTES = 256 * 1024 * 1024
#: the most values (mappings, lists and scalars) a YAML cassette may expand to through its
#: aliases (a "billion laughs" alias bomb expands a few hundred bytes to billions)
MAX_YAML_NODES = 10_000_000
#: the deepest nesting of mappings and lists, counted from the top of the file
MAX_NESTING_DEPTH = 100


# ---------------------------------------------------------------------------
# Files: parse, dump, write atomically, lock


def load_cassette_data(path: Path) -> dict[str, Any]:
    """Read and validate one cassette file; every problem is a :class:`CassetteCorruptError`.

    Returns the serialized form ``{"version": 1, "interactions": [...]}`` with
    response bodies as vcrpy keeps them. Raises :class:`FileNotFoundError` when
    there is no file.
    """
    fix = (
        f"Restore it from version control (git checkout -- '{path}') "
        "or delete it and record the test again with --bss-record."
    )
    with path.open("rb") as handle:
        # Bounded read: the size on disk can lie (a growing file, a device).
        too_big = os.fstat(handle.fileno()).st_size > MAX_CASSETTE_BYTES
        raw = b"" if too_big else handle.read(MAX_CASSETTE_BYTES + 1)
    if too_big or len(raw) > MAX_CASSETTE_BYTES:
        raise CassetteCorruptError(
            f"Cassette {path} is larger than {MAX_CASSETTE_BYTES:,} bytes, the most pytest-bss "
            f"reads (pytest_bss.cassettes.MAX_CASSETTE_BYTES). {fix}",
            path=str(path),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteCorruptError(
            f"Cassette {path} is not UTF-8 text. {fix}", path=str(path)
        ) from None
    if not text.strip():
        raise CassetteCorruptError(
            f"Cassette {path} is empty. An empty file is never treated as 'not recorded yet'. {fix}",
            path=str(path),
        )
    try:
        data = _parse(path, text)
    except HostileCassetteError as exc:
        raise CassetteCorruptError(f"Cassette {path} {exc}. {fix}", path=str(path)) from None
    except Exception as exc:  # any parser failure is the same user-facing problem
        raise CassetteCorruptError(
            f"Cassette {path} cannot be parsed ({parse_error(exc)}). {fix}", path=str(path)
        ) from None
    _validate(path, data, fix)
    return data  # type: ignore[no-any-return]


def parse_error(exc: BaseException) -> str:
    """What went wrong parsing, and where, without quoting the file (it may hold a secret)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:  # PyYAML
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        # PyYAML's own Python tags name a module, never a value: say which was refused
        tag = re.search(r"tag:yaml\.org,2002:(python/[\w/.:]+)", str(getattr(exc, "problem", "")))
        if tag:
            return f"a !!{tag[1]} tag at {where}: refused, never run"
        return f"YAML error at {where}"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    return type(exc).__name__


class HostileCassetteError(ValueError):
    """A cassette over one of the loading bounds; the message completes "Cassette PATH ..."."""


def _parse(path: Path, text: str) -> Any:
    return parse_text(text, yaml_syntax=path.suffix in YAML_SUFFIXES)


def parse_text(
    text: str,
    *,
    yaml_syntax: bool,
    lenient: bool = False,
    duplicates: list[str] | None = None,
    shadows: list[Any] | None = None,
) -> Any:
    """Parse cassette text safely, within the loading bounds.

    YAML goes through a safe loader (no tag runs code) after an alias-bomb check; JSON's
    ``{"base64": ...}`` objects become bytes. ``lenient`` also reads the Python 2 era's
    ``!!python/unicode`` and ``!!python/str`` string tags, as vcrpy itself does (for
    ``pytest-bss audit`` and ``scrub`` on other tools' files). ``duplicates``: a list that
    gets where a mapping repeats a key (a parser keeps only one of its values), found in the
    same parse; ``shadows`` then gets the values a parser drops, as whole documents, each
    value in its place (:mod:`pytest_bss.repeated_keys`). Raises ``ValueError`` (or a parser's own error) for text it cannot
    read.
    """
    if yaml_syntax:
        loader = (_lenient_yaml_loader() if lenient else _yaml_loader())(text)
        try:
            # yaml.load in two steps, so that the size is known before anything is built.
            node = loader.get_single_node()
            if node is None:
                return None
            _check_yaml_size(node)
            repeated = yaml_repeated(loader, node) if duplicates is not None else []
            if repeated and duplicates is not None:
                duplicates.append(f"line {repeated[0][1].start_mark.line + 1}")
            document = loader.construct_document(node)
            if repeated and shadows is not None:
                shadows += yaml_shadows(loader, node, repeated, len(text))
            return document
        finally:
            loader.dispose()
    if duplicates is not None:
        document, found = json_with_shadows(text, _decode_binary, duplicates)
        if shadows is not None:
            shadows += found
        return document
    if '"base64"' not in text:  # no binary body: skip a Python call for every object
        return json.loads(text)
    return json.loads(text, object_hook=_decode_binary)


@functools.cache
def _yaml_loader() -> Any:
    # vcrpy's own loader is a safe loader: !!python/object tags are refused. A vcrpy
    # without it gets PyYAML's safe loader, which refuses every python tag.
    from vcr.serializers import yamlserializer

    loader = getattr(yamlserializer, "_CassetteLoader", None)
    if loader is None:  # pragma: no cover - depends on the vcrpy release
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


@functools.cache
def _lenient_yaml_loader() -> Any:
    base = _yaml_loader()

    class Lenient(base):  # type: ignore[misc,valid-type]
        """vcrpy's safe loader, plus the string tags PyYAML wrote under Python 2."""

    for tag in ("tag:yaml.org,2002:python/unicode", "tag:yaml.org,2002:python/str"):
        Lenient.add_constructor(tag, lambda loader, node: loader.construct_scalar(node))
    return Lenient


def _check_yaml_size(root: Any) -> None:
    """Raise :class:`HostileCassetteError` if the composed YAML graph is too deep, too big or cyclic.

    Aliases make the graph a DAG whose expanded size can be exponential in the file
    size; counting each node once (memoised) keeps this check linear in the file.
    """
    expanded: dict[int, int | None] = {}  # id(node) -> expanded size; None while inside it

    def size(node: Any, depth: int) -> int:
        if depth > MAX_NESTING_DEPTH:
            raise HostileCassetteError(f"nests deeper than {MAX_NESTING_DEPTH} levels")
        expanded[id(node)] = None
        total = 1
        children = node.value if node.id == "sequence" else [c for kv in node.value for c in kv]
        for child in children:
            if child.id == "scalar":
                total += 1
                continue
            known = expanded.get(id(child), 0)
            if known is None:
                raise HostileCassetteError(
                    "holds a YAML alias that refers to itself (a recursive value)"
                )
            total += known or size(child, depth + 1)
        if total > MAX_YAML_NODES:
            raise HostileCassetteError(
                f"expands to more than {MAX_YAML_NODES:,} values through its YAML aliases "
                "(an alias bomb?)"
            )
        expanded[id(node)] = total
        return total

    if root.id != "scalar":
        size(root, 1)


def _deeper_than(value: Any, levels: int) -> bool:
    """Whether mappings and lists nest more than ``levels`` deep in ``value`` (a tree)."""
    level = [value]
    while True:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            return False
        if levels <= 0:
            return True
        levels -= 1
        level = [
            child
            for item in containers
            for child in (item.values() if isinstance(item, dict) else item)
        ]


def _validate(path: Path, data: Any, fix: str) -> None:
    if not isinstance(data, dict) or "interactions" not in data:
        raise CassetteCorruptError(
            f"Cassette {path} has no 'interactions' list; it is not a vcrpy cassette. {fix}",
            path=str(path),
        )
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise CassetteCorruptError(
            f"Cassette {path} is in format version {version!r}; pytest-bss reads version "
            f"{FORMAT_VERSION}. Record it again with --bss-record.",
            path=str(path),
        )
    interactions = data["interactions"]
    if not isinstance(interactions, list):
        raise CassetteCorruptError(
            f"Cassette {path}: 'interactions' is not a list. {fix}", path=str(path)
        )
    too_deep = CassetteCorruptError(
        f"Cassette {path} nests deeper than {MAX_NESTING_DEPTH} levels. {fix}", path=str(path)
    )
    # What is not checked below may hold anything; JSON has no aliases, so only its depth
    # can hurt. Such keys are rare: the checks cost nothing for an ordinary cassette.
    if len(data) > 2 and _deeper_than(data, MAX_NESTING_DEPTH):
        raise too_deep
    for number, interaction in enumerate(interactions):  # from 0, as in every message
        ok = (
            isinstance(interaction, dict)
            and isinstance(interaction.get("request"), dict)
            and isinstance(interaction.get("response"), dict)
            and {"method", "uri"} <= interaction["request"].keys()
            and {"status", "body"} <= interaction["response"].keys()
        )
        if not ok:
            raise CassetteCorruptError(
                f"Cassette {path}: interaction {number} is missing its request or response. {fix}",
                path=str(path),
            )
        problem = _malformed(interaction["request"], interaction["response"])
        if problem:
            raise CassetteCorruptError(
                f"Cassette {path}: interaction {number} is malformed ({problem}). {fix}",
                path=str(path),
            )
        response = interaction["response"]
        extra_keys = (
            len(interaction) > 2
            or len(response) > 2 + ("headers" in response)
            or len(response["status"]) > 2
            or len(response["body"]) > 1
        )
        # the interaction is at level 3: file, interactions, interaction
        if extra_keys and _deeper_than(interaction, MAX_NESTING_DEPTH - 2):
            raise too_deep


def _malformed(request: dict[str, Any], response: dict[str, Any]) -> str:
    # What vcrpy needs to rebuild a request and play a response; anything else
    # would fail later, inside vcrpy, as a traceback in the middle of a test.
    if not request.keys() <= {"method", "uri", "body", "headers"}:
        return f"unknown request keys {sorted(request.keys() - {'method', 'uri', 'body', 'headers'}, key=str)}"
    method, uri = request["method"], request["uri"]
    if not (isinstance(method, str) and method and isinstance(uri, str)):
        return "request method and uri must be strings"
    if _bad_uri(uri):
        return "request uri must be an http:// or https:// URL"
    if isinstance(request.get("body"), dict | list | int | float):
        return "request body must be text, bytes or null"
    status = response["status"]
    if not (
        isinstance(status, dict)
        and type(status.get("code")) is int  # not a bool
        and isinstance(status.get("message"), str)
    ):
        return "response status must be {code: int, message: str}"
    if not 100 <= status["code"] <= 999:
        return "response status code must be from 100 to 999"
    body = response["body"]
    if not (
        isinstance(body, dict)
        and "string" in body
        and isinstance(body["string"], str | bytes | None)
    ):
        return "response body must be {string: text or bytes}"
    for side, message in (("request", request), ("response", response)):
        headers = message.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(name, str)
            and (isinstance(value, str) or (isinstance(value, list) and value and _all_str(value)))
            for name, value in headers.items()
        ):
            return f"{side} headers must map names to strings or lists of strings"
    return ""


def _bad_uri(uri: str) -> bool:
    scheme, _, rest = uri.partition("://")
    if scheme not in ("https", "http"):
        return True
    authority = rest.partition("/")[0].partition("?")[0].partition("#")[0]
    if ":" not in authority and "[" not in authority and "]" not in uri:
        return False  # nothing urllib could refuse: spare the parse
    try:
        urlsplit(uri).port  # noqa: B018 - raises ValueError on a bad host or port
    except ValueError:
        return True
    return False


def _all_str(values: list[Any]) -> bool:
    return all(isinstance(value, str) for value in values)


def _decode_binary(obj: dict[str, Any]) -> Any:
    # A body that is not UTF-8 is stored as {"base64": "..."}; give vcrpy its bytes back.
    if obj.keys() == {"base64"} and isinstance(obj["base64"], str):
        return base64.b64decode(obj["base64"], validate=True)  # junk is an error, not b""
    return obj


@contextlib.contextmanager
def cassette_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` across threads and processes (pytest-xdist workers).

    The lock file lives in the temporary directory, so cassette folders stay clean.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: atomic rename still protects each file
        yield
        return
    digest = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:24]
    # One folder per user: another user's folder would refuse us its files.
    lock_dir = Path(tempfile.gettempdir()) / f"pytest-bss-locks-{os.getuid()}"
    lock_dir.mkdir(mode=0o700, exist_ok=True)
    with open(lock_dir / f"{digest}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------
# Persister


@dataclass
class BssPersister:
    """Loads strictly, scrubs, refuses leaks and writes atomically.

    vcrpy calls ``load_cassette`` and ``save_cassette``; the serializer it passes is
    ignored because the file name decides the format.
    """

    secrets: SecretSet
    base_urls: tuple[str, ...] = ()
    neutral_base: str = NEUTRAL_BASE
    #: ``bss_volatile_headers`` entries (see :mod:`pytest_bss.write.volatile`)
    volatile_headers: tuple[str, ...] = DEFAULT_VOLATILE_HEADERS
    #: the copy of a cassette as it was before this run first rewrote it, if one was kept
    baseline_for: Callable[[Path], Path | None] | None = None
    #: the personal-data policy a cassette is written with; None: the stage is off
    personal_for: Callable[[Path], PersonalPolicy] | None = None
    #: draws pseudonyms (None: personal data is only checked)
    pseudonymiser: Pseudonymiser | None = None
    #: placeholders in every file this persister wrote (the "values scrubbed" count)
    scrubbed_values: int = field(default=0, init=False)
    #: per file read: the metadata of each interaction (recorded_at ...), in file order
    _metadata: dict[str, list[dict[str, Any]]] = field(default_factory=dict, init=False)

    def forget(self, cassette_path: str | Path) -> None:
        """Drop what was read of ``cassette_path`` (it is being rewritten from scratch)."""
        self._metadata.pop(str(cassette_path), None)

    def recorded_on(self, cassette_path: str | Path) -> tuple[bool, Any]:
        """(whether the file was read, the date of its oldest interaction or ``None``)."""
        from .age import oldest_recording

        metadata = self._metadata.get(str(cassette_path))
        return (metadata is not None, oldest_recording(metadata) if metadata else None)

    def load_cassette(self, cassette_path: str | Path, serializer: object = None) -> Any:
        path = Path(cassette_path)
        try:
            data = load_cassette_data(path)
        except FileNotFoundError:
            raise CassetteNotFoundError() from None
        # A hand-edited cassette may leave out what vcrpy always writes.
        requests = [
            Request._from_dict({"body": None, "headers": {}, **i["request"]})
            for i in data["interactions"]
        ]
        responses = [
            compat.convert_to_bytes({"headers": {}, **i["response"]}) for i in data["interactions"]
        ]
        self._metadata[str(path)] = [
            {key: i[key] for key in METADATA if key in i} for i in data["interactions"]
        ]
        return requests, responses

    def save_cassette(
        self, cassette_path: str | Path, cassette_dict: dict[str, Any], serializer: object = None
    ) -> None:
        path = Path(cassette_path)
        # Interactions read from the file come first and keep when they were recorded.
        metadata = self._metadata.get(str(path), [])
        data = {
            "version": FORMAT_VERSION,
            "interactions": [
                {
                    "request": request._to_dict(),
                    "response": response,
                    **(metadata[index] if index < len(metadata) else {}),
                }
                for index, (request, response) in enumerate(
                    zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)
                )
            ],
        }
        context = WriteContext(
            path,
            self.secrets,
            base_urls=self.base_urls,
            neutral_base=self.neutral_base,
            volatile_headers=self.volatile_headers,
            baseline=self.baseline_for(path) if self.baseline_for is not None else None,
            personal=self.personal_for(path) if self.personal_for is not None else None,
            pseudonymiser=self.pseudonymiser,
            loaded=len(metadata),
        )
        text = write_cassette(data, context)
        self.scrubbed_values += len(_PLACEHOLDER.findall(text))


# ---------------------------------------------------------------------------
# Cassette


def _index_key_parts(match_on: Sequence[Callable[..., Any]]) -> tuple[bool, bool, bool]:
    names = set(match_on)
    return (match_method in names, match_path in names, match_query in names)


def _empty_path_is_slash() -> bool:
    """Whether this vcrpy's ``path`` matcher takes an empty path for "/" (vcrpy 9.4 does)."""
    try:
        match_path(Request("GET", "https://h", None, {}), Request("GET", "https://h/", None, {}))
    except AssertionError:
        return False
    return True


_EMPTY_PATH_IS_SLASH = _empty_path_is_slash()


@contextlib.contextmanager
def _force_reset() -> Iterator[None]:
    """vcrpy's ``force_reset`` without the pools' ``ConnectionCls``: safe with threads.

    vcrpy opens a process-wide "reset" window around building each real connection
    and around each recorded request. Inside it, every connection pool's
    ``ConnectionCls`` is the real class again, so another thread that opens a
    connection meanwhile gets a real one: its request bypasses the cassette (lost
    while recording, sent to the network during replay). Nothing inside the window
    reads ``ConnectionCls`` (the stub builds its real connection from its own base
    class), so leaving it patched changes nothing for the thread that opened it.
    The module attributes (``http.client.HTTPSConnection`` ...) are still reset:
    ``http.client`` looks itself up by name while building a connection.
    """
    from vcr import patch as vcr_patch

    undo = getattr(vcr_patch, "_undo_reset", None)
    with contextlib.ExitStack() as stack:
        for patcher in vcr_patch.reset_patchers():
            if patcher.attribute == "ConnectionCls":
                continue
            patcher.__enter__()
            target, attribute = patcher.target, patcher.attribute
            if undo is None:  # pragma: no cover - vcrpy before 9.4
                stack.callback(patcher.__exit__, None, None, None)
            else:
                stack.callback(undo, patcher, target, attribute, getattr(target, attribute))
        yield


def _remember_recent(filter_request: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``filter_request`` that reuses its recent answers for the same, unchanged requests.

    vcrpy filters one incoming request twice while playing it, and once more the filtered
    copy (``can_play_response_for`` → ``__contains__`` → ``play_response``); the filter
    (a deep copy, then scrubbing) is most of the cost of a replayed request. Scrubbing and
    vcrpy's filters are idempotent, so a copy this function made passes through as is.
    """
    recent: list[tuple[Any, ...]] = []

    def filtered(request: Any) -> Any:
        for seen, uri, body, result in recent:
            if seen is request and uri == request.uri and body == request.body:
                return result
            if result is request:  # already filtered: filtering is idempotent
                return result
        result = filter_request(request)
        recent.insert(0, (request, request.uri, request.body, result))
        del recent[4:]
        return result

    return filtered


class BssCassette(Cassette):  # type: ignore[misc]
    """A vcrpy cassette with indexed matching and errors that name the fix.

    Extra keyword arguments (all optional): ``rewrite`` starts empty instead of
    loading the file; ``nodeid`` is the test the cassette belongs to, used in
    messages; ``record_command`` is the command that re-records it; ``trust_loaded``
    adds stored interactions without running the record filters on them again (only
    right when no filter was added since they were recorded).

    Safe to use from many threads at once (vcrpy's ``Cassette`` is not): finding,
    playing and appending interactions happen under one lock, and while the
    cassette is in use vcrpy's ``force_reset`` is replaced by :func:`_force_reset`.
    Identical requests made concurrently get the recorded responses in recorded
    order, one each, whichever thread asks first.
    """

    def __init__(
        self,
        path: str,
        *,
        rewrite: bool = False,
        nodeid: str = "",
        record_command: str = "",
        trust_loaded: bool = False,
        **kwargs: Any,
    ) -> None:
        self.rewrite = rewrite
        self.trust_loaded = trust_loaded
        self._loading = False
        self.nodeid = nodeid
        self.record_command = record_command
        self.discard = False
        self.saved = False
        self.file_missing = False
        self.loaded = 0
        #: while recording: the response as the test should see it (personal data
        #: pseudonymised), from the response vcrpy is about to hand the test
        self.live_view: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self._index: dict[tuple[Any, ...], list[int]] = {}
        self._lock = threading.RLock()
        super().__init__(path, **kwargs)
        self._key_parts = _index_key_parts(self._match_on)
        # Requests with equal index keys already pass vcrpy's method, path and query
        # matchers (the key holds exactly what they compare); only the others are run.
        covered = (match_method, match_path, match_query)
        self._other_matchers = [m for m in self._match_on if m not in covered]
        self._last_key: tuple[Any, tuple[Any, Any], tuple[Any, ...]] | None = None
        self._before_record_request: Callable[[Any], Any] = _remember_recent(
            self._before_record_request
        )
        patches: tuple[Any, ...] = tuple(getattr(self, "custom_patches", ()))
        self.custom_patches = (*patches, *_default_custom_patches())

    # -- loading and saving -------------------------------------------------

    def _load(self) -> None:
        if self.rewrite:
            forget = getattr(self._persister, "forget", None)
            if forget is not None:  # nothing read: no recording dates to keep
                forget(self._path)
            return
        if not Path(self._path).is_file():
            self.file_missing = True
            return
        self._loading = True
        try:
            super()._load()
        finally:
            self._loading = False
        self.loaded = len(self.data)

    def _save(self, force: bool = False) -> None:
        if self.discard:
            return
        writes = bool(self.dirty or force)
        super()._save(force=force)
        self.saved = self.saved or writes

    @property
    def loaded_from_file(self) -> bool:
        """Whether this use read the cassette's file (not missing, not rewritten)."""
        return not (self.rewrite or self.file_missing)

    @property
    def new_interactions(self) -> int:
        """How many interactions were recorded while the cassette was in use."""
        return len(self.data) - self.loaded

    # -- indexed matching ----------------------------------------------------

    def _key(self, request: Any) -> tuple[Any, ...]:
        last = self._last_key
        if last is not None and last[0] is request and last[1] == (request.method, request.uri):
            return last[2]  # asked again for the same request: parsing its URL costs most
        use_method, use_path, use_query = self._key_parts
        path = request.path if use_path else None
        key = (
            request.method if use_method else None,
            (path or "/") if _EMPTY_PATH_IS_SLASH else path,
            tuple(request.query) if use_query else None,
        )
        self._last_key = (request, (request.method, request.uri), key)
        return key

    def append(self, request: Any, response: Any) -> None:
        with self._lock:
            before = len(self.data)
            if self._loading and self.trust_loaded:
                # Stored interactions were filtered and scrubbed when they were recorded;
                # filtering and copying them again on every load only costs time.
                self.data.append((request, response))
            else:
                super().append(request, response)
                if self.live_view is not None and isinstance(response, dict):
                    # vcrpy hands the test this very dict: it reads what the file will hold.
                    response.update(self.live_view(response))
            if len(self.data) > before:
                stored = self.data[-1][0]
                self._index.setdefault(self._key(stored), []).append(len(self.data) - 1)

    def _responses(self, request: Any) -> Iterator[tuple[int, Any]]:
        request = self._before_record_request(request)
        if request is None:
            return
        others = self._other_matchers
        for index in self._index.get(self._key(request), ()):
            stored_request, response = self.data[index]
            if not others or requests_match(request, stored_request, others):
                yield index, response

    # -- replay errors -------------------------------------------------------

    def can_play_response_for(self, request: Any) -> bool:
        with self._lock:
            if super().can_play_response_for(request):
                return True
            if (
                self.record_mode == RecordMode.NONE
                and self._before_record_request(request) is not None
            ):
                raise self._unplayable(request)
            return False

    def play_response(self, request: Any) -> Any:
        with self._lock:
            try:
                return super().play_response(request)
            except UnhandledHTTPRequestError:
                # Another thread played the last matching response between this
                # thread's can_play_response_for() and now.
                raise self._unplayable(request) from None

    def take_response(self, request: Any) -> Any:
        """The next recorded response for ``request``, marked as played; None if none is left.

        ``can_play_response_for`` and ``play_response`` in one step, so that no other
        thread can take the response in between. Raises the same errors as they do.
        """
        with self._lock:
            if not self.can_play_response_for(request):
                return None
            return self.play_response(request)

    def _unplayable(self, request: Any) -> Exception:
        filtered = self._before_record_request(request)
        shown = f"{filtered.method} {_relative(filtered.uri)}"
        fix = f"Record this test again:\n    {self.record_command}" if self.record_command else ""
        test = f" for {self.nodeid}" if self.nodeid else ""
        if self.file_missing:
            return CassetteMissingError(
                f"No cassette{test}: {self._path} does not exist, so {shown} cannot be replayed.\n"
                f"{fix}\n(README: Troubleshooting, 'No cassette for this test')",
                path=str(self._path),
            )
        matching = [i for i, _ in self._responses(request)]
        if matching:
            return RequestAlreadyPlayedError(
                f"{shown} was recorded in {self._path}, but its {len(matching)} recorded "
                f"response(s) were already played{test}: the test now makes this request more "
                f"often than when it was recorded.\n{fix}\n"
                "(README: Troubleshooting, 'Request already played')",
                path=str(self._path),
            )
        lines = [f"{shown} was not recorded in {self._path} ({len(self.data)} interactions){test}."]
        nearest = self.find_requests_with_most_matches(filtered)[:3]
        if nearest:
            lines.append("Nearest recorded requests:")
            for stored, _ok, failed in nearest:
                differs = ", ".join(name for name, _ in failed) or "nothing"
                lines.append(f"  {stored.method} {_relative(stored.uri)}  (differs in {differs})")
        lines += [fix, "(README: Troubleshooting, 'Request not recorded')"]
        return RequestNotRecordedError(
            "\n".join(line for line in lines if line), path=str(self._path)
        )


# ---------------------------------------------------------------------------
# Using a cassette: load, patch, save


@contextlib.contextmanager
def use_cassette(**options: Any) -> Iterator[BssCassette]:
    """vcrpy's ``Cassette.use`` for pytest-bss: load the cassette, patch, and save on the way out.

    ``options`` are the keyword arguments of :class:`BssCassette` plus vcrpy's
    ``record_on_exception`` (default ``True``: saved even when the block raises). The
    cassette is saved after the HTTP libraries are un-patched, so an error while saving
    leaves nothing patched. vcrpy's patchers are shared between cassettes (see
    :class:`_SharedPatchers`), which makes opening a small cassette several times cheaper.
    """
    record_on_exception = options.pop("record_on_exception", True)
    options.pop("func_path_generator", None)  # only for decorators; pytest-bss names paths
    transform = options.pop("path_transformer", None)  # a pytest_bss_configure_vcr hook may set it
    if transform is not None:
        options["path"] = transform(options["path"])
    cassette = BssCassette.load(**options)
    failed = True
    try:
        with _in_use(), _patched(cassette):
            yield cassette
        failed = False
    finally:
        if record_on_exception or not failed:
            cassette._save()


_IN_USE = [0]
_IN_USE_LOCK = threading.Lock()


def cassettes_in_use() -> int:
    """How many pytest-bss cassettes are in use in this process now (all threads)."""
    return _IN_USE[0]


@contextlib.contextmanager
def _in_use() -> Iterator[None]:
    # The host guard (host_guard.py) lets requests to the tenant through only while this
    # is positive: a recording cassette's own connection to the tenant among them.
    with _IN_USE_LOCK:
        _IN_USE[0] += 1
    try:
        yield
    finally:
        with _IN_USE_LOCK:
            _IN_USE[0] -= 1


class _ActiveCassette:
    """What vcrpy's shared patched classes see as "the cassette": the innermost one in use.

    vcrpy binds the cassette into the connection classes it builds, so every attribute
    they ask for (and ``len()``, ``in``) is looked up on the innermost :class:`BssCassette`
    in use, or on the last one used while it lives, for a connection that outlived it.
    The stack is a tuple, replaced whole under ``_SHARED_LOCK``: readers in other threads
    see one consistent stack without taking the lock.
    """

    def __init__(self, skip_patchers: tuple[str, ...], custom_patches: tuple[Any, ...]) -> None:
        self.skip_patchers = skip_patchers
        self.custom_patches = custom_patches
        self.stack: tuple[BssCassette, ...] = ()
        self.last: weakref.ref[BssCassette] | None = None

    def current(self) -> BssCassette | None:
        stack = self.__dict__["stack"]  # read once: another thread may replace it
        if stack:
            return stack[-1]  # type: ignore[no-any-return]
        last = self.__dict__["last"]
        return None if last is None else last()

    @property
    def _path(self) -> str:
        cassette = self.current()
        return "<the pytest-bss cassette in use>" if cassette is None else str(cassette._path)

    def __len__(self) -> int:
        return len(self._required())

    def __contains__(self, request: Any) -> bool:
        return request in self._required()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this object does not have itself.
        cassette = self.current()
        if cassette is None:
            raise AttributeError(name)
        return getattr(cassette, name)

    def _required(self) -> BssCassette:
        cassette = self.current()
        if cassette is None:
            raise RuntimeError("no pytest-bss cassette is in use")
        return cassette


class _SharedPatchers:
    """vcrpy's patchers for every library, built once per process and reused by every cassette.

    vcrpy builds a few dozen connection subclasses and ``mock.patch`` objects for each
    cassette it opens; for a test replaying five requests that costs more than the
    requests. Here they are built once, bound to an :class:`_ActiveCassette`, entered when
    the outermost pytest-bss cassette opens and left when it closes; a nested cassette is
    pushed on the stack. Whenever the patched attributes are not what these patchers expect
    (another tool patched them: a pytest-recording cassette, say) the cassette gets vcrpy's
    own per-cassette patchers instead, so nesting behaves exactly as in vcrpy.
    """

    def __init__(self, skip_patchers: tuple[str, ...], custom_patches: tuple[Any, ...]) -> None:
        from vcr.patch import CassettePatcherBuilder

        self.target = _ActiveCassette(skip_patchers, custom_patches)
        built = list(CassettePatcherBuilder(self.target).build())
        # vcrpy patches some attributes twice (urllib3 for requests and for itself): the
        # last patcher of an attribute decides what it holds, so only that one is entered.
        last: dict[tuple[Any, str], int] = {}
        for n, patcher in enumerate(built):
            place = _patched_place(patcher)
            if place is not None:
                last[place] = n
        keep = set(last.values())
        self.patchers = [p for n, p in enumerate(built) if n in keep or not _patched_place(p)]
        self.patched = [(target, name, built[n].new) for (target, name), n in last.items()]
        # what each attribute holds when these patchers are not in effect
        self.originals = [getattr(target, name) for target, name, _ in self.patched]
        self.entered = False

    def unpatched(self) -> bool:
        return all(
            getattr(target, name) is original
            for (target, name, _), original in zip(self.patched, self.originals, strict=True)
        )

    def in_effect(self) -> bool:
        return all(getattr(target, name) is new for target, name, new in self.patched)

    def enter(self, cassette: BssCassette) -> None:
        with contextlib.ExitStack() as stack:
            for patcher in self.patchers:
                stack.enter_context(patcher)
            stack.pop_all()
        self.entered = True
        self.push(cassette)

    def push(self, cassette: BssCassette) -> None:
        self.target.stack = (*self.target.stack, cassette)

    def leave(self, cassette: BssCassette) -> None:
        stack = list(self.target.stack)
        # The innermost occurrence: threads may leave out of order.
        del stack[len(stack) - 1 - stack[::-1].index(cassette)]
        self.target.stack = tuple(stack)
        self.target.last = weakref.ref(cassette)
        if stack:
            return
        self.entered = False
        with contextlib.ExitStack() as unwind:  # every patcher is undone, even if one fails
            for patcher in self.patchers:  # undone last first
                # vcrpy's ConnectionRemover keeps every pool it saw: forget them once it has
                # closed their connections (callbacks run in reverse, so after its exit).
                pools = getattr(patcher, "_connection_pool_to_connections", None)
                if pools is not None:
                    unwind.callback(pools.clear)
                unwind.push(patcher.__exit__)


def _patched_place(patcher: Any) -> tuple[Any, str] | None:
    """(object, attribute) a ``mock.patch`` patcher replaces; None for vcrpy's ConnectionRemovers."""
    if not hasattr(patcher, "attribute"):
        return None
    return patcher.getter(), patcher.attribute


_SHARED: dict[tuple[str, ...], _SharedPatchers] = {}
_SHARED_LOCK = threading.Lock()


def _default_custom_patches() -> tuple[Any, ...]:
    """What every BssCassette patches besides vcrpy's own: its thread-safe ``force_reset``."""
    from vcr import patch as vcr_patch

    return ((vcr_patch, "force_reset", _force_reset),)


@contextlib.contextmanager
def _patched(cassette: BssCassette) -> Iterator[None]:
    """Patch every HTTP library vcrpy knows so that its requests go to ``cassette``."""
    shared = None
    custom = tuple(cassette.custom_patches)
    if custom == _default_custom_patches():
        skip = tuple(sorted(getattr(cassette, "skip_patchers", ())))
        with _SHARED_LOCK:
            shared = _SHARED.get(skip)
            if shared is not None and shared.entered and shared.in_effect():
                shared.push(cassette)
            elif shared is not None and not shared.entered and shared.unpatched():
                shared.enter(cassette)
            elif shared is None or not shared.entered:
                # First use, or the world changed since these were built: build anew.
                shared = _SHARED[skip] = _SharedPatchers(skip, custom)
                shared.enter(cassette)
            else:
                shared = None  # nested inside another tool's patches: vcrpy's own way
    if shared is None:
        from vcr.patch import CassettePatcherBuilder

        with contextlib.ExitStack() as stack:
            for patcher in CassettePatcherBuilder(cassette).build():
                stack.enter_context(patcher)
            yield
        return
    try:
        yield
    finally:
        with _SHARED_LOCK:
            shared.leave(cassette)


def _relative(uri: str) -> str:
    return uri[len(NEUTRAL_BASE) :] if uri.startswith(NEUTRAL_BASE) else uri


def replay_adapter(cassette: BssCassette) -> Any:
    """A ``requests`` transport adapter that answers from ``cassette`` during replay.

    The cassette still decides everything (matching, play order, errors); the adapter only
    skips the round trip through vcrpy's patched connection classes, which costs more than
    the rest of a replayed request. Mounted on ``bss_client`` for the replay base URL.
    Requests it cannot answer from the cassette go through vcrpy as usual.
    """
    return _cassette_adapter_class()(cassette)


@functools.cache
def _cassette_adapter_class() -> type[Any]:
    # Built on first use: requests and urllib3 load only when a test replays through them.
    import io

    import requests.adapters
    from urllib3 import HTTPResponse
    from urllib3._collections import HTTPHeaderDict

    class CassetteAdapter(requests.adapters.HTTPAdapter):
        def __init__(self, cassette: BssCassette) -> None:
            super().__init__()
            self.cassette = cassette

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            recorded_request = Request(
                request.method, request.url, request.body, dict(request.headers)
            )
            recorded = self.cassette.take_response(recorded_request)
            if recorded is None:
                return super().send(request, *args, **kwargs)
            headers = HTTPHeaderDict()
            for name, values in recorded["headers"].items():
                if name.lower() == "transfer-encoding":
                    continue  # the stored body is whole, never chunked
                for value in values if isinstance(values, list) else [values]:
                    headers.add(name, value)
            body = recorded["body"]["string"]
            content = body.encode() if isinstance(body, str) else bytes(body or b"")
            raw = HTTPResponse(
                body=io.BytesIO(content),
                headers=headers,
                status=recorded["status"]["code"],
                reason=recorded["status"]["message"],
                preload_content=False,
                decode_content=True,
                request_method=request.method,  # a HEAD response has no body to read
            )
            response = self.build_response(request, raw)
            if "content-encoding" not in headers:
                # The body is whole and as sent: give it to requests now rather than through
                # urllib3's streaming reader (response.raw still reads it, for stream=True).
                response._content = content
            return response

    return CassetteAdapter
