"""The audit's shortcuts (issue 12: 100 MB in under 10 s) give what the plain walks give.

Each cache or fast path of :mod:`pytest_bss.decoding`, :mod:`pytest_bss.catalogue` and
:mod:`pytest_bss.audit` is checked against the plain computation it replaces, and a
parallel audit against an in-process one. ``benchmarks/audit_compare.py`` compares whole
audits with an earlier revision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_bss import audit, catalogue, decoding, jsondoc, shapes
from pytest_bss.formats import Skipped

# Characters that open every layer, JSON and form rule, and hex digits for hex runs.
TEXT = st.text(alphabet=st.sampled_from('aAzZ09fF%+\\&=;#{}[]":,/ x-_.\u00e9'), max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def plain_children(text: str) -> Iterator[tuple[str, str | None, bool]]:
    """decoding._children without its shortcuts (no fast path, every JSON string); a JSON
    document's unescaped copy is not opened (its strings are)."""
    document = decoding.load_json(text) if decoding.looks_like_json(text) else None
    is_json = document is not None
    opens = not is_json and len(text) <= decoding._OPEN_LAYERS_MAX
    for layer, form in decoding.layers(text, json_document=is_json):
        if form is not None:
            yield layer, form, opens
    if not is_json and not opens and decoding.fully_decoded(text) != text:
        yield decoding.fully_decoded(text), "decoded", False
    if is_json:
        for _, _, value in decoding.json_scalars(document):
            if isinstance(value, str) and value and value != text:
                yield value, None, True
        return
    parts = decoding.split_url(text)
    for query in (parts[2], parts[4]) if decoding.ABSOLUTE_URL.match(text) else (text,):
        if "=" in query and decoding.FORM_TEXT.fullmatch(query):
            for piece in query.split("&"):
                value = unquote_plus(piece.partition("=")[2])
                if value and value != text:
                    yield value, None, True


def plain_nested_texts(text: str, max_depth: int) -> Iterator[tuple[str, int, str | None]]:
    seen: set[str] = set()
    stack: list[tuple[str, int, str | None, bool]] = [(text, 0, None, True)]
    while stack:
        current, depth, form, opens = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current, depth, form
        if not opens:
            continue
        children = [(c, f, o) for c, f, o in plain_children(current) if c not in seen]
        if depth >= max_depth:
            if children:
                yield current, max_depth + 1, form
            continue
        stack.extend((child, depth + 1, f, o) for child, f, o in reversed(children))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_a_text_without_a_layer_json_or_form_has_nothing_inside(text: str) -> None:
    assert list(decoding._children(text)) == list(plain_children(text))


@settings(max_examples=200, deadline=None)
@given(JSON, st.integers(min_value=1, max_value=4))
def test_nested_texts_are_the_plain_walk(document: object, max_depth: int) -> None:
    text = json.dumps({"body": json.dumps(document), "raw": document})
    expected = list(plain_nested_texts(text, max_depth))
    assert list(decoding.nested_texts(text, max_depth=max_depth)) == expected
    assert list(decoding.nested_texts(text, max_depth=max_depth)) == expected  # cached


