"""Property-based tests of pytest_bss.scrub: no form of a credential survives scrubbing."""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from vcr import serialize as vcr_serialize
from vcr.request import Request
from vcr.serializers import jsonserializer, yamlserializer

from pytest_bss.catalogue import is_placeholder_value
from pytest_bss.scrub import (
    NEUTRAL_BASE,
    SecretSet,
    find_leaks,
    find_structural_leaks,
    is_placeholder,
    scrub_interactions,
    scrub_request,
    scrub_response,
)

BASE = "http://127.0.0.1:5000/bsssmapi/"
CLIENT_KEY = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
CLIENT_SECRET = "dGhpcy1pcy1ub3QtYS1yZWFsLXNlY3JldC8rPT0xMjM="
USERNAME = "integration.user"
PASSWORD = "Corr3ct-Horse/Battery+Staple"
TOKEN = "AAEAA" + "kq3Z_9x-Lm2" * 38
FORM = {"Content-Type": ["application/x-www-form-urlencoded"]}
JSON = {"Content-Type": ["application/json"]}
TEXT = {"Content-Type": ["text/plain; charset=utf-8"]}
OCTETS = {"Content-Type": ["application/octet-stream"]}
PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

characters = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from('+/=!%&@ "\\<>:;?#'),
    st.characters(blacklist_categories=("Cs", "Cc")),
)
# Values the catalogue reads as placeholders (``xxx``, ``REDACTED``, ``<token>``) are not
# credentials: nothing to replace.
long_credentials = st.text(characters, min_size=6, max_size=200).filter(
    lambda v: not is_placeholder_value(v)
)
short_credentials = st.text(characters, min_size=1, max_size=5).filter(
    lambda v: v.strip() == v and not is_placeholder_value(v)
)
free_text_kinds = st.sampled_from(
    ["client_key", "client_secret", "username", "password", "access_token", "refresh_token"]
)


def secret_set(kind: str, value: str) -> SecretSet:
    secrets = SecretSet()
    for k, v in (
        ("client_key", CLIENT_KEY),
        ("client_secret", CLIENT_SECRET),
        ("username", USERNAME),
        ("password", PASSWORD),
    ):
        secrets.add(k, v)
    secrets.add(kind, value)
    return secrets


def basic(key: str, secret: str) -> str:
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


def request(uri: str, body: Any = None, headers: dict[str, list[str]] | None = None) -> Any:
    return {"method": "POST" if body else "GET", "uri": uri, "body": body, "headers": headers or {}}


def response(body: Any = "", headers: dict[str, list[str]] | None = None) -> Any:
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": headers or {},
        "body": {"string": body},
    }


def cassette_with(value: str, kind: str, ascii_json: bool, escape_slash: bool) -> dict[str, Any]:
    """One cassette carrying ``value`` in every place; ``value=""`` gives the bare template."""
    key = value if kind == "client_key" else CLIENT_KEY
    secret = value if kind == "client_secret" else CLIENT_SECRET
    bearer = value if kind == "access_token" else TOKEN
    document = json.dumps(
        {"note": value, "list": [1, value], "nested": {"x": value}}, ensure_ascii=ascii_json
    )
    if escape_slash:
        document = document.replace("/", "\\/")
    raw = value.encode()
    pairs = [
        (
            request(
                BASE + "oauth/token",
                urlencode({"grant_type": "password", "username": USERNAME, "password": PASSWORD}),
                {"Authorization": [f"Basic {basic(key, secret)}"], **FORM},
            ),
            response(json.dumps({"access_token": TOKEN, "token_type": "bearer"}), JSON),
        ),
        (
            request(
                BASE
                + "api/search?"
                + urlencode({"q": value, "page": 1})
                + "&r="
                + quote(value, safe=""),
                headers={"Authorization": [f"Bearer {bearer}"], "X-Note": [value]},
            ),
            response(
                f"note: {value} . {quote(value)} . b64 {base64.b64encode(raw).decode()} .", TEXT
            ),
        ),
        (
            request(BASE + "api/notes", urlencode({"note": value, "kind": "x"}), FORM),
            response(document, JSON),
        ),
        (
            request(BASE + "api/notes", document.encode(), JSON),
            response(
                gzip.compress(document.encode()),
                {"Content-Encoding": ["gzip"], **JSON},
            ),
        ),
        (
            request(BASE + "api/echo", f"pair {basic(key, secret)} .", TEXT),
            response(f"urlsafe {base64.urlsafe_b64encode(raw).decode().rstrip('=')} .", TEXT),
        ),
        (
            request(BASE + "api/upload", b"\xff\xfe " + raw + b" \x80", OCTETS),
            response(b"\x89PNG " + raw + b" \xff", OCTETS),
        ),
    ]
    return {"version": 1, "interactions": [{"request": q, "response": r} for q, r in pairs]}


