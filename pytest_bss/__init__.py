"""pytest-bss: record once against an interworks.cloud BSS tenant, replay forever.

The public API is re-exported here lazily: ``import pytest_bss`` (which pytest does
for the plugin at start-up) loads nothing heavy until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import BssAuth, PasswordGrant, StaticToken, Token, TokenSource
    from .cassettes import BssCassette
    from .client import BssClient
    from .config import BssConfig
    from .exceptions import (
        BssApiError,
        BssAuthError,
        BssConfigError,
        BssConnectionError,
        BssError,
        BssTimeoutError,
        BssTransportError,
        CassetteCorruptError,
        CassetteError,
        CassetteMissingError,
        CassetteWriteError,
        CredentialLeakError,
        InvalidClientError,
        InvalidGrantError,
        PersonalDataError,
        RequestAlreadyPlayedError,
        RequestNotRecordedError,
        RequestOutsideCassetteError,
        TokenResponseError,
        UnstorableValueError,
        UnsupportedGrantTypeError,
        VerifyWriteRefusedError,
    )
    from .fake import TenantEmulator
    from .mock import BssMock

# Where each public name lives; the exceptions are the rest of __all__.
_MODULES = {
    "BssAuth": "auth",
    "PasswordGrant": "auth",
    "StaticToken": "auth",
    "Token": "auth",
    "TokenSource": "auth",
    "BssCassette": "cassettes",
    "BssClient": "client",
    "BssConfig": "config",
    "BssMock": "mock",
    "TenantEmulator": "fake",
}

__all__ = [
    "BssApiError",
    "BssAuth",
    "BssAuthError",
    "BssCassette",
    "BssClient",
    "BssConfig",
    "BssConfigError",
    "BssConnectionError",
    "BssError",
    "BssMock",
    "BssTimeoutError",
    "BssTransportError",
    "CassetteCorruptError",
    "CassetteError",
    "CassetteMissingError",
    "CassetteWriteError",
    "CredentialLeakError",
    "InvalidClientError",
    "InvalidGrantError",
    "PasswordGrant",
    "PersonalDataError",
    "RequestAlreadyPlayedError",
    "RequestNotRecordedError",
    "RequestOutsideCassetteError",
    "StaticToken",
    "TenantEmulator",
    "Token",
    "TokenResponseError",
    "TokenSource",
    "UnstorableValueError",
    "UnsupportedGrantTypeError",
    "VerifyWriteRefusedError",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'pytest_bss' has no attribute {name!r}")
    module = _MODULES.get(name, "exceptions")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