# Strings a check reads further (URL, userinfo, markup, form, JSON, hex) and plain ones.
NOTABLE_PIECES = st.sampled_from(
    [
        "https://u:p4ssw0rdZq8Xk2Lm@h.invalid/x?access_token=Zq8Xk2Lm9Np4Rt7Vw1Yb3",
        "see https://h.invalid/?key=Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5&sig=Ab9Xk2Lm9Np4Rt7Vw1",
        "<a><password>Zq8Xk2Lm9Np4Rt7Vw1Yb3</password></a>",
        "token=Zq8Xk2Lm9Np4Rt7Vw1Yb3&x=1",
        "owner7@example.com",
        "Account 12",
        "5a6b7c8d9e0f5a6b",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        NOTABLE_PIECES | TEXT,
        lambda inner: st.dictionaries(
            st.sampled_from(["password", "url", "key"]) | TEXT, inner, max_size=4
        ),
    )
)
def test_the_notable_texts_give_every_check_what_all_texts_give(document: object) -> None:
    text = json.dumps({"body": json.dumps(document), "raw": document})
    every = list(decoding.nested_texts(text))
    notable = list(decoding.notable_texts(text))
    assert [entry for entry in every if entry in notable] == notable  # a subset, in order
    plain = {entry for entry in every if entry[1] > 0 and entry[2] is None and entry not in notable}
    for nested, _, _ in plain:  # what no check reads: nothing inside, no markup or URL
        assert list(decoding._children(nested)) == []
        assert "<" not in nested
        assert "://" not in nested
        assert not decoding.looks_like_json(nested)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoding, "notable_texts", decoding.nested_texts)
        expected = (list(decoding._positions(text, False, None)), decoding._shapes(text))
    assert (list(decoding._positions(text, False, None)), decoding._shapes(text)) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab\\"/nu0Ae\u00e9'), max_size=30))
def test_the_json_unescape_fast_path_reads_as_the_loose_one(text: str) -> None:
    loose = decoding._LOOSE_JSON_ESCAPE.sub(
        lambda m: chr(int(m[1], 16)) if m[1] else decoding._SHORT_ESCAPES.get(m[2], m[2]), text
    )
    fast = decoding._loose_json_unescape(text)
    # the same, but for a surrogate pair, which the JSON decoder joins into one character
    assert fast == loose or fast.encode("utf-16", "surrogatepass") == loose.encode(
        "utf-16", "surrogatepass"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789abcdefAF-x"), max_size=40))
def test_hex_runs_are_read_by_pairs_from_their_start(text: str) -> None:
    import re

    by_pairs = re.sub(r"(?:[0-9A-Fa-f]{2}){6,}", lambda m: decoding._unhex_run(m[0]), text)
    assert decoding._unhex(text) == by_pairs


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_json_entries_are_the_scalars_of_the_document(document: object) -> None:
    text = json.dumps(document)
    loaded = decoding.load_json(text)
    expected = None if loaded is None else tuple(decoding.json_scalars(loaded))  # "null" too
    assert decoding.json_entries(text) == expected


KEYS = (
    st.sampled_from(["password", "token", "value", "Value", "access_token", "id", "name", "key"])
    | st.sampled_from(["username", "userId"])
    | TEXT
)
FIELDS = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(FIELDS)
def test_the_json_summary_is_read_from_the_scalars_and_their_paths(document: object) -> None:
    text = json.dumps(document)
    loaded = decoding.load_json(text)
    expected = (
        None
        if loaded is None
        # the definition (and the logins' keys, read from the document in both)
        else jsondoc.with_login_keys(
            jsondoc._summary_of_entries(decoding.json_scalars(loaded)), text, loaded
        )
    )
    assert decoding.json_summary(text) == expected
    if expected is not None:
        strings = [v for _, _, v in decoding.json_scalars(loaded) if isinstance(v, str) and v]
        assert expected.strings == tuple(dict.fromkeys(strings))


def test_the_json_summary_of_a_document_deeper_than_the_stack() -> None:
    text = "[" * 400 + '{"password": "a1B2c3D4e5F6g7H8", "note": "x"}' + "]" * 400
    summary = decoding.json_summary(text)
    assert summary is not None
    assert summary.credentials == (("password", "a1B2c3D4e5F6g7H8"),)
    assert summary.plain == (("note", "x"),)


def test_json_entries_of_a_document_deeper_than_the_stack() -> None:
    text = "[" * 400 + '{"password": "a1B2c3D4e5F6g7H8"}' + "]" * 400
    entries = decoding.json_entries(text)
    assert entries == tuple(decoding.json_scalars(decoding.load_json(text)))


def test_text_that_is_no_json_has_no_entries() -> None:
    assert decoding.json_entries("{not json") is None


# Synthetic tokens of each shape, never real ones.
SHAPED = [
    "ghp_" + "Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5Ef6Gh0Jk2Lm4N",
    "xoxb-" + "1234567890-Zq8Xk2Lm9Np4",
    "sk-" + "Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5Ef6Gh0Jk2L",
    "AKIA" + "ZQ8XK2LM9NP4RT7V",
    "AIza" + "Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5Ef6Gh0Jk2Lm4N",
    "BeArEr Zq8Xk2Lm9Np4Rt7Vw1Yb3",
    "Basic dXNlcjpaWjhYazJMbTlOcDQ=",
    "SECRET_ACCESS_KEY=Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5Ef6Gh0Jk2Lm4N8pQ",
    "authorization: Token Zq8Xk2Lm9Np4Rt7Vw1Yb3",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.Zq8Xk2Lm9Np4Rt7Vw1Yb3",
    "?upload_id=Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5",
    "/bot123456789:Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5Ef6Gh0Jk",
    "ST-1234-Zq8Xk2Lm9Np4Rt7V",
    "SSWS Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd5",
    "sk_live_Zq8Xk2Lm9Np4Rt7Vw1",
]


def test_every_shape_has_its_words() -> None:
    assert set(shapes._SHAPE_WORDS) == {shape.kind for shape in shapes.SHAPES}


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            # non-ASCII pieces whose case-blind match folds to ASCII, and plain non-ASCII
            [*SHAPED, "ba\u017fic", "Author\u0131zation:", "BASIC", "\u00e9", "xoxb-", "eyJ"]
        )
        | st.text(alphabet="abcxyzAKIASG._-+/= ", max_size=8),
        max_size=6,
    ),
    st.integers(min_value=0, max_value=600),
)
def test_a_shape_left_out_by_its_words_has_no_match(pieces: list[str], padding: int) -> None:
    text = "." * padding + " ".join(pieces)  # long texts take the word path
    searched = {shape.kind for shape in shapes._searched(text)}
    for shape in shapes.SHAPES:
        if shape.kind not in searched:
            assert shape.pattern.search(text) is None, shape.kind


