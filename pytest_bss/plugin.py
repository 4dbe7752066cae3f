"""pytest hooks, options, markers and fixtures of pytest-bss."""
