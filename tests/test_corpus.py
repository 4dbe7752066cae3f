"""Audit and scrub on real cassettes of nine other projects (issue 12; see tests/corpus.py)."""

from __future__ import annotations

import pytest
from corpus import Score, measure


@pytest.fixture(scope="module")
def score() -> Score:
    return measure()


def test_audit_finds_nearly_every_labelled_credential(score: Score) -> None:
    assert score.recall >= 0.95, score.missed


def test_audit_flags_few_clean_files(score: Score) -> None:
    assert score.precision >= 0.90, sorted(score.flagged_files - score.dirty_files)


def test_no_credential_survives_scrub_in_a_file_that_then_audits_clean(score: Score) -> None:
    assert score.survivors == []


def test_every_loadable_cassette_is_read_and_no_file_is_skipped_silently(score: Score) -> None:
    assert (score.unreadable, score.skipped) == ([], [])


def test_every_scrubbed_file_still_loads_in_its_own_tool(score: Score) -> None:
    assert score.broken == []