def test_the_cached_name_rules_answer_as_the_rules() -> None:
    for path in [("data", None, "access_token"), ("token", "value"), ("items", None), ()]:
        assert catalogue.json_credential_kind(path) == catalogue.json_credential_kind(list(path))


def cassette_file(folder: Path, name: str, body: object) -> Path:
    interaction = {
        "request": {"method": "GET", "uri": "https://x.invalid/", "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": json.dumps(body)},
        },
    }
    path = folder / name
    path.write_text(json.dumps({"version": 1, "interactions": [interaction] * 3}))
    return path


def test_a_parallel_audit_reports_what_an_in_process_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [
        cassette_file(tmp_path, f"c{i}.json", {"password": f"a1B2c3D4e5F6g7H{i}", "n": i})
        for i in range(5)
    ]
    files.append(tmp_path / "other.json")
    files[-1].write_text('{"name": "package"}')  # parses, but is no cassette: skipped
    env = {"BSS_CLIENT_SECRET": "a1B2c3D4e5F6g7H3"}
    in_process = audit.audit_files(files, environ=env, jobs=1)
    monkeypatch.setattr(audit, "PARALLEL_BYTES", 0)
    assert audit.audit_files(files, environ=env, jobs=2) == in_process
    assert isinstance(in_process[-1], Skipped)
    assert [len(r.findings) for r in in_process[:-1]] == [3, 3, 3, 6, 3]  # type: ignore[union-attr]