def forms(value: str) -> set[str]:
    """Every written form of a value, computed independently of the scrubber."""
    out = {value}
    for encoded in (quote(value, safe=""), quote(value), quote_plus(value)):
        out |= {encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), encoded)}
    for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
        out |= {escaped, escaped.replace("/", "\\/")}
    raw = value.encode("utf-8", "surrogatepass")
    for b64 in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        out |= {b64, b64.rstrip("=")}
    out |= {raw.hex(), raw.hex().upper(), html.escape(value), html.escape(value, quote=False)}
    return {form for form in out if form}


def texts(data: dict[str, Any]) -> list[str]:
    """Every text a cassette holds, placeholders and the neutral base blanked out."""
    found = []
    for interaction in data["interactions"]:
        req, resp = interaction["request"], interaction["response"]
        found += [req["uri"], resp["status"]["message"]]
        for message in (req, resp):
            for values in message["headers"].values():
                found += values
        for body in (req["body"], resp["body"]["string"]):
            if body:
                found.append(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    blank = re.compile(r"<BSS_[A-Z0-9_]+>|%3[Cc]BSS_[A-Z0-9_]+%3[Ee]|" + re.escape(NEUTRAL_BASE))
    return [blank.sub("\x00", text) for text in found]


def surviving_forms(data: dict[str, Any], value: str) -> list[str]:
    """Forms of ``value`` found in ``data`` under the length rule (strict neighbours)."""
    hits = []
    for form in forms(value):
        pattern = re.escape(form)
        if len(value) < 16:
            pattern = rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])"
        hits += [form for text in texts(data) if re.search(pattern, text)]
    return hits


def is_text(body: Any) -> bool:
    if not isinstance(body, bytes):
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def assert_round_trips(data: dict[str, Any]) -> None:
    """The cassette serializes and loads back through vcrpy's YAML serializer, and its
    interactions with text bodies through vcrpy's JSON serializer."""
    text_only = [
        i
        for i in data["interactions"]
        if is_text(i["request"]["body"]) and is_text(i["response"]["body"]["string"])
    ]
    for serializer, interactions in (
        (yamlserializer, data["interactions"]),
        (jsonserializer, text_only),
    ):
        cassette = {
            "requests": [Request._from_dict(dict(i["request"])) for i in interactions],
            "responses": [i["response"] for i in interactions],
        }
        text = vcr_serialize.serialize(cassette, serializer)
        requests, responses = vcr_serialize.deserialize(text, serializer)
        for interaction, req, resp in zip(interactions, requests, responses, strict=True):
            original = interaction["request"]
            assert (req.method, req.uri) == (original["method"], original["uri"])
            body = original["body"]
            assert req.body == (body.encode() if isinstance(body, str) else body)
            expected = interaction["response"]["body"]["string"]
            assert resp["body"]["string"] == (
                expected.encode() if isinstance(expected, str) else expected
            )
            assert resp["headers"] == interaction["response"]["headers"]


@PROPERTIES
@given(
    value=long_credentials,
    kind=free_text_kinds,
    ascii_json=st.booleans(),
    escape_slash=st.booleans(),
)
def test_no_form_of_a_credential_survives_anywhere(
    value: str, kind: str, ascii_json: bool, escape_slash: bool
) -> None:
    secrets = secret_set(kind, value)
    bare, _ = scrub_interactions(cassette_with("", kind, ascii_json, escape_slash), secrets)
    # The template alone must not already hold the value (say, "accounts" or "bearer").
    assume(not surviving_forms(bare, value) and not find_leaks(bare, secrets))

    scrubbed, count = scrub_interactions(
        cassette_with(value, kind, ascii_json, escape_slash), secrets
    )

    leaks = find_leaks(scrubbed, secrets)
    if len(value) < 16 and kind not in ("username", "client_key"):
        # A short secret is never replaced outside its credential positions: refused.
        assert any(leak.kind == kind and leak.fix for leak in leaks)
    else:
        assert leaks == []
        assert surviving_forms(scrubbed, value) == []
        assert count > 0


