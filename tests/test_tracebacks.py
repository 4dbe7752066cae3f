"""No credential shows in a traceback pytest prints, even with every local on display.

pytest prints the locals of each frame with ``-l``/``--showlocals`` and the arguments of
each call with ``--tb=long`` and ``--full-trace``; ``-vv`` stops it truncating them. So no
frame of ours on the token path may hold a credential in a plain string while an
exception can pass through it. Frames of requests and urllib3 are another matter (see
the report redaction); on these paths our errors are raised ``from None`` and those frames
are not printed at all, so the whole report is checked.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

import pytest_bss
from pytest_bss.auth import PasswordGrant
from pytest_bss.client import BssClient
from pytest_bss.config import BssConfig
from pytest_bss.exceptions import BssConfigError, BssTimeoutError, BssTransportError
from pytest_bss.fake import TenantEmulator

# Synthetic. The client secret is not Latin-1 (€) and has characters that percent-encode.
CLIENT_KEY = "KEY-5e0b7a2c-potoroo"
CLIENT_SECRET = "sécret€/+QuollSecret=="
USERNAME = "user-bandicoot-161"
PASSWORD = "pw ä+b/c=d!%-dunnart"
CREDENTIALS = {
    "client_key": CLIENT_KEY,
    "client_secret": CLIENT_SECRET,
    "username": USERNAME,
    "password": PASSWORD,
}
ENV = {
    "BSS_CLIENT_KEY": CLIENT_KEY,
    "BSS_CLIENT_SECRET": CLIENT_SECRET,
    "BSS_USERNAME": USERNAME,
    "BSS_PASSWORD": PASSWORD,
}


def forms(value: str) -> set[str]:
    """The ways a credential can be written: raw, repr-escaped, percent-encoded, base64."""
    found = {value, repr(value)[1:-1], quote(value, safe=""), quote(value), quote_plus(value)}
    for encoding in ("utf-8", "latin-1"):
        with contextlib.suppress(UnicodeEncodeError):
            found.add(base64.b64encode(value.encode(encoding)).decode().rstrip("="))
    return found


def secret_forms(*extra: str) -> dict[str, str]:
    """Each form of each credential (and of the Basic pair), mapped to a name for the failure."""
    named = {**CREDENTIALS, **{f"token-{i}": value for i, value in enumerate(extra)}}
    named["basic-pair"] = f"{CLIENT_KEY}:{CLIENT_SECRET}"
    return {form: name for name, value in named.items() for form in forms(value)}


def leaks(text: str, *extra: str) -> list[str]:
    return sorted({name for form, name in secret_forms(*extra).items() if form in text})


# The installed package's folder: a test folder whose path happens to hold "pytest_bss"
# (an unpacked sdist, pytest_bss-0.1.0/tests/) is not ours.
PACKAGE = Path(pytest_bss.__file__).resolve().parent


def our_frames_locals(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The full repr of every local of every pytest_bss frame the exception passed through."""
    shown = []
    for entry in excinfo.traceback:
        path = entry.path
        if entry.path == "<string>" or (
            isinstance(path, Path) and path.resolve().is_relative_to(PACKAGE)
        ):
            shown += [f"{entry.name}: {k}={v!r}" for k, v in entry.frame.f_locals.items()]
    return "\n".join(shown)


# --- the inner test files run through pytester -----------------------------------------------

# The credentials live in a module of their own: --tb=long prints the failing functions'
# source, and that must show names, not values.
INNER_CREDENTIALS = f"""
from pytest_bss.fake import TenantEmulator

CREDENTIALS = {CREDENTIALS!r}


def tenant(fault):
    if fault == "wrong-secret":
        return TenantEmulator(**{{**CREDENTIALS, "client_secret": "the-tenant's-own"}})
    return TenantEmulator(**CREDENTIALS)
"""

