"""vcrpy's patchers, built once and shared by every cassette, behave as vcrpy's own.

``use_cassette`` builds vcrpy's patched connection classes once per process and points
them at the innermost pytest-bss cassette in use. These tests send real ``requests``
calls through vcrpy's patched urllib3 (not the ``bss_client`` transport adapter) and
check who answers, with cassettes nested in each other and in plain vcrpy cassettes, and
that nothing stays patched afterwards. Every request goes to the reserved replay host and
is answered from a cassette before any connection is made.
"""

from __future__ import annotations

import gc
import http.client
import socket
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3.connection
import urllib3.connectionpool
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.matchers import method, path, query
from vcr.record_mode import RecordMode

from pytest_bss.cassettes import BssPersister, dump_cassette, use_cassette
from pytest_bss.exceptions import RequestNotRecordedError
from pytest_bss.scrub import NEUTRAL_BASE, SecretSet

URL = NEUTRAL_BASE + "api/whoami"


def patched_attributes() -> list[Any]:
    """What vcrpy patches in http.client and urllib3, as it is now."""
    return [
        http.client.HTTPConnection,
        http.client.HTTPSConnection,
        urllib3.connection.HTTPConnection,
        urllib3.connection.HTTPSConnection,
        urllib3.connectionpool.HTTPConnectionPool.ConnectionCls,
        urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls,
        urllib3.connectionpool.HTTPConnectionPool._get_conn,
        urllib3.connectionpool.HTTPSConnectionPool._new_conn,
        urllib3.connectionpool.is_connection_dropped,
    ]


