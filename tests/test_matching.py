"""The indexed cassette plays exactly what vcrpy's own cassette plays.

Each test feeds the same recorded interactions and the same incoming requests to a
plain ``vcr.cassette.Cassette`` and to ``BssCassette`` and compares the answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.cassette import Cassette
from vcr.config import VCR
from vcr.request import Request

from pytest_bss.cassettes import BssCassette
from pytest_bss.exceptions import CassetteError

BASE = "https://bss.tenant.invalid/"


def request(method: str, path: str, body: str | None = None) -> Request:
    return Request(method, BASE + path, body, {"Accept": "application/json"})


def response(text: str) -> dict[str, Any]:
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"]},
        "body": {"string": text.encode()},
    }


def both(
    tmp_path: Path,
    recorded: list[tuple[Request, str]],
    *,
    match_on: tuple[str, ...] = ("method", "path", "query"),
    allow_playback_repeats: bool = False,
) -> tuple[Any, Any]:
    options = VCR().get_merged_config(
        path=str(tmp_path / "c.json"),
        match_on=match_on,
        record_mode="none",
        allow_playback_repeats=allow_playback_repeats,
    )
    for key in ("path_transformer", "func_path_generator", "record_on_exception"):
        options.pop(key)
    plain, indexed = Cassette(**options), BssCassette(**options)
    for cassette in (plain, indexed):
        for req, text in recorded:
            cassette.append(req, response(text))
        cassette.rewound = True  # as after loading a file
    return plain, indexed


def play(cassette: Any, req: Request) -> str | None:
    """The body played for ``req``, or None when the cassette cannot answer it."""
    try:
        if not cassette.can_play_response_for(req):
            return None
    except CassetteError:  # BssCassette says why instead of answering False
        return None
    return bytes(cassette.play_response(req)["body"]["string"]).decode()


def test_identical_requests_replay_in_recorded_order(tmp_path: Path) -> None:
    recorded = [(request("GET", "api/accounts/1"), f"answer {n}") for n in range(3)]
    plain, indexed = both(tmp_path, recorded)

    incoming = [request("GET", "api/accounts/1") for _ in range(4)]

    assert [play(indexed, r) for r in incoming] == ["answer 0", "answer 1", "answer 2", None]
    assert [play(plain, r) for r in incoming] == ["answer 0", "answer 1", "answer 2", None]


def test_the_query_must_match_in_any_parameter_order(tmp_path: Path) -> None:
    recorded = [
        (request("GET", "api/accounts?pageIndex=1&pageSize=25"), "page 1"),
        (request("GET", "api/accounts?pageIndex=2&pageSize=25"), "page 2"),
    ]
    plain, indexed = both(tmp_path, recorded)

    incoming = [
        request("GET", "api/accounts?pageSize=25&pageIndex=2"),
        request("GET", "api/accounts?pageIndex=3&pageSize=25"),
        request("GET", "api/accounts?pageIndex=1&pageSize=25"),
    ]

    assert [play(indexed, r) for r in incoming] == ["page 2", None, "page 1"]
    assert [play(plain, r) for r in incoming] == ["page 2", None, "page 1"]


def test_bodies_matter_only_when_body_is_matched(tmp_path: Path) -> None:
    recorded = [
        (request("POST", "api/accounts", '{"name": "A"}'), "1001"),
        (request("POST", "api/accounts", '{"name": "B"}'), "1002"),
    ]
    incoming = [request("POST", "api/accounts", '{"name": "B"}')]

    for match_on, expected in [
        (("method", "path", "query", "body"), "1002"),
        (("method", "path", "query"), "1001"),
    ]:
        plain, indexed = both(tmp_path, recorded, match_on=match_on)
        assert play(indexed, incoming[0]) == play(plain, incoming[0]) == expected


def test_playback_repeats_answer_again_and_again(tmp_path: Path) -> None:
    plain, indexed = both(
        tmp_path, [(request("GET", "api/accounts/1"), "one")], allow_playback_repeats=True
    )

    assert [play(indexed, request("GET", "api/accounts/1")) for _ in range(3)] == ["one"] * 3
    assert [play(plain, request("GET", "api/accounts/1")) for _ in range(3)] == ["one"] * 3


def test_a_custom_matcher_set_without_path_still_matches_like_vcrpy(tmp_path: Path) -> None:
    recorded = [(request("GET", "api/a"), "a"), (request("GET", "api/b"), "b")]
    plain, indexed = both(tmp_path, recorded, match_on=("method",))

    incoming = [request("GET", "api/b"), request("GET", "api/b"), request("GET", "api/b")]

    assert [play(indexed, r) for r in incoming] == [play(plain, r) for r in incoming]


PATHS = st.sampled_from(
    ["api/accounts/1", "api/accounts/2", "api/invoices?size=5", "api/x?a=1&b=2"]
)
METHODS = st.sampled_from(["GET", "POST"])


@settings(max_examples=150, deadline=None)
@given(
    recorded=st.lists(st.tuples(METHODS, PATHS), max_size=12),
    incoming=st.lists(st.tuples(METHODS, PATHS), max_size=16),
    repeats=st.booleans(),
)
def test_any_sequence_plays_the_same_as_vcrpy(
    tmp_path_factory: pytest.TempPathFactory,
    recorded: list[tuple[str, str]],
    incoming: list[tuple[str, str]],
    repeats: bool,
) -> None:
    tmp_path = tmp_path_factory.mktemp("seq")
    plain, indexed = both(
        tmp_path,
        [(request(m, p), f"{m} {p} #{n}") for n, (m, p) in enumerate(recorded)],
        allow_playback_repeats=repeats,
    )

    assert [play(indexed, request(m, p)) for m, p in incoming] == [
        play(plain, request(m, p)) for m, p in incoming
    ]


def take(cassette: Any, req: Request) -> str | None:
    """``play`` in one step, as the bss_client transport adapter plays."""
    try:
        played = cassette.take_response(req)
    except CassetteError:
        return None
    return None if played is None else bytes(played["body"]["string"]).decode()


def test_an_empty_path_matches_like_vcrpy(tmp_path: Path) -> None:
    host = BASE.rstrip("/")
    recorded = [(Request("GET", host, None, {}), "root"), (request("GET", "x"), "x")]
    plain, indexed = both(tmp_path, recorded, allow_playback_repeats=True)

    incoming = [Request("GET", BASE, None, {}), Request("GET", host, None, {}), request("GET", "")]

    assert [play(indexed, r) for r in incoming] == [play(plain, r) for r in incoming]


MATCH_ON = st.sampled_from(
    [
        ("method", "path", "query"),
        ("method", "uri"),
        ("method", "path"),
        ("path", "query"),
        ("method", "path", "query", "body"),
        ("method", "scheme", "host", "port", "path", "query", "headers"),
    ]
)
BODIES = st.sampled_from([None, '{"name": "A"}', '{"name": "B"}'])


@settings(max_examples=150, deadline=None)
@given(
    recorded=st.lists(st.tuples(METHODS, PATHS, BODIES), max_size=10),
    incoming=st.lists(st.tuples(METHODS, PATHS, BODIES), max_size=12),
    match_on=MATCH_ON,
    repeats=st.booleans(),
)
def test_any_matcher_set_plays_the_same_as_vcrpy_in_one_step_or_two(
    tmp_path_factory: pytest.TempPathFactory,
    recorded: list[tuple[str, str, str | None]],
    incoming: list[tuple[str, str, str | None]],
    match_on: tuple[str, ...],
    repeats: bool,
) -> None:
    tmp_path = tmp_path_factory.mktemp("matchers")
    answers = [(request(m, p, b), f"{m} {p} {b} #{n}") for n, (m, p, b) in enumerate(recorded)]
    plain, indexed = both(tmp_path, answers, match_on=match_on, allow_playback_repeats=repeats)
    _, taken = both(tmp_path, answers, match_on=match_on, allow_playback_repeats=repeats)

    expected = [play(plain, request(m, p, b)) for m, p, b in incoming]

    assert [play(indexed, request(m, p, b)) for m, p, b in incoming] == expected
    assert [take(taken, request(m, p, b)) for m, p, b in incoming] == expected