INNER_TESTS = """
    from pathlib import Path

    import pytest

    from inner_credentials import CREDENTIALS, tenant
    from pytest_bss.auth import PasswordGrant
    from pytest_bss.client import BssClient
    from pytest_bss.config import BssConfig
    from pytest_bss.fake import TenantEmulator


    @pytest.mark.parametrize("fault", ["timeout", "refused"])
    def test_a_refresh_fails(fault):
        with TenantEmulator(issue_refresh_token=True, **CREDENTIALS) as emu:
            grant = PasswordGrant(emu.config(timeout=0.3))
            try:
                first = grant.get_token()
                if fault == "timeout":
                    emu.inject_fault("oauth/token", delay=1)
                else:
                    emu.stop()
                grant.get_token(stale=first)
            finally:
                with Path("issued.txt").open("a") as issued:
                    issued.write("\\n".join(emu.issued_tokens()) + "\\n")


    @pytest.mark.parametrize("fault", ["timeout", "refused", "wrong-secret"])
    def test_a_token_request_with_a_non_latin_1_secret_fails(fault):
        with tenant(fault) as emu:
            if fault == "timeout":
                emu.inject_fault("oauth/token", delay=1)
            elif fault == "refused":
                emu.inject_fault("oauth/token", status=401, body="", content_type=None)
            config = emu.config(timeout=0.3, client_secret=CREDENTIALS["client_secret"])
            with BssClient(config) as client:
                client.get_json("api/accounts/1")


    @pytest.mark.parametrize(
        ("overrides", "unset"),
        [
            ({"api_version": "4"}, None),
            ({"timeout": "soon"}, None),
            ({}, "BSS_PASSWORD"),
            ({"base_url": "bss.example.test"}, None),
        ],
    )
    def test_from_env_fails(monkeypatch, overrides, unset):
        if unset:
            monkeypatch.delenv(unset)
        BssConfig.from_env(**overrides)
"""
INNER_COUNT = 9


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(inner_credentials=INNER_CREDENTIALS, test_inner=INNER_TESTS)
    pytester.syspathinsert()
    monkeypatch.setenv("BSS_BASE_URL", "https://bss.example.test/")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return pytester


def failure_sections(output: str) -> dict[str, str]:
    """The report of each failed test, by test id."""
    parts = re.split(r"^_{3,} (test_\S+) _{3,}$", output, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize(
    "display",
    [
        pytest.param(("-l", "--tb=long", "-vv"), id="showlocals-long"),
        pytest.param(("--full-trace", "-l", "-vv"), id="full-trace"),
    ],
)
def test_no_failure_report_shows_a_credential(
    inner: pytest.Pytester, display: tuple[str, ...]
) -> None:
    result = inner.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *display)

    result.assert_outcomes(failed=INNER_COUNT)
    output = result.stdout.str() + result.stderr.str()
    issued = (inner.path / "issued.txt").read_text().split()
    assert len(issued) == 4  # per refresh test, one access token and one refresh token
    sections = failure_sections(output)
    assert len(sections) == INNER_COUNT
    assert "refresh_token" in sections["test_a_refresh_fails[timeout]"]  # the frames are shown
    found = {name: leaks(text, *issued) for name, text in sections.items()}
    assert {name: names for name, names in found.items() if names} == {}
    assert leaks(output, *issued) == []


# --- the same, frame by frame: every local of every pytest_bss frame --------------------------


@pytest.fixture
def refresh_tenant() -> Iterator[TenantEmulator]:
    with TenantEmulator(issue_refresh_token=True, **CREDENTIALS) as emu:
        yield emu


def test_our_frames_hold_no_refresh_token_when_a_refresh_times_out(
    refresh_tenant: TenantEmulator,
) -> None:
    grant = PasswordGrant(refresh_tenant.config(timeout=0.3))
    try:
        first = grant.get_token()
        refresh_tenant.inject_fault("oauth/token", delay=1)
        with pytest.raises(BssTimeoutError) as caught:
            grant.get_token(stale=first)
    finally:
        grant.close()

    assert "refresh" in [entry.name for entry in caught.traceback]
    assert leaks(our_frames_locals(caught), *refresh_tenant.issued_tokens()) == []


def test_our_frames_hold_no_credential_when_the_client_cannot_get_a_token() -> None:
    with TenantEmulator(**CREDENTIALS) as emu:
        config = emu.config(timeout=0.3)
        emu.stop()
        with BssClient(config) as client, pytest.raises(BssTransportError) as caught:
            client.get("api/accounts/1")

    assert leaks(our_frames_locals(caught)) == []


@pytest.mark.parametrize(
    "overrides",
    [{"api_version": "4"}, {"timeout": "soon"}, {"base_url": "https://u:p@bss.example.test/"}],
)
def test_our_frames_hold_no_credential_when_from_env_fails(overrides: dict[str, str]) -> None:
    environ = {"BSS_BASE_URL": "https://bss.example.test/", **ENV}

    with pytest.raises(BssConfigError) as caught:
        BssConfig.from_env(environ, **overrides)  # type: ignore[arg-type]

    assert leaks(our_frames_locals(caught)) == []


def test_the_config_built_with_a_bad_value_holds_no_credential_in_its_frames() -> None:
    with pytest.raises(BssConfigError) as caught:
        BssConfig("https://bss.example.test/", api_version="4", **CREDENTIALS)

    assert leaks(our_frames_locals(caught)) == []


def test_the_checks_find_a_leak_when_there_is_one(tmp_path: Path) -> None:
    # The detector itself: every form it looks for is found in a plain dump of the values.
    dump = " ".join(secret_forms())

    assert set(leaks(dump)) == {*CREDENTIALS, "basic-pair"}
