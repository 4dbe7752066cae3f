"""Git's view of cassettes: a diff driver that shows transcripts and semantic diffs.

``pytest-bss git-setup`` writes the driver to the repository's own ``.git/config``
(``git config --local``)::

    [diff "bss-cassette"]
        textconv = pytest-bss show --textconv
        xfuncname = "^#[0-9]+  .*$"
        command = pytest-bss diff          # with --semantic only

and ``.gitattributes`` names the files it applies to (``cassettes/** diff=bss-cassette``).
``textconv`` makes ``git diff``, ``git log -p`` and ``git show`` compare transcripts
(:func:`pytest_bss.review.transcript`) line by line, each hunk headed by its interaction
(``xfuncname``); ``command`` replaces that with the semantic summary of ``pytest-bss
diff``, which git runs with seven arguments (:class:`GitDiffArgs`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "DRIVER",
    "GitDiffArgs",
    "GitError",
    "attributes_line",
    "driver_config",
    "git_setup",
]

#: The diff driver's name in ``.git/config`` and ``.gitattributes``.
DRIVER: Final = "bss-cassette"
#: What git passes for the missing side of an added or deleted file.
_NULL: Final = "/dev/null"


class GitError(Exception):
    """Git is missing, this is no repository, or ``git config`` failed (the message says)."""


@dataclass(frozen=True)
class GitDiffArgs:
    """The arguments git gives ``diff.<driver>.command`` (and ``GIT_EXTERNAL_DIFF``).

    ``path old-file old-hex old-mode new-file new-hex new-mode``, and for a rename two
    more: the new path and the similarity lines. ``old_file`` or ``new_file`` is ``None``
    for the side of an added or deleted file.
    """

    path: str
    old_file: Path | None
    new_file: Path | None
    new_path: str | None = None

    @classmethod
    def parse(cls, args: Sequence[str]) -> GitDiffArgs | None:
        """The arguments read as git's, or ``None`` when there are not 7 (or 9) of them."""
        if len(args) not in (7, 9):
            return None
        path, old_file, _, _, new_file, _, _ = args[:7]
        return cls(
            path,
            None if old_file == _NULL else Path(old_file),
            None if new_file == _NULL else Path(new_file),
            args[7] if len(args) == 9 else None,
        )

    @property
    def title(self) -> str:
        """The line that heads this file's output, like ``diff --git``'s (a token in a file
        name masked, as every report prints it)."""
        from .shapes import mask_shapes

        old, new = self.path, self.new_path or self.path
        return mask_shapes(f"diff --{DRIVER} a/{old} b/{new}")


def driver_config(*, semantic: bool = False, program: str = "pytest-bss") -> dict[str, str]:
    """The ``diff.bss-cassette.*`` settings: transcripts, and with ``semantic`` the summary."""
    config = {
        f"diff.{DRIVER}.textconv": f"{program} show --textconv",
        f"diff.{DRIVER}.xfuncname": "^#[0-9]+  .*$",
    }
    if semantic:
        config[f"diff.{DRIVER}.command"] = f"{program} diff"
    return config


def attributes_line(toplevel: Path, cassette_dir: Path) -> str:
    """The ``.gitattributes`` line for the cassette folder (``cassettes/**`` outside the repo)."""
    try:
        folder = cassette_dir.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        folder = "cassettes"
    return f"{folder if folder != '.' else ''}/** diff={DRIVER}".lstrip("/")


def git_setup(
    cwd: Path,
    cassette_dir: Path,
    *,
    semantic: bool = False,
    write_attributes: bool = False,
) -> list[str]:
    """Configure the driver in the repository around ``cwd``; return what was done, a line each.

    Idempotent: a setting already right and a line already in ``.gitattributes`` are left.
    """
    toplevel = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    done = []
    for key, value in driver_config(semantic=semantic).items():
        current = _git(toplevel, "config", "--local", "--get", key, check=False).rstrip("\n")
        if current == value:
            done.append(f"unchanged: {key} = {value}")
        else:
            _git(toplevel, "config", "--local", key, value)
            done.append(f"set: {key} = {value}")
    line = attributes_line(toplevel, cassette_dir)
    attributes = toplevel / ".gitattributes"
    text = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    if line in (existing.strip() for existing in text.splitlines()):
        done.append(f"unchanged: .gitattributes has '{line}'")
    elif write_attributes:
        separator = "" if not text or text.endswith("\n") else "\n"
        with attributes.open("a", encoding="utf-8") as handle:
            handle.write(f"{separator}{line}\n")
        done.append(f"added to .gitattributes: '{line}' (commit it)")
    else:
        done.append(
            f"add this line to .gitattributes (or run again with --write-gitattributes): {line}"
        )
    if shutil.which("pytest-bss") is None:
        done.append(
            "warning: pytest-bss is not on PATH here; git runs it through the shell, so "
            "activate the environment it is installed in before `git diff`"
        )
    return done


def _git(cwd: Path, *args: str, check: bool = True) -> str:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed (or not on PATH)")
    # Fixed git subcommands; the values are the driver's own settings, never a shell.
    result = subprocess.run(  # noqa: S603
        [git, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if check and result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        raise GitError(
            f"git {args[0]} failed in {cwd}: {reason or 'exit ' + str(result.returncode)}"
        )
    return result.stdout