def test_a_json_documents_unescaped_copy_is_not_decoded_again() -> None:
    # Reddit's listings: HTML escaped twice in JSON strings, with percent-encoded links.
    html = "&amp;lt;a href=&quot;/r/x?q=%26amp%3B&quot;&amp;gt;x\\u0026amp;y&amp;lt;/a&amp;gt;"
    text = json.dumps({"description_html": html, "other": html.upper()})
    copies = [t for t, _, _ in decoding.nested_texts(text) if t.startswith("{")]
    # the document, and its json-escaped copy read whole for token shapes: no copy of a copy
    assert len(copies) == 2
    strings = [t for t, depth, _ in decoding.nested_texts(text) if t.startswith("<a href")]
    assert strings  # each string is still decoded, layer after layer


def test_the_decoded_copies_of_a_large_page_are_read_but_not_decoded_again() -> None:
    # An SEC filing: megabytes of HTML, entities and percent-escapes everywhere.
    row = "<td>A&amp;amp;B %2541 &#x27;x&#x27;</td>"
    page = row * (decoding._OPEN_LAYERS_MAX // len(row) + 1)
    link = '<a href="https://h.invalid/x?a=1&amp;access_token=Zq8Xk2Lm9Np4Rt7Vw1Yb3">'
    texts = list(decoding.nested_texts(page + link))
    assert [depth for _, depth, _ in texts] == [0] + [1] * (len(texts) - 1)
    assert "decoded" in [form for _, _, form in texts]  # all decodings at once, too
    positions = list(decoding.credential_positions(page + link))
    assert ("access_token", "query field") in positions  # the one decoding still finds it


def test_a_token_encoded_twice_in_a_large_page_is_found() -> None:
    row = "<td>A&amp;B %2541</td>"
    page = row * (decoding._OPEN_LAYERS_MAX // len(row) + 1)
    twice = "a=1%2526access_token%253DZq8Xk2Lm9Np4Rt7Vw1Yb3"  # "&" and "=" encoded twice
    link = f'<a href="https://h.invalid/x?{twice}">'
    assert ("access_token", "query field") in list(decoding.credential_positions(page + link))


def test_a_text_over_the_cache_budget_is_kept_alone_as_the_most_recent() -> None:
    from pytest_bss.text_cache import TextCache

    calls: list[str] = []
    cache = TextCache(budget=1000)

    def ask(text: str) -> int:
        return int(cache.get(text, len(text), lambda: calls.append(text) or len(text)))

    big, small = "x" * 5000, "y" * 10
    assert [ask(big), ask(big)] == [5000, 5000]  # the second question answered from the cache
    assert calls == [big]
    ask(small)  # a newer entry: the big one goes, the cache is back within its budget
    ask(big)
    assert calls == [big, small, big]


# Pieces of every shape that starts with a word, glued without and with separators, so that
# words stand inside other words, tokens run into each other and matches could overlap.
SHAPE_PIECES = st.sampled_from(
    [
        "sk-", "SG.", "AIza", "npm_", "eyJ", "ghp_", "github_pat_", "glpat-", "xoxb-", "AKIA",
        "ASIA", "ST-", "PGT-", "TGT-", "SSWS ", "Bearer ", "bearer\t", "BASIC ", "basic ",
        "12-", "a", "Z", "9", "-", "_", ".", " ", "=", "/", "+", "\u00e9", "\u212a",
        "Zx9Qw7Lm2Vb8Np4Kt6Hs3Jd5Fg1Rc0Wy", "YWxpY2U6czNjcjN0UGFzcw==", "eyJhbGciOiJIUzI1NiJ9",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(SHAPE_PIECES, min_size=1, max_size=120), st.integers(min_value=1, max_value=30))
def test_shapes_tried_where_their_words_stand_match_as_every_position_does(
    pieces: list[str], repeat: int
) -> None:
    text = "".join(pieces) * repeat
    text = text if len(text) >= 512 else text + " " * (512 - len(text)) + text
    for shape in shapes.SHAPES:
        expected = [(m.span(), m["value"]) for m in shape.pattern.finditer(text)]
        assert [(m.span(), m["value"]) for m in shapes._matches(shape, text)] == expected
