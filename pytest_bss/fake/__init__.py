"""The tenant emulator: a fake interworks.cloud BSS tenant on 127.0.0.1.

::

    with TenantEmulator() as emu:
        client = BssClient(emu.config())

Run ``python -m pytest_bss.fake`` for one in a terminal; it prints
``export BSS_...`` lines with its URL and the demo credentials.
``TenantEmulator(api_revision=2)`` answers as a later API would: :data:`REVISIONS`
lists what each revision changes.
"""

from .revisions import REVISIONS, Drift, DriftKind
from .server import (
    DEMO_CLIENT_KEY,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    TenantEmulator,
)

__all__ = [
    "DEMO_CLIENT_KEY",
    "DEMO_CLIENT_SECRET",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "REVISIONS",
    "Drift",
    "DriftKind",
    "TenantEmulator",
]
