"""The write path: each stage on its own, and the pipeline in order."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from pytest_bss import write
from pytest_bss.exceptions import CredentialLeakError, UnstorableValueError
from pytest_bss.scrub import SecretSet
from pytest_bss.write import STAGES, WriteContext, prepare, write_cassette
from pytest_bss.write.atomic import dump_cassette
from pytest_bss.write.credentials import scrub_credentials
from pytest_bss.write.leak_gate import leak_gate
from pytest_bss.write.normalise import normalise, normalise_request, normalise_response
from pytest_bss.write.personal import personal_data
from pytest_bss.write.stamp import stamp
from pytest_bss.write.volatile import volatile

TOKEN = "synthetic-access-token-0123456789abcdef"


def interaction(request: dict[str, Any], response: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "request": {
            "method": "GET",
            "uri": "https://h/api",
            "body": None,
            "headers": {},
            **request,
        },
        "response": response
        or {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}},
    }


def cassette(*interactions: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "interactions": list(interactions)}


def test_the_stages_run_in_the_documented_order() -> None:
    assert (normalise, stamp, scrub_credentials, personal_data, volatile, leak_gate) == STAGES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"Bearer abc", "Bearer abc"),
        (bytearray(b"x"), "x"),
        (memoryview(b"y"), "y"),
        ("caf\u00e9".encode(), "caf\u00e9"),
        (b"\xff\xfe", "\u00ff\u00fe"),  # not UTF-8: read byte for byte as Latin-1
        (42, "42"),
    ],
)
def test_header_values_become_text(value: object, expected: str) -> None:
    out = normalise_request({"method": "GET", "uri": "u", "headers": {b"X-A": value}})
    assert out["headers"] == {"X-A": [expected]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (io.BytesIO(b"a=1"), "a=1"),
        (iter([b"a=", "1"]), "a=1"),
        ([b"a", b"=1"], "a=1"),
        (bytearray(b"a=1"), "a=1"),
        (b"\xff", b"\xff"),
        ("text", "text"),
        (None, None),
    ],
)
def test_request_bodies_become_text_or_bytes(body: object, expected: object) -> None:
    assert normalise_request({"method": "GET", "uri": "u", "body": body})["body"] == expected


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "GET", "uri": "u", "body": object()},
        {"method": "GET", "uri": "u", "body": iter([object()])},
        {"method": "GET", "uri": "u", "headers": {"X": object()}},
        {"method": "GET", "uri": "u", "headers": ["X", "y"]},
        {"method": None, "uri": "u"},
    ],
)
def test_values_no_cassette_can_hold_are_refused(request_: dict[str, Any]) -> None:
    with pytest.raises(UnstorableValueError):
        normalise(cassette(interaction(request_)))


def test_a_response_with_bytes_headers_and_a_bytearray_body_is_normalised() -> None:
    out = normalise_response(
        {
            "status": {"code": 200, "message": b"OK"},
            "headers": {"Set-Cookie": [b"s=1"]},
            "body": {"string": bytearray(b"{}")},
        }
    )
    assert out == {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Set-Cookie": ["s=1"]},
        "body": {"string": b"{}"},
    }


def test_a_bytes_bearer_header_is_scrubbed_once_normalised(tmp_path: Path) -> None:
    data = cassette(interaction({"headers": {"Authorization": [b"Bearer " + TOKEN.encode()]}}))
    context = WriteContext(tmp_path / "c.json", SecretSet())

    text = write_cassette(data, context)

    assert TOKEN not in text
    assert "Bearer <BSS_ACCESS_TOKEN_1>" in text
    assert context.replaced >= 1


def test_the_leak_gate_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    data = cassette(interaction({}))
    data["interactions"][0]["request"]["body"] = io.BytesIO(b"x")  # skipped normalise
    with pytest.raises(UnstorableValueError, match=r"interactions\[0\]\.request\.body"):
        leak_gate(data, WriteContext(tmp_path / "c.json", SecretSet()))


def test_the_leak_gate_refuses_a_known_value_and_writes_nothing(tmp_path: Path) -> None:
    secrets = SecretSet()
    secrets.add("access_token", TOKEN)
    path = tmp_path / "c.json"
    path.write_text("old")
    data = cassette(interaction({"headers": {"X-Echo": [TOKEN]}}))

    with pytest.raises(CredentialLeakError) as excinfo:
        write.atomic.write_text(path, leak_gate(data, WriteContext(path, secrets)))

    assert TOKEN not in str(excinfo.value)
    assert path.read_text() == "old"


def test_a_body_the_leak_check_cannot_read_is_refused_with_what_to_do(tmp_path: Path) -> None:
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Encoding": ["zstd-unknown"], "Content-Type": ["application/json"]},
        "body": {"string": b"\x28\xb5\x2f\xfd compressed"},
    }
    data = cassette(interaction({}, response))

    with pytest.raises(CredentialLeakError) as excinfo:
        leak_gate(data, WriteContext(tmp_path / "c.json", SecretSet()))

    message = str(excinfo.value)
    assert "a body the leak check cannot read" in message
    assert "zstd-unknown-encoded" in message
    assert "Accept-Encoding" in message
    assert "bug" not in message


def test_prepare_runs_every_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def spy(name: str) -> Any:
        def stage(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
            seen.append(name)
            return data

        return stage

    monkeypatch.setattr(write, "STAGES", (spy("a"), spy("b")))
    prepare(cassette(), WriteContext(tmp_path / "c.json", SecretSet()))
    assert seen == ["a", "b"]


def test_a_yaml_python_tag_is_never_written(tmp_path: Path) -> None:
    data = cassette(interaction({"body": ("a", "tuple")}))  # a tuple becomes !!python/tuple
    with pytest.raises(UnstorableValueError, match="Python object tag"):
        dump_cassette(tmp_path / "c.yaml", data)
