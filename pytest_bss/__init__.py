"""pytest-bss: record once against an interworks.cloud BSS tenant, replay forever."""

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
    CredentialLeakError,
    InvalidClientError,
    InvalidGrantError,
    RequestAlreadyPlayedError,
    RequestNotRecordedError,
    TokenResponseError,
    UnsupportedGrantTypeError,
)

__all__ = [
    "BssApiError",
    "BssAuthError",
    "BssConfig",
    "BssConfigError",
    "BssConnectionError",
    "BssError",
    "BssTimeoutError",
    "BssTransportError",
    "CassetteCorruptError",
    "CassetteError",
    "CassetteMissingError",
    "CredentialLeakError",
    "InvalidClientError",
    "InvalidGrantError",
    "RequestAlreadyPlayedError",
    "RequestNotRecordedError",
    "TokenResponseError",
    "UnsupportedGrantTypeError",
]
