"""``python -m pytest_bss``: the ``pytest-bss`` command."""

import sys

from .cli import main

sys.exit(main())