@PROPERTIES
@given(
    value=long_credentials,
    kind=free_text_kinds,
    ascii_json=st.booleans(),
    escape_slash=st.booleans(),
)
def test_scrubbed_cassettes_round_trip_through_vcrpy_and_scrub_again_to_themselves(
    value: str, kind: str, ascii_json: bool, escape_slash: bool
) -> None:
    secrets = secret_set(kind, value)
    data = cassette_with(value, kind, ascii_json, escape_slash)

    scrubbed, _ = scrub_interactions(data, secrets, base_urls=(BASE,))

    assert_round_trips(scrubbed)
    assert scrub_interactions(scrubbed, secrets, base_urls=(BASE,)) == (scrubbed, 0)
    for interaction in scrubbed["interactions"]:
        body = interaction["response"]["body"]["string"]
        if interaction["response"]["headers"].get("Content-Type") == JSON["Content-Type"]:
            json.loads(body)


cookie_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=';,"\\'),
    min_size=1,
    max_size=5,
).filter(
    # a flag (1-3 digits, true/false ...) is no cookie to hide whatever its name
    # (docs/scrubbing.md: override_session=0)
    lambda v: (
        not is_placeholder_value(v)
        and not (v.isdigit() and len(v) <= 3)
        and v.lower() not in {"true", "false", "yes", "no", "on", "off", "null", "none"}
    )
)


@PROPERTIES
@given(value=short_credentials, cookie=cookie_values)
def test_short_credentials_are_replaced_in_every_credential_position(
    value: str, cookie: str
) -> None:
    secrets = secret_set("password", value)
    data = {
        "version": 1,
        "interactions": [
            {
                "request": request(
                    BASE + "oauth/token?" + urlencode({"access_token": value}),
                    urlencode({"grant_type": "password", "username": value, "password": value}),
                    {
                        "Authorization": [f"Basic {basic(CLIENT_KEY, value)}"],
                        "Cookie": [f"sid={cookie}"],
                        **FORM,
                    },
                ),
                "response": response(
                    json.dumps({"password": value, "access_token": value, "username": value}),
                    {"Set-Cookie": [f"sid={cookie}; path=/"], **JSON},
                ),
            }
        ],
    }

    scrubbed, _ = scrub_interactions(data, secrets)

    assert find_structural_leaks(scrubbed) == []
    # What is left is the short password elsewhere (say, in "oauth/token"): refused with a fix.
    assert all(leak.kind == "password" and leak.fix for leak in find_leaks(scrubbed, secrets))
    interaction = scrubbed["interactions"][0]
    req, resp = interaction["request"], interaction["response"]
    assert all(is_placeholder(v) for v in parse_qs(req["body"]).get("password", []))
    assert all(
        is_placeholder(v) for v in parse_qs(urlsplit(req["uri"]).query).get("access_token", [])
    )
    assert req["headers"]["Authorization"] == ["Basic <BSS_CLIENT_CREDENTIALS>"]
    cookie_placeholder = req["headers"]["Cookie"][0].removeprefix("sid=")
    assert is_placeholder(cookie_placeholder)
    assert resp["headers"]["Set-Cookie"] == [f"sid={cookie_placeholder}; path=/"]
    assert all(is_placeholder(v) for v in json.loads(resp["body"]["string"]).values())
    assert_round_trips(scrubbed)


# --- the scrubber and the leak gate never raise -----------------------------------------

anything = st.one_of(
    st.text(st.characters(), max_size=60),
    st.binary(max_size=60),
    st.sampled_from(["Basic kéy:sécret", "Basic \udc80", "Bearer ", '{"access_token": 1', "a=%ZZ"]),
)
header_values = st.one_of(st.text(st.characters(), max_size=40), st.sampled_from(["Basic ☃"]))
header_names = st.sampled_from(
    [
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "Set-Cookie",
        "Location",
        "Content-Type",
        "Content-Encoding",
        "X-Note",
    ]
)


@PROPERTIES
@given(
    uri=st.text(st.characters(), max_size=60),
    headers=st.dictionaries(header_names, st.lists(header_values, max_size=2), max_size=4),
    body=anything,
    known=st.text(st.characters(), min_size=1, max_size=20),
)
def test_scrubbing_and_the_leak_check_never_raise(
    uri: str, headers: dict[str, list[str]], body: Any, known: str
) -> None:
    secrets = SecretSet()
    secrets.add("password", known)
    req, resp = request(BASE + uri, body, headers), response(body, headers)
    data = {"version": 1, "interactions": [{"request": req, "response": resp}]}

    scrub_request(req, secrets, base_urls=(BASE,))
    scrub_response(resp, secrets, base_urls=(BASE,))
    scrubbed, _ = scrub_interactions(data, secrets, base_urls=(BASE,))
    find_leaks(data, secrets)
    find_leaks(scrubbed, secrets)
    find_structural_leaks(data)


