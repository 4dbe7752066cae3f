from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest

# In-process pytester runs drop the modules a run imported; PyYAML's C extension
# cannot be imported twice, so load vcrpy's YAML serializer once, here.
import vcr.serializers.yamlserializer  # noqa: F401

from pytest_bss.config import ENV_VARS, BssConfig
from pytest_bss.fake import TenantEmulator

pytest_plugins = ["pytester"]


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs cache no compiled test module.

    Tests rewrite a module and run it again within the same second. pytest before 9
    validates its cached, assertion-rewritten modules by modification time and size, so a
    rewrite of the same size ran the old code (seen on the oldest supported pytest).
    """
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    return pytester


@pytest.fixture
def emulator() -> Iterator[TenantEmulator]:
    """A tenant emulator on 127.0.0.1 for one test."""
    with TenantEmulator() as emu:
        yield emu


@pytest.fixture
def export_tenant(monkeypatch: pytest.MonkeyPatch) -> Callable[[BssConfig], None]:
    """A function that sets the BSS_* variables for a config, as a user would export them."""

    def export(config: BssConfig) -> None:
        for name, var in ENV_VARS.items():
            monkeypatch.setenv(var, str(getattr(config, name)))

    return export


@pytest.fixture
def tenant_env(
    emulator: TenantEmulator, export_tenant: Callable[[BssConfig], None]
) -> TenantEmulator:
    """BSS_* variables that point at the test's emulator."""
    export_tenant(emulator.config())
    return emulator
