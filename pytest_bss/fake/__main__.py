"""``python -m pytest_bss.fake``: serve a tenant emulator until Ctrl-C or SIGTERM.

Standard output carries only ``export BSS_...=...`` lines, so a shell can load
them: ``python -m pytest_bss.fake > bss.env & sleep 1; . ./bss.env``.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from .revisions import REVISIONS
from .server import TenantEmulator


def main(argv: Sequence[str] | None = None) -> int:
    """Start the emulator, print its settings as ``export`` lines, serve until stopped."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_bss.fake",
        description="Serve a fake interworks.cloud BSS tenant on 127.0.0.1 with demo credentials.",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument(
        "--base-path", default="", help="virtual directory, e.g. /bsssmapi (default: none)"
    )
    parser.add_argument(
        "--expires-in", type=int, default=1799, help="token lifetime in seconds (default: 1799)"
    )
    parser.add_argument(
        "--api-revision",
        type=int,
        choices=sorted(REVISIONS),
        default=1,
        metavar="N",
        help="answer as API revision N: X-Api-Version latest gets its changed shapes "
        "(docs/emulator.md, 'API revisions'; default: 1, today's API)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    emulator = TenantEmulator(
        port=args.port,
        base_path=args.base_path,
        expires_in=args.expires_in,
        api_revision=args.api_revision,
    )
    try:
        emulator.start()
    except OSError as exc:
        parser.exit(2, f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}\n")
    try:
        config = emulator.config()
        settings = {"BSS_BASE_URL": config.base_url} | {
            f"BSS_{name.upper()}": value for name, value in config.secrets().items()
        }
        for name, value in settings.items():
            print(f"export {name}={shlex.quote(value)}")
        sys.stdout.flush()
        print(f"Tenant emulator serving at {emulator.url} (Ctrl-C stops it)", file=sys.stderr)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
