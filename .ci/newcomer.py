"""A new user's first hour, driven from README.md itself (issue 13).

In an empty folder outside this repository, on a fresh venv, this runs exactly the blocks
README.md marks with ``<!-- walkthrough: ... -->`` comments, in order:

* ``install``: the shell block (``/path/to/pytest-bss`` stands for this repository);
* ``file PATH``: the block is written to PATH in the new project;
* ``shell``: each line of the block is run;
* ``ci RECIPE JOB``: the YAML block must be the JOB of examples/ci/RECIPE (so README and the
  recipe cannot drift), and its ``run:`` steps are run in a second fresh venv, with no
  ``BSS_*`` variable, as a CI machine would.

README's prose may change freely; the marked blocks are what a newcomer copies, so they
are what must work. Run: ``python3 .ci/newcomer.py`` (talks only to 127.0.0.1 and pip's index).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = "/path/to/pytest-bss"
MARK = re.compile(r"^<!-- walkthrough: (.+?) -->\n```[a-z]*\n(.*?)^```", re.M | re.S)


def blocks(readme: str) -> list[tuple[list[str], str]]:
    """The marked blocks of ``readme``: (the mark's words, the block's text)."""
    found = [(mark.split(), body) for mark, body in MARK.findall(readme)]
    kinds = [words[0] for words, _ in found]
    for required in ("install", "file", "shell", "ci"):
        if required not in kinds:
            sys.exit(f"newcomer: README.md has no '<!-- walkthrough: {required} ... -->' block")
    return found


def run(command: str, cwd: Path, env: dict[str, str]) -> None:
    """Run one command; show its last lines (all of them if it fails)."""
    print(f"$ {command}", flush=True)
    done = subprocess.run(  # noqa: S603  (README.md's own commands, on purpose)
        ["bash", "-euo", "pipefail", "-c", command],  # noqa: S607
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    lines = done.stdout.splitlines()
    print("\n".join(lines if done.returncode else lines[-3:]), flush=True)
    if done.returncode:
        sys.exit(f"newcomer: README's step failed (exit {done.returncode}): {command}")


def ci_job(recipe: str, job: str) -> dict[str, object]:
    import yaml  # from the venv the walkthrough installed (vcrpy needs PyYAML)

    doc = yaml.safe_load((REPO / "examples" / "ci" / recipe).read_text(encoding="utf-8"))
    return doc["jobs"][job]  # type: ignore[no-any-return]


def main() -> int:
    start = time.monotonic()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    work = Path(tempfile.mkdtemp(prefix="pytest-bss-newcomer."))
    project = work / "my-project"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BSS_", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    try:
        for words, body in blocks(readme):
            body = body.replace(PLACEHOLDER, str(REPO))
            kind = words[0]
            print(f"== newcomer: {' '.join(words)} ==", flush=True)
            if kind == "install":
                # The venv is activated for every later command, as in the user's shell.
                run(body, project, env)
                venv = project / ".venv"
                env["VIRTUAL_ENV"] = str(venv)
                env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
            elif kind == "file":
                target = project / words[1]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(body, encoding="utf-8")
            elif kind == "shell":
                for line in body.splitlines():
                    if line.strip() and not line.lstrip().startswith("#"):
                        run(line, project, env)
            elif kind == "ci":
                run_ci(words[1], words[2], body, project, work, env)
            else:
                sys.exit(f"newcomer: unknown walkthrough mark {' '.join(words)!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"newcomer: passed in {time.monotonic() - start:.0f} s")
    return 0


def run_ci(
    recipe: str, job: str, body: str, project: Path, work: Path, env: dict[str, str]
) -> None:
    import yaml

    shown = yaml.safe_load(body)
    shown_job = shown["jobs"][job]
    if shown_job != ci_job(recipe, job):
        sys.exit(f"newcomer: README's CI block differs from examples/ci/{recipe} (job {job})")
    # A CI machine: a fresh venv, a fresh checkout (the project as committed: no cassette
    # left from a venv, no cache), no BSS_* variable.
    checkout = work / "checkout"
    shutil.copytree(
        project, checkout, ignore=shutil.ignore_patterns(".venv", ".pytest_cache", "__pycache__")
    )
    ci_env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"}
    ci_env["PATH"] = os.pathsep.join(
        part for part in env["PATH"].split(os.pathsep) if part != str(project / ".venv" / "bin")
    )
    run(f"{sys.executable} -m venv {work / 'ci-venv'}", checkout, ci_env)
    ci_env["VIRTUAL_ENV"] = str(work / "ci-venv")
    ci_env["PATH"] = f"{work / 'ci-venv' / 'bin'}{os.pathsep}{ci_env['PATH']}"
    for step in shown_job["steps"]:
        if "run" in step:
            run(step["run"].replace(PLACEHOLDER, str(REPO)), checkout, ci_env)


if __name__ == "__main__":
    sys.exit(main())
