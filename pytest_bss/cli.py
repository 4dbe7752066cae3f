"""The pytest-bss command."""
