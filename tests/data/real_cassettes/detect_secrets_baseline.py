"""Recompute the detect-secrets baseline numbers for the real-cassette corpus.

Runs ``detect-secrets scan --all-files`` on this folder (without labels.json and
the docs/scripts beside the cassettes) and compares its findings with
``labels.json``:

* credential-level recall: labelled credential occurrences whose line (any of
  its ``lines``) detect-secrets flagged, over all labelled occurrences;
* file-level precision: flagged files that truly hold a credential, over all
  flagged files.

Usage: ``python tests/data/real_cassettes/detect_secrets_baseline.py``.
Exits 0 with a message if detect-secrets is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXCLUDE = r"(labels\.json|\.md|\.py)$"


def scan() -> dict:
    exe = shutil.which("detect-secrets")
    if exe is None:
        candidate = Path(sys.executable).with_name("detect-secrets")
        exe = str(candidate) if candidate.exists() else None
    if exe is None:
        print("detect-secrets is not installed: skipped")
        raise SystemExit(0)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    out = subprocess.run(
        [exe, "scan", "--all-files", "--exclude-files", EXCLUDE, "."],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {"version": version, "results": json.loads(out)["results"]}


def main() -> None:
    labels = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))["files"]
    ds = scan()
    flagged = {Path(f).name: {r["line_number"] for r in rs} for f, rs in ds["results"].items()}
    counts = {Path(f).name: len(rs) for f, rs in ds["results"].items()}
    total = hit = 0
    rows = []
    for name, lab in sorted(labels.items()):
        creds = lab["credentials"]
        found = sum(1 for c in creds if set(c["lines"]) & flagged.get(name, set()))
        total += len(creds)
        hit += found
        rows.append((name, counts.get(name, 0), len(creds), found))
    flagged_files = [n for n in labels if counts.get(n, 0)]
    true_flagged = [n for n in flagged_files if not labels[n]["clean"]]
    dirty = [n for n in labels if not labels[n]["clean"]]
    print(f"detect-secrets {ds['version']}")
    print(f"{'file':70} findings labelled found")
    for name, n, c, f in rows:
        print(f"{name:70} {n:8} {c:8} {f:5}")
    print(f"credential-level recall: {hit}/{total} = {hit / total:.3f}")
    print(
        f"file-level precision: {len(true_flagged)}/{len(flagged_files)} = {len(true_flagged) / len(flagged_files):.3f}"
    )
    print(
        f"file-level recall: {len(true_flagged)}/{len(dirty)} = {len(true_flagged) / len(dirty):.3f}"
    )


if __name__ == "__main__":
    main()
