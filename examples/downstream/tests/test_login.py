"""Logging in: the session token, and a password the tenant refuses."""

from __future__ import annotations

import dataclasses

import pytest
from pytest_bss import BssCassette, BssClient, BssConfig, InvalidGrantError, Token


def test_the_session_logs_in_with_a_bearer_token(bss_token: Token) -> None:
    assert bss_token.token_type.lower() == "bearer"
    assert bss_token.access_token


def test_a_wrong_password_is_refused_with_invalid_grant(
    bss_config: BssConfig, bss_cassette: BssCassette
) -> None:
    # bss_cassette records this test's own token request (the refusal) into its cassette.
    wrong = dataclasses.replace(bss_config, password="not-the-password")

    with BssClient(wrong) as client, pytest.raises(InvalidGrantError) as refused:
        client.get_json("api/accounts/1001")

    assert refused.value.error == "invalid_grant"
    assert len(bss_cassette.requests) == 1  # the token request only: no API call was tried
