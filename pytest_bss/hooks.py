"""Hook specifications pytest-bss adds; implement them in a ``conftest.py``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_bss_configure_vcr(config: pytest.Config, vcr: Any) -> None:
    """Adjust the ``vcr.VCR`` object before each cassette is opened.

    Use it to register matchers or add vcrpy options. Scrubbing cannot be turned
    off here: it runs after every filter configured on ``vcr``, and every write is
    checked for leaks.
    """
