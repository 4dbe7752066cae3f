from __future__ import annotations

from collections.abc import Iterator

import pytest

# In-process pytester runs drop the modules a run imported; PyYAML's C extension
# cannot be imported twice, so load vcrpy's YAML serializer once, here.
import vcr.serializers.yamlserializer  # noqa: F401

from pytest_bss.fake import TenantEmulator

pytest_plugins = ["pytester"]


@pytest.fixture
def emulator() -> Iterator[TenantEmulator]:
    """A tenant emulator on 127.0.0.1 for one test."""
    with TenantEmulator() as emu:
        yield emu


@pytest.fixture
def tenant_env(emulator: TenantEmulator, monkeypatch: pytest.MonkeyPatch) -> TenantEmulator:
    """BSS_* variables that point at the test's emulator, as a user would export them."""
    config = emulator.config()
    monkeypatch.setenv("BSS_BASE_URL", config.base_url)
    monkeypatch.setenv("BSS_CLIENT_KEY", config.client_key)
    monkeypatch.setenv("BSS_CLIENT_SECRET", config.client_secret)
    monkeypatch.setenv("BSS_USERNAME", config.username)
    monkeypatch.setenv("BSS_PASSWORD", config.password)
    monkeypatch.delenv("BSS_API_VERSION", raising=False)
    monkeypatch.delenv("BSS_TIMEOUT", raising=False)
    return emulator