@pytest.fixture(autouse=True)
def no_name_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request that escaped every cassette fails here instead of asking DNS."""

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a request escaped the cassettes: lookup of {host!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def unpatched() -> Iterator[list[Any]]:
    """The attributes before the test; the test must leave them exactly so."""
    before = patched_attributes()
    yield before
    assert patched_attributes() == before


def cassette_file(tmp_path: Path, name: str, answer: str) -> Path:
    file = tmp_path / f"{name}.json"
    interaction = {
        "request": {"method": "GET", "uri": URL, "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["text/plain"]},
            "body": {"string": answer},
        },
    }
    data = {"version": 1, "interactions": [interaction]}
    file.write_text(dump_cassette(file, data))
    return file


def bss(file: Path) -> Any:
    return use_cassette(
        path=str(file),
        persister=BssPersister(SecretSet()),
        record_mode=RecordMode.NONE,
        match_on=(method, path, query),
        allow_playback_repeats=True,
    )


def plain_vcrpy(file: Path) -> Any:
    recorder = vcr.VCR(serializer="json", record_mode="none")
    return recorder.use_cassette(str(file), allow_playback_repeats=True)


def answer() -> str:
    with requests.Session() as session:
        return session.get(URL, timeout=5).text


def test_each_cassette_answers_in_turn_and_nothing_stays_patched(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    first, second = cassette_file(tmp_path, "a", "first"), cassette_file(tmp_path, "b", "second")

    with bss(first):
        assert answer() == "first"
        assert patched_attributes() != unpatched
    assert patched_attributes() == unpatched
    with bss(second):
        assert answer() == "second"
    with bss(first) as cassette:
        assert answer() == "first"
    assert cassette.play_count == 1


def test_the_patched_classes_are_built_once(tmp_path: Path, unpatched: list[Any]) -> None:
    files = [cassette_file(tmp_path, str(n), str(n)) for n in range(3)]

    seen = set()
    for file in files:
        with bss(file):
            seen.add(http.client.HTTPConnection)
            assert answer() == file.stem

    assert len(seen) == 1
    assert seen.isdisjoint(unpatched)


def test_the_innermost_cassette_answers_then_the_outer_one_again(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    outer, inner = cassette_file(tmp_path, "outer", "outer"), cassette_file(tmp_path, "in", "in")

    with bss(outer):
        assert answer() == "outer"
        with bss(inner):
            assert answer() == "in"
        assert answer() == "outer"


@pytest.mark.parametrize("outer_is_bss", [True, False], ids=["bss-outside", "vcrpy-outside"])
def test_cassettes_nested_with_plain_vcrpy_cassettes_answer_like_vcrpy(
    tmp_path: Path, unpatched: list[Any], outer_is_bss: bool
) -> None:
    files = [cassette_file(tmp_path, f"c{n}", f"c{n}") for n in range(3)]
    kinds = [bss, plain_vcrpy, bss] if outer_is_bss else [plain_vcrpy, bss, plain_vcrpy]

    with kinds[0](files[0]):
        assert answer() == "c0"
        with kinds[1](files[1]):
            assert answer() == "c1"
            with kinds[2](files[2]):
                assert answer() == "c2"
            assert answer() == "c1"
        assert answer() == "c0"
    with bss(files[2]):  # and the shared patchers still work afterwards
        assert answer() == "c2"


def test_cassettes_closed_out_of_order_by_threads_leave_nothing_patched(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    first, second = cassette_file(tmp_path, "a", "first"), cassette_file(tmp_path, "b", "second")
    first_open, second_open, first_closed = threading.Event(), threading.Event(), threading.Event()
    answers: list[str] = []

    def in_thread() -> None:
        with bss(first):
            first_open.set()
            second_open.wait(timeout=10)
        first_closed.set()

    thread = threading.Thread(target=in_thread)
    thread.start()
    first_open.wait(timeout=10)
    with bss(second):
        second_open.set()
        first_closed.wait(timeout=10)
        answers.append(answer())  # the first cassette closed, the second is still in use
    thread.join(timeout=10)

    assert answers == ["second"]


def test_a_request_not_in_the_cassette_is_an_error_not_a_connection(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    file = cassette_file(tmp_path, "a", "first")

    with (
        bss(file),
        requests.Session() as session,
        pytest.raises(RequestNotRecordedError, match="GET api/elsewhere was not recorded"),
    ):
        session.get(NEUTRAL_BASE + "api/elsewhere", timeout=5)


def test_an_error_in_the_block_still_saves_and_unpatches(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    file = tmp_path / "new.json"
    saved: list[str] = []

    class Persister(BssPersister):
        def save_cassette(self, cassette_path: Any, cassette_dict: Any, serializer: Any = None):
            saved.append(str(cassette_path))

    def record_then_fail() -> None:
        with use_cassette(path=str(file), persister=Persister(SecretSet())) as cassette:
            cassette.append(*_recorded_pair())
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        record_then_fail()

    assert saved == [str(file)]


def test_a_failed_save_leaves_nothing_patched(tmp_path: Path, unpatched: list[Any]) -> None:
    class Persister(BssPersister):
        def save_cassette(self, cassette_path: Any, cassette_dict: Any, serializer: Any = None):
            raise OSError("disk full")

    def record() -> None:
        with use_cassette(
            path=str(tmp_path / "new.json"), persister=Persister(SecretSet())
        ) as cassette:
            cassette.append(*_recorded_pair())

    with pytest.raises(OSError, match="disk full"):
        record()


def test_a_cassette_with_its_own_patches_gets_vcrpys_own_patchers(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    file = cassette_file(tmp_path, "a", "first")
    marker = object()

    class Holder:
        value: object = None

    with use_cassette(
        path=str(file),
        persister=BssPersister(SecretSet()),
        record_mode=RecordMode.NONE,
        custom_patches=((Holder, "value", marker),),
    ):
        assert Holder.value is marker
        assert answer() == "first"
    assert Holder.value is None


def _recorded_pair() -> tuple[Any, dict[str, Any]]:
    from vcr.request import Request

    request = Request("GET", URL, None, {})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {},
        "body": {"string": b"{}"},
    }
    return request, response


def test_a_request_missing_from_a_once_cassette_is_vcrpys_error_naming_the_file(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    file = cassette_file(tmp_path, "a", "first")
    once = use_cassette(
        path=str(file),
        persister=BssPersister(SecretSet()),
        record_mode=RecordMode.ONCE,
        match_on=(method, path, query),
    )

    with (
        once,
        requests.Session() as session,
        pytest.raises(CannotOverwriteExistingCassetteException) as raised,
    ):
        session.get(NEUTRAL_BASE + "api/elsewhere", timeout=5)

    assert str(file) in str(raised.value)


def test_a_closed_cassette_is_not_kept_alive(tmp_path: Path, unpatched: list[Any]) -> None:
    with bss(cassette_file(tmp_path, "a", "first")) as cassette:
        assert answer() == "first"
    closed = weakref.ref(cassette)
    del cassette
    gc.collect()

    assert closed() is None


def test_readers_in_other_threads_never_see_an_outer_cassette_while_an_inner_one_is_open(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    files = [cassette_file(tmp_path, name, name) for name in ("outer", "middle", "inner")]
    stop = threading.Event()
    seen: list[str] = []

    def inner_opens_and_closes() -> None:
        while not stop.is_set():
            with bss(files[2]):
                pass

    with bss(files[0]), bss(files[1]) as middle:
        target = _active_target()
        thread = threading.Thread(target=inner_opens_and_closes)
        thread.start()
        try:
            for _ in range(20000):
                current = target.current()
                if current is not middle and current is not None:
                    seen.append(Path(current._path).stem)
        finally:
            stop.set()
            thread.join(timeout=10)

    assert set(seen) <= {"inner"}  # never "outer": the middle cassette is open throughout


def _active_target() -> Any:
    from pytest_bss.cassettes import _SHARED

    (shared,) = [s for s in _SHARED.values() if s.entered]
    return shared.target


@pytest.mark.parametrize("stream", [False, True], ids=["content", "stream"])
def test_a_replayed_head_response_has_no_body_whatever_its_content_length(
    tmp_path: Path, stream: bool
) -> None:
    from pytest_bss.cassettes import replay_adapter

    file = tmp_path / "head.json"
    recorded = {
        "request": {"method": "HEAD", "uri": URL, "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Length": ["5"]},
            "body": {"string": ""},
        },
    }
    file.write_text(dump_cassette(file, {"version": 1, "interactions": [recorded]}))

    with bss(file) as cassette, requests.Session() as session:
        session.mount(NEUTRAL_BASE, replay_adapter(cassette))
        response = session.head(URL, stream=stream)
        body = b"".join(response.iter_content(2)) if stream else response.content

    assert body == b""


def test_a_path_transformer_from_the_vcr_hook_still_applies(
    tmp_path: Path, unpatched: list[Any]
) -> None:
    file = cassette_file(tmp_path, "moved", "moved")

    with use_cassette(
        path=str(tmp_path / "asked-for.json"),
        persister=BssPersister(SecretSet()),
        record_mode=RecordMode.NONE,
        path_transformer=lambda asked: str(file),
    ):
        assert answer() == "moved"
