"""Unit tests of pytest_bss.cassettes: strict loading, atomic writes, locks, threads."""

from __future__ import annotations

import collections
import contextlib
import fnmatch
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from child_signals import default_sigint
from vcr.matchers import method, path, query
from vcr.record_mode import RecordMode
from vcr.request import Request

from pytest_bss.cassettes import (
    BssCassette,
    BssPersister,
    atomic_write,
    cassette_lock,
    dump_cassette,
    load_cassette_data,
)
from pytest_bss.exceptions import CassetteCorruptError, RequestAlreadyPlayedError
from pytest_bss.scrub import NEUTRAL_BASE, SecretSet


def interaction(where: str, body: str = "{}") -> dict[str, Any]:
    return {
        "request": {"method": "GET", "uri": NEUTRAL_BASE + where, "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": body},
        },
    }


def cassette_text(*interactions: dict[str, Any]) -> str:
    return json.dumps({"version": 1, "interactions": list(interactions)})


GOOD = cassette_text(interaction("api/accounts/1001", '{"id": 1001}'))
# A hostile YAML tag would create this file (the tests put it under tmp_path).
TOUCHED = "{touched}"

BROKEN = {
    "empty": ("x.json", b"", "is empty"),
    "blank": ("x.json", b" \n\t\n", "is empty"),
    "truncated-json": ("x.json", GOOD.encode()[: len(GOOD) // 2], "cannot be parsed"),
    "truncated-yaml": (
        "x.yaml",
        b"interactions:\n- request:\n    method: 'GET\n",
        "cannot be parsed",
    ),
    "other-version": (
        "x.json",
        json.dumps({"version": 2, "interactions": []}).encode(),
        "is in format version 2",
    ),
    "no-version": ("x.json", b'{"interactions": []}', "is in format version None"),
    "not-utf8": ("x.json", b'{"version": 1, "interactions": [\xff\xfe]}', "is not UTF-8 text"),
    "python-object-apply": (
        "x.yaml",
        f"version: 1\ninteractions: !!python/object/apply:os.mkdir ['{TOUCHED}']\n".encode(),
        "cannot be parsed",
    ),
    "python-object-new": (
        "x.yaml",
        f"version: 1\ninteractions:\n- !!python/object/new:subprocess.Popen [[touch, '{TOUCHED}']]\n".encode(),
        "cannot be parsed",
    ),
    "python-name": (
        "x.yaml",
        b"version: 1\ninteractions: !!python/name:os.system\n",
        "cannot be parsed",
    ),
    "no-interactions": ("x.json", b'{"version": 1}', "has no 'interactions' list"),
    "a-list": ("x.json", b"[1, 2, 3]", "has no 'interactions' list"),
    "interactions-not-a-list": (
        "x.json",
        b'{"version": 1, "interactions": {"a": 1}}',
        "'interactions' is not a list",
    ),
    "no-response": (
        "x.json",
        json.dumps(
            {"version": 1, "interactions": [{"request": interaction("a")["request"]}]}
        ).encode(),
        "interaction 0 is missing its request or response",
    ),
    "second-without-response": (  # numbered from 0, as in leak and audit messages
        "x.json",
        json.dumps(
            {
                "version": 1,
                "interactions": [interaction("a"), {"request": interaction("b")["request"]}],
            }
        ).encode(),
        "interaction 1 is missing its request or response",
    ),
    "status-not-a-mapping": (
        "x.json",
        cassette_text(
            {**interaction("a"), "response": {"status": 200, "body": {"string": ""}}}
        ).encode(),
        "interaction 0 is malformed (response status must be*",
    ),
    "bad-headers": (
        "x.json",
        cassette_text(
            {**interaction("a"), "request": {"method": "GET", "uri": NEUTRAL_BASE, "headers": "x"}}
        ).encode(),
        "interaction 0 is malformed (request headers must*",
    ),
    "bad-base64": (
        "x.json",
        cassette_text(interaction("a")).replace('"{}"', '{"base64": "%%"}').encode(),
        "cannot be parsed",
    ),
}


@pytest.mark.parametrize(("name", "content", "problem"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_cassette_is_one_error_naming_the_file_and_the_fix(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    cassette = tmp_path / name
    touched = tmp_path / "touched"
    content = content.replace(TOUCHED.encode(), str(touched).encode())
    cassette.write_bytes(content)

    with pytest.raises(CassetteCorruptError) as caught:
        load_cassette_data(cassette)

    message = str(caught.value)
    assert message.startswith(f"Cassette {cassette}")
    assert fnmatch.fnmatchcase(message, f"*{problem}*")
    assert "--bss-record" in message
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    assert cassette.read_bytes() == content
    assert not touched.exists()


def alias_bomb(levels: int = 10) -> str:
    """A YAML "billion laughs": a few hundred bytes whose aliases expand to 10**levels strings."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, levels)]
    lines += [
        "version: 1",
        "interactions:",
        f"- request: {{method: GET, uri: '{NEUTRAL_BASE}a', body: null, headers: {{}}}}",
        "  response:",
        "    status: {code: 200, message: OK}",
        "    body: {string: ''}",
        f"    lol: *l{levels - 1}",
    ]
    return "\n".join(lines) + "\n"


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE = {
    "yaml-alias-bomb": ("x.yaml", alias_bomb(), "expands to more than 10,000,000 values*"),
    "yaml-recursive-alias": (
        "x.yaml",
        "version: 1\ninteractions:\n- &i {request: {method: GET, uri: u}, response: {status: "
        "{code: 200, message: OK}, body: {string: ''}, again: [*i]}}\n",
        "holds a YAML alias that refers to itself*",
    ),
    "yaml-deep-nesting": (
        "x.yaml",
        "version: 1\ninteractions: []\nnote: " + "[" * 150 + "]" * 150 + "\n",
        "nests deeper than 100 levels*",
    ),
    "json-deep-nesting-in-an-extra-key": (
        "x.json",
        cassette_text(
            {**interaction("a"), "response": {**interaction("a")["response"], "x": nested(150)}}
        ),
        "nests deeper than 100 levels*",
    ),
}


@pytest.mark.parametrize(("name", "content", "problem"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_cassette_is_refused_quickly_with_one_line_naming_the_fix(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    cassette = tmp_path / name
    cassette.write_text(content)
    started = time.perf_counter()

    with pytest.raises(CassetteCorruptError) as caught:
        load_cassette_data(cassette)

    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert "\n" not in message
    assert fnmatch.fnmatchcase(message, f"Cassette {cassette} {problem}--bss-record*")


def test_a_cassette_larger_than_the_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_bss.cassettes.MAX_CASSETTE_BYTES", len(GOOD) - 1)
    cassette = tmp_path / "x.json"
    cassette.write_text(GOOD)

    with pytest.raises(CassetteCorruptError, match=f"is larger than {len(GOOD) - 1:,} bytes"):
        load_cassette_data(cassette)


def test_yaml_aliases_that_pyyaml_writes_for_shared_values_still_load(tmp_path: Path) -> None:
    shared = {"Content-Type": ["application/json"]}
    first, second = interaction("a"), interaction("b")
    first["response"]["headers"] = second["response"]["headers"] = shared
    cassette = tmp_path / "x.yaml"
    cassette.write_text(dump_cassette(cassette, {"version": 1, "interactions": [first, second]}))
    assert "*id001" in cassette.read_text()

    data = load_cassette_data(cassette)

    assert [i["response"]["headers"] for i in data["interactions"]] == [shared, shared]


def test_a_cassette_without_optional_request_fields_still_loads(tmp_path: Path) -> None:
    cassette = tmp_path / "x.json"
    minimal = {
        "request": {"method": "GET", "uri": NEUTRAL_BASE + "api/accounts/1"},
        "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": "{}"}},
    }
    cassette.write_text(cassette_text(minimal))

    requests, responses = BssPersister(SecretSet()).load_cassette(cassette)

    assert requests[0].uri == NEUTRAL_BASE + "api/accounts/1"
    assert responses[0]["headers"] == {}


# -- atomic_write -------------------------------------------------------------


def test_atomic_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    cassette.write_text("old")

    atomic_write(cassette, "new")

    assert cassette.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_atomic_write_that_fails_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    cassette = tmp_path / "c.json"
    cassette.write_text("old")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, failing, interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(cassette, "new" * 1000)

    assert cassette.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_a_new_cassette_gets_an_ordinary_file_mode(tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    umask = os.umask(0o022)
    try:
        atomic_write(cassette, "{}")
    finally:
        os.umask(umask)

    assert cassette.stat().st_mode & 0o777 == 0o644


def test_a_replaced_cassette_keeps_its_file_mode(tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    cassette.write_text("old")
    cassette.chmod(0o664)

    atomic_write(cassette, "new")

    assert cassette.stat().st_mode & 0o777 == 0o664


WRITER = """
import sys
from pathlib import Path
from pytest_bss.cassettes import atomic_write
path, versions = Path(sys.argv[1]), [sys.argv[2] * 400_000, sys.argv[3] * 400_000]
print("ready", flush=True)
n = 0
while True:
    atomic_write(path, versions[n % 2])
    n += 1
"""


@contextlib.contextmanager
def child_python(code: str, *args: str, ready: bytes) -> Iterator[subprocess.Popen[bytes]]:
    """A Python child running ``code``; it has printed ``ready`` when the block starts."""
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, preexec_fn=default_sigint
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == ready + b"\n"
            yield child
        finally:
            child.kill()
            child.wait(timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_writer_killed_at_any_moment_leaves_the_old_or_the_new_file_whole(
    tmp_path: Path, sig: signal.Signals
) -> None:
    cassette = tmp_path / "c.json"
    cassette.write_text("a" * 400_000)
    whole = {"a" * 400_000, "b" * 400_000}
    moments = random.Random(5).sample(range(5, 150), 6)  # milliseconds after start

    for moment in moments:
        with child_python(WRITER, str(cassette), "a", "b", ready=b"ready") as child:
            time.sleep(moment / 1000)
            child.send_signal(sig)
            child.wait(timeout=10)
        assert cassette.read_text() in whole, f"torn after {moment} ms"
    # A SIGKILL can leave a hidden temporary file; it is never read as a cassette.
    assert {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")} == {"c.json"}


# -- cassette_lock ------------------------------------------------------------


HOLDER = """
import sys, time
from pathlib import Path
from pytest_bss.cassettes import cassette_lock
with cassette_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_the_cassette_lock_excludes_other_processes(tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    with child_python(HOLDER, str(cassette), "0.5", ready=b"locked"):
        started = time.monotonic()
        with cassette_lock(cassette):
            waited = time.monotonic() - started

    assert waited > 0.3


def test_the_cassette_lock_excludes_other_threads(tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    inside = 0
    most = 0
    guard = threading.Lock()

    def enter() -> None:
        nonlocal inside, most
        with cassette_lock(cassette):
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=enter) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert most == 1


# -- BssCassette under threads -------------------------------------------------


class SlowCounter(collections.Counter[int]):
    """Play counts that are slow to read: a thread that reads one and then acts on it
    leaves other threads plenty of time to read the same stale value."""

    def __getitem__(self, key: int) -> int:
        value = super().__getitem__(key)
        time.sleep(0.0005)
        return value


def replay_cassette(tmp_path: Path, *interactions: dict[str, Any]) -> BssCassette:
    file = tmp_path / "c.json"
    file.write_text(dump_cassette(file, {"version": 1, "interactions": list(interactions)}))
    cassette: BssCassette = BssCassette.load(
        path=str(file),
        persister=BssPersister(SecretSet()),
        record_mode=RecordMode.NONE,
        match_on=(method, path, query),
    )
    cassette.play_counts = SlowCounter()
    return cassette


def play_from_threads(
    cassette: BssCassette, uri: str, threads: int, *, one_step: bool = False
) -> list[Any]:
    """Each thread plays ``uri`` once: in two steps as vcrpy's connections do, or in one
    (``take_response``) as the bss_client transport adapter does."""
    results: list[Any] = []
    start = threading.Barrier(threads)

    def play() -> None:
        request = Request("GET", uri, None, {})
        start.wait(timeout=10)
        try:
            if one_step:
                taken = cassette.take_response(request)
                if taken is not None:
                    results.append(taken["body"]["string"])
            elif cassette.can_play_response_for(request):
                results.append(cassette.play_response(request)["body"]["string"])
        except RequestAlreadyPlayedError as exc:
            results.append(exc)

    workers = [threading.Thread(target=play) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return results


@pytest.mark.parametrize("one_step", [False, True], ids=["two-steps", "one-step"])
def test_identical_requests_from_threads_each_get_a_different_recording(
    tmp_path: Path, one_step: bool
) -> None:
    recorded = [interaction("api/accounts", f'{{"n": {n}}}') for n in range(16)]
    cassette = replay_cassette(tmp_path, *recorded)

    played = play_from_threads(cassette, NEUTRAL_BASE + "api/accounts", 16, one_step=one_step)

    assert sorted(played) == sorted(f'{{"n": {n}}}'.encode() for n in range(16))
    assert cassette.all_played


@pytest.mark.parametrize("one_step", [False, True], ids=["two-steps", "one-step"])
def test_threads_asking_more_often_than_recorded_get_already_played_errors(
    tmp_path: Path, one_step: bool
) -> None:
    cassette = replay_cassette(
        tmp_path, *(interaction("api/accounts", f'{{"n": {n}}}') for n in range(8))
    )

    played = play_from_threads(cassette, NEUTRAL_BASE + "api/accounts", 16, one_step=one_step)

    errors = [p for p in played if isinstance(p, RequestAlreadyPlayedError)]
    assert len(errors) == 8
    assert len({p for p in played if isinstance(p, bytes)}) == 8


def test_identical_requests_get_the_recordings_in_recorded_order(tmp_path: Path) -> None:
    cassette = replay_cassette(
        tmp_path, *(interaction("api/accounts", f'{{"n": {n}}}') for n in range(3))
    )
    request = Request("GET", NEUTRAL_BASE + "api/accounts", None, {})

    played = [cassette.play_response(request)["body"]["string"] for _ in range(3)]

    assert played == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
