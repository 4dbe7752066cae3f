"""Unit tests of pytest_bss.decoding and pytest_bss.catalogue: the shared reading layer."""

from __future__ import annotations

import ast
import codecs
from pathlib import Path

import pytest

from pytest_bss import catalogue, decoding
from pytest_bss.catalogue import field_key, json_credential_kind
from pytest_bss.decoding import body_text, layers, nested_texts, sub_json

PACKAGE = Path(decoding.__file__).parent


@pytest.mark.parametrize("module", [decoding, catalogue])
def test_every_name_in_all_exists(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        assert getattr(module, name) is not None


def test_the_audit_imports_no_private_name_of_the_scrubber() -> None:
    tree = ast.parse((PACKAGE / "audit.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("scrub", "decoding", "catalogue"):
            assert all(not alias.name.startswith("_") for alias in node.names)


@pytest.mark.parametrize(
    "name", ["access_token", "accessToken", "AccessToken", "access-token", "ACCESS.TOKEN"]
)
def test_field_names_compare_without_case_underscores_or_hyphens(name: str) -> None:
    assert field_key(name) == "accesstoken"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (("password",), "password"),
        (("token", "value"), "access_token"),
        (("data", None, "refreshToken", None), "refresh_token"),
        (("access_token", "expiresIn"), None),
        (("value",), None),
    ],
)
def test_json_credential_kinds_follow_value_keys_and_list_items(
    path: tuple[str | None, ...], kind: str | None
) -> None:
    assert json_credential_kind(path) == kind


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        (codecs.BOM_UTF8 + b'{"a": 1}', "application/json", '{"a": 1}'),
        ('{"ä": 1}'.encode("utf-16"), "application/json", '{"ä": 1}'),
        ('{"ä": 1}'.encode("utf-16-be"), "application/json; charset=UTF-16BE", '{"ä": 1}'),
        ("ä".encode("latin-1"), "text/plain; charset=iso-8859-1", "ä"),
        (b"\xff\xfe\x00binary", "", None),
        (b"x", "text/plain; charset=x-unknown", None),
    ],
)
def test_a_body_is_read_by_its_mark_then_its_charset_then_as_utf_8(
    body: bytes, content_type: str, text: str | None
) -> None:
    decoded = body_text(body, {"Content-Type": [content_type]} if content_type else {})
    assert (decoded.text if decoded else None) == text
    if decoded is not None:
        assert decoded.encode(decoded.text) == body


@pytest.mark.parametrize(
    ("text", "decoded", "form"),
    [
        ("a%2Fb", "a/b", "percent-encoded"),
        ("a\\u002Fb", "a/b", "json-escaped"),
        ("a&amp;b&#x2F;", "a&b/", "html-escaped"),
        ("x 68756e746572 y", "x hunter y", "hex"),
    ],
)
def test_layers_undo_one_encoding(text: str, decoded: str, form: str) -> None:
    assert (decoded, form) in list(layers(text))


def test_sub_json_keeps_the_formatting_and_knows_each_path() -> None:
    text = '{ "a" : [ "x", {"b":"y"} ],\n "c": 1 }'
    seen = []

    def rewrite(path: tuple[str | None, ...], token: str, is_key: bool) -> str:
        seen.append((path, token, is_key))
        return '"Y"' if token == '"y"' else token

    assert sub_json(text, rewrite) == text.replace('"y"', '"Y"')
    assert (("a", None, "b"), '"y"', False) in seen
    assert (("c",), "1", False) in seen


def test_nested_texts_mark_what_is_deeper_than_the_limit() -> None:
    text = '"x"'
    for _ in range(4):
        text = '{"w": ' + __import__("json").dumps(text) + "}"
    depths = [depth for _, depth, _ in nested_texts(text, max_depth=2)]
    assert max(depths) == 3
