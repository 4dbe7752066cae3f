"""The package re-exports its public API, and nothing is missing from __all__."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import pytest_bss

PUBLIC_MODULES = ("auth", "cassettes", "client", "config", "exceptions", "fake", "mock")
# Importable from their modules for the plugin's own use, not part of the top-level API.
INTERNAL = {"BssPersister", "HostileCassetteError"}


def test_every_name_in_all_can_be_imported() -> None:
    for name in pytest_bss.__all__:
        assert getattr(pytest_bss, name) is not None


def test_all_lists_every_public_class_of_the_public_modules() -> None:
    exported = set(pytest_bss.__all__)
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(f"pytest_bss.{module_name}")
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            public = name.startswith("Bss") or name.endswith("Error")
            if isinstance(value, type) and public and name not in INTERNAL:
                assert name in exported, f"pytest_bss.{module_name}.{name} is not re-exported"


def test_all_is_sorted_and_has_no_duplicates() -> None:
    assert pytest_bss.__all__ == sorted(set(pytest_bss.__all__))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        pytest_bss.Nope  # noqa: B018


def test_loading_the_plugin_imports_neither_requests_nor_vcrpy() -> None:
    code = (
        "import sys, pytest_bss.plugin; "
        "print(sorted(m for m in ('requests', 'vcr', 'responses') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
