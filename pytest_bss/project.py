"""The project's own pytest configuration, found the way pytest finds it, for the CLI.

``pytest-bss`` runs outside pytest, yet must use the folders a test run uses: the
cassette folder (``bss_cassette_dir``, relative to the rootdir), pytest's cache folder
(``cache_dir``) and ``testpaths``. :func:`find_project` mirrors pytest's rootdir and
configuration-file search for a run without arguments (``_pytest.config.findpaths``):
from the current folder upward, the first folder with a file that holds a pytest
section wins, and in one folder the files are tried in pytest's order; ``pytest.ini``
counts even without a section. Failing that, the first ``pyproject.toml`` found, then
the first folder with a ``setup.py``, then the current folder is the rootdir.
Command-line settings of a run (``--bss-cassette-dir``, ``-o``, ``addopts``) are not read.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_FILES", "Project", "find_project", "project_at"]

#: Configuration files in pytest's order, each with the section that holds its options.
CONFIG_FILES = (
    ("pytest.toml", "pytest"),
    (".pytest.toml", "pytest"),
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", "tool.pytest"),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)
DEFAULT_CASSETTE_DIR = "cassettes"


@dataclass(frozen=True)
class Project:
    """A rootdir, its configuration file (``None`` when there is none) and its options."""

    rootdir: Path
    inifile: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cassette_dir(self) -> Path:
        """The cassette folder a test run uses (resolved): ``bss_cassette_dir`` or ``cassettes``."""
        return (self.rootdir / self._configured("bss_cassette_dir", DEFAULT_CASSETTE_DIR)).resolve()

    @property
    def cassette_dir_source(self) -> str:
        """Where :attr:`cassette_dir` comes from, for messages."""
        if self._configured("bss_cassette_dir", ""):
            return f"bss_cassette_dir in {self._shown_inifile}"
        if self.inifile is not None:
            return f"{self._shown_inifile}, which has no bss_cassette_dir,"
        return "the default"

    @property
    def cache_dir(self) -> Path:
        """pytest's cache folder: ``cache_dir`` (``~`` and ``$VARS`` expanded) or ``.pytest_cache``."""
        value = self._configured("cache_dir", ".pytest_cache")
        return self.rootdir / os.path.expandvars(os.path.expanduser(value))

    @property
    def testpaths(self) -> list[str]:
        """The ``testpaths`` patterns: what a run without arguments collects."""
        value = self.options.get("testpaths", [])
        return value.split() if isinstance(value, str) else [str(path) for path in value]

    @property
    def _shown_inifile(self) -> str:
        if self.inifile is None:
            return "no configuration file"
        with contextlib.suppress(ValueError):
            return str(self.inifile.relative_to(Path.cwd()))
        return str(self.inifile)

    def _configured(self, key: str, default: str) -> str:
        value = self.options.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else default


def project_at(rootdir: Path) -> Project:
    """The project whose rootdir is ``rootdir`` (``unused --rootdir``): its own file only."""
    rootdir = rootdir.resolve()
    inifile, options = _config_in(rootdir)
    return Project(rootdir, inifile, options or {})


def find_project(start: Path | None = None) -> Project:
    """The rootdir and configuration pytest would use when run in ``start`` (default: cwd)."""
    start = (start or Path.cwd()).resolve()
    first_pyproject: Path | None = None
    for folder in (start, *start.parents):
        inifile, options = _config_in(folder)
        if inifile is not None and options is not None:
            return Project(folder, inifile, options)
        if first_pyproject is None and (folder / "pyproject.toml").is_file():
            first_pyproject = folder / "pyproject.toml"
    if first_pyproject is not None:
        return Project(first_pyproject.parent, first_pyproject, {})
    for folder in (start, *start.parents):
        if (folder / "setup.py").is_file():
            return Project(folder)
    return Project(start)


def _config_in(folder: Path) -> tuple[Path | None, dict[str, Any] | None]:
    """The first file in ``folder`` that holds pytest options, and the options.

    ``(pytest.ini, {})`` for a ``pytest.ini`` without a section (pytest takes it too);
    ``(None, None)`` when there is none. An unreadable file counts as having none.
    """
    for name, section in CONFIG_FILES:
        file = folder / name
        if not file.is_file():
            continue
        options: Any = None
        with contextlib.suppress(ValueError, OSError, RecursionError, configparser.Error):
            if name.endswith(".toml"):
                table: Any = tomllib.loads(file.read_text(encoding="utf-8"))
                for key in section.split("."):
                    table = table.get(key, {}) if isinstance(table, dict) else {}
                if table and isinstance(table, dict):
                    options = table.get("ini_options", table)
            else:
                parser = configparser.ConfigParser(interpolation=None)
                parser.read(file, encoding="utf-8")
                if parser.has_section(section):
                    options = dict(parser[section])
        if isinstance(options, dict):
            return file, options
        if name in ("pytest.ini", ".pytest.ini"):
            return file, {}
    return None, None
