"""Property: whatever an ordinary test does with a credential, no form of it is written.

For random credentials and a random place in a test's own request (a header as str or
bytes; a body as str, bytes, file, iterator, nested JSON, form, multipart or UTF-16 JSON;
the query string; the test id), a recording run against the tenant emulator either writes
cassettes without any independent form of any credential, or refuses; and its terminal
output, junit XML and cache hold none either (a form is looked for from 8 characters on).
Independent forms are computed in tests/leak_forms.py, not with the scrubber's own code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from leak_forms import assert_no_credential, everything_written

import pytest_bss
from pytest_bss.config import ENV_VARS
from pytest_bss.fake import TenantEmulator

characters = st.one_of(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),
    st.sampled_from("/+=!%&@:"),
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
)
# A value that is a word of the test below or of pytest-bss's messages ("credential", drawn
# once in CI) is written in every report ("test_sends_a_credential", "a credential survived
# scrubbing"): that is no form of the secret leaking.
OWN_TEXT = "\n".join(
    path.read_text(encoding="utf-8") for path in Path(pytest_bss.__file__).parent.rglob("*.py")
)
credentials = st.text(characters, min_size=1, max_size=40).filter(
    lambda v: (
        not v.startswith("<BSS_") and v.strip() == v and (len(v) < 8 or v not in OWN_TEXT + TEST)
    )
)

PLACEMENTS = {
    "header-str": 'http.get(url, headers={"X-Note": secret})',
    "header-bytes": 'http.get(url, headers={"X-Note": secret.encode()})',
    "body-str": "http.post(url, data=secret)",
    "body-bytes": "http.post(url, data=secret.encode())",
    "body-file": "http.post(url, data=io.BytesIO(secret.encode()))",
    "body-iterator": "http.post(url, data=iter([b'x=', secret.encode()]))",
    "json": "http.post(url, json=nest(secret, DEPTH))",
    "json-in-string": "http.post(url, json={'note': json.dumps(nest(secret, DEPTH))})",
    "form": 'http.post(url, data={"password": secret, "note": secret})',
    "multipart": 'http.post(url, files={"password": (None, secret), "note": (None, secret)})',
    "utf-16-json": (
        "http.post(url, data=json.dumps({'password': secret}).encode('utf-16'), "
        "headers={'Content-Type': 'application/json; charset=utf-16'})"
    ),
    "query": 'http.get(url, params={"q": secret})',
    "id": "pass",
}

TEST = """
import io, json
import pytest
import requests

def nest(value, depth):
    for n in range(depth):
        value = {{"level": n, "items": [value]}} if n % 2 else [value]
    return value

@pytest.mark.parametrize("case", [{case!r}])
def test_sends_a_credential(bss_cassette, bss_config, case):
    secret = {which}
    url = bss_config.base_url + "api/accounts/1001"
    with requests.Session() as http:
        {placement}
"""


@settings(
    max_examples=int(os.environ.get("BSS_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    # Each example is a whole recording run: report a failing one as drawn, unshrunk.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    password=credentials,
    client_secret=credentials,
    which=st.sampled_from(["bss_config.password", "bss_config.client_secret"]),
    place=st.sampled_from(sorted(PLACEMENTS)),
    depth=st.integers(0, 8),
)
# Drawn once in CI: one- and two-character credentials whose escaped forms are long
# (pytest printed `\U0004d6ff` in a UnicodeEncodeError from a str header).
@example("\U000acdf5\u00c3", "\U0004d6ff", "bss_config.client_secret", "id", 0)
@example("\U000acdf5\u00c3", "\U0004d6ff", "bss_config.password", "query", 0)
@example("\U000acdf5\u00c3", "\U0004d6ff", "bss_config.client_secret", "header-str", 0)
def test_a_recording_writes_no_form_of_any_credential_or_refuses(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    client_secret: str,
    which: str,
    place: str,
    depth: int,
) -> None:
    for leftover in ("cassettes", ".pytest_cache", "junit.xml"):
        shutil.rmtree(pytester.path / leftover, ignore_errors=True)
        (pytester.path / leftover).unlink(missing_ok=True)
    pytester.makeini("[pytest]\n")
    secret = password if which.endswith("password") else client_secret
    case = secret if place == "id" else place
    placement = PLACEMENTS[place].replace("DEPTH", str(depth))
    pytester.makepyfile(test_place=TEST.format(case=case, which=which, placement=placement))

    with TenantEmulator(password=password, client_secret=client_secret) as emu:
        config = emu.config()
        for name, var in ENV_VARS.items():
            monkeypatch.setenv(var, str(getattr(config, name)))
        result = pytester.runpytest("--bss-record", "--junitxml=junit.xml", "-l", "--tb=long")

    known = [
        password,
        client_secret,
        f"{config.client_key}:{client_secret}",
        f"{config.username}:{password}",
        *emu.issued_tokens(),
    ]
    written = everything_written(pytester.path, result.stdout.str(), result.stderr.str())
    assert_no_credential(written, known)