# --- any credential, anywhere: gone in every form, or refused ---------------------------

special_credentials = st.text(
    st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from("/+=!%&@:")),
    min_size=1,
    max_size=40,
).filter(lambda v: v.strip() == v and not is_placeholder_value(v) and "--" not in v)
secret_kinds = st.sampled_from(["password", "client_secret", "access_token", "refresh_token"])
FIELD = {
    "password": "password",
    "client_secret": "clientSecret",
    "access_token": "accessToken",
    "refresh_token": "refresh-token",
}


def nest(document: Any, depth: int) -> Any:
    for _ in range(depth):
        document = {"wrapped": json.dumps(document)}
    return document


def encode(text: str, charset: str) -> tuple[bytes | str, str]:
    if charset == "str":
        return text, "utf-8"
    try:
        return text.encode(charset), charset
    except UnicodeEncodeError:
        return text.encode("utf-8"), "utf-8"


def decoded_texts(data: dict[str, Any], charsets: list[str]) -> list[str]:
    """Every text of a cassette, bodies decoded by the charset the test wrote them in."""
    out = []
    bodies = iter(charsets)
    for interaction in data["interactions"]:
        req, resp = interaction["request"], interaction["response"]
        out += [req["uri"], resp["status"]["message"]]
        for message in (req, resp):
            for values in message["headers"].values():
                out += values
        for body in (req["body"], resp["body"]["string"]):
            charset = next(bodies)
            if isinstance(body, bytes):
                out.append(body.decode(charset, "replace"))
            elif body:
                out.append(body)
    blank = re.compile(r"<BSS_[A-Z0-9_]+>|%3[Cc]BSS_[A-Z0-9_]+%3[Ee]")
    return [blank.sub("\x00", text) for text in out]


@PROPERTIES
@given(
    value=special_credentials,
    kind=secret_kinds,
    known=st.booleans(),
    depth=st.integers(min_value=0, max_value=4),
    charsets=st.lists(
        st.sampled_from(["str", "utf-8", "utf-16", "latin-1"]), min_size=3, max_size=3
    ),
)
def test_a_credential_anywhere_is_gone_in_every_form_or_refused(
    value: str, kind: str, known: bool, depth: int, charsets: list[str]
) -> None:
    secrets = SecretSet()
    if known:
        secrets.add(kind, value)
    json_body, json_charset = encode(
        json.dumps(nest({FIELD[kind]: value, "note": f"echo {value}!"}, depth)), charsets[0]
    )
    form_body, form_charset = encode(
        urlencode({"grant_type": "password", FIELD[kind]: value, "note": value}), charsets[1]
    )
    boundary = "b0undary-7f3a"
    multipart = "\r\n".join(
        [
            f"--{boundary}",
            f'Content-Disposition: form-data; name="{FIELD[kind]}"',
            "",
            value,
            f"--{boundary}",
            'Content-Disposition: form-data; name="note"',
            "",
            f"x {value} y",
            f"--{boundary}--",
            "",
        ]
    )
    multipart_body, multipart_charset = encode(multipart, charsets[2])
    uri = BASE + "api/search?" + urlencode({"q": value, "p": 1})
    pairs = [
        (
            request(
                uri,
                form_body,
                {
                    "Content-Type": [f"application/x-www-form-urlencoded; charset={form_charset}"],
                    "X-Note": [value],
                },
            ),
            response(json_body, {"Content-Type": [f"application/json; charset={json_charset}"]}),
        ),
        (
            request(
                BASE + "api/upload",
                multipart_body,
                {
                    "Content-Type": [
                        f"multipart/form-data; boundary={boundary}; charset={multipart_charset}"
                    ],
                },
            ),
            response(),
        ),
    ]
    data = {"version": 1, "interactions": [{"request": q, "response": r} for q, r in pairs]}
    used = [form_charset, json_charset, multipart_charset, "utf-8"]

    scrubbed, _ = scrub_interactions(data, secrets)

    leaks = find_leaks(scrubbed, secrets)
    if not leaks:
        for text in decoded_texts(scrubbed, used):
            for form in forms(value):
                assert form not in text
    if len(value) >= 16:
        assert leaks == []
