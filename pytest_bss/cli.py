"""The ``pytest-bss`` command: audit, scrub and tidy cassettes.

Usage::

    pytest-bss audit [PATH ...] [--strict] [--format text|json|sarif]   # files or folders
    pytest-bss scrub [PATH ...] [--check]
    pytest-bss unused [--rootdir DIR] [--cache-dir DIR] [--delete [--force]]
    pytest-bss emulator --routes                       # the tenant emulator's routes
    pytest-bss emulator --revisions                    # what its API revisions change
    pytest-bss show CASSETTE [--max-body N | --no-trim] # a readable HTTP transcript
    pytest-bss diff OLD NEW [--format text|json]      # what changed, semantically
    pytest-bss git-setup [--semantic] [--write-gitattributes]
    pytest-bss --version
    python -m pytest_bss ...                           # the same command

Without a PATH, ``audit`` and ``scrub`` take the project's cassette folder, and
``unused`` the project's rootdir, cache and cassette folders: those of the pytest
configuration pytest itself would use from the current folder (``bss_cassette_dir``,
``cache_dir``; see :mod:`pytest_bss.project`).

Exit status: 0 when there is nothing to report; 1 when something was found (a finding,
a cassette that needs or refused scrubbing, an unused cassette); 2 on a usage error or
when the command cannot do what it was asked (no record of a replay run, ``--delete``
after a partial run without ``--force``).

Output never holds a credential: findings name the file, the interaction (numbered
from 0) and the place.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .audit import (
    CANARY_VARS,
    AuditReport,
    Finding,
    audit_cassette,
    audit_file,
    audit_files,
    canary_secrets,
    cassette_files,
    learn_unread,
    shown_path,
)
from .cassettes import atomic_write, cassette_lock
from .copies import as_saved_text
from .exceptions import CassetteCorruptError
from .formats import (
    CASSETTE_SUFFIXES,
    CassetteFile,
    NotACassetteError,
    Skipped,
    find_cassettes,
    read_cassette,
    read_text,
    render,
)
from .plugin import AUTH_CASSETTE, USED_CACHE_KEY
from .project import Project, find_project, project_at
from .review import DEFAULT_MAX_BODY
from .scrub import learn_values, scrub_interactions
from .secret_set import SecretSet
from .shapes import mask_shapes

__all__ = ["main"]


class _UsageError(Exception):
    """A problem with the command line or the files it names: exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.run(args))
    except _UsageError as exc:  # it may name a file: a token in its name is masked
        print(f"pytest-bss {args.command}: error: {mask_shapes(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # every file is whole: the old one or the new one
        print(f"pytest-bss {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # "| head": the reader has gone; say nothing more
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-bss",
        description="Audit, scrub and tidy pytest-bss (and other vcrpy) cassettes.",
        epilog="Exit status: 0 nothing to report, 1 something found, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = commands.add_parser(
        "audit",
        help="report credentials in cassettes (exit 1 if any)",
        description="Report every credential left in cassettes: structural findings, the "
        f"values of {', '.join(CANARY_VARS)} when set (canaries), and unreadable files; "
        "and random-looking values in unknown fields (suspicious).",
        epilog="Exit status: 0 no credential (suspicious values are only reported), 1 a "
        "credential (or, with --strict, a suspicious value), 2 usage error.",
    )
    audit.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=_PATHS_HELP)
    audit.add_argument(
        "--strict", action="store_true", help="fail (exit 1) on suspicious values too"
    )
    audit.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="text (default), json (stable, for CI) or sarif (SARIF 2.1.0, code scanning)",
    )
    audit.add_argument(
        "--personal-data",
        action="store_true",
        help="also report personal data (e-mail addresses, IBANs, card numbers) as its own "
        "finding class (docs/personal-data.md)",
    )
    audit.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        metavar="N",
        help="audit with N processes (default: one per CPU; 1: in this process); "
        "fewer than 4 MB of cassettes are always audited in this process",
    )
    audit.set_defaults(run=_audit)

    scrub = commands.add_parser(
        "scrub",
        help="rewrite cassettes with every credential replaced by a placeholder",
        description="Rewrite cassettes (pytest-bss, vcrpy, pytest-recording) through the "
        "plugin's scrubber, atomically, in their own format. A file that would still fail "
        "the audit is left untouched.",
    )
    scrub.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=_PATHS_HELP)
    scrub.add_argument(
        "--check", action="store_true", help="report what would change, write nothing"
    )
    scrub.add_argument(
        "--personal-data",
        action="store_true",
        help="also pseudonymise personal data, keyed by BSS_PSEUDONYM_KEY (or BSS_CLIENT_SECRET "
        "and BSS_BASE_URL) as when recording (docs/personal-data.md)",
    )
    scrub.set_defaults(run=_scrub)

    unused = commands.add_parser(
        "unused",
        help="list cassettes that no test used in the last replay run",
        description="List the cassettes the last replay run (plain `pytest`) did not use.",
    )
    unused.add_argument(
        "--rootdir",
        type=Path,
        help="pytest's rootdir (default: the one pytest finds from the current folder)",
    )
    unused.add_argument(
        "--cache-dir",
        type=Path,
        help="pytest's cache folder (default: the configured cache_dir, or ROOTDIR/.pytest_cache)",
    )
    unused.add_argument("--delete", action="store_true", help="delete the unused cassettes")
    unused.add_argument(
        "--force", action="store_true", help="delete even if the last run was partial"
    )
    unused.set_defaults(run=_unused)

    emulator = commands.add_parser(
        "emulator",
        help="describe the tenant emulator (python -m pytest_bss.fake runs it)",
        description="Describe the bundled tenant emulator. To run one: python -m pytest_bss.fake",
    )
    table = emulator.add_mutually_exclusive_group(required=True)
    table.add_argument(
        "--routes",
        action="store_true",
        help="print its routes as a Markdown table (method, path, what it answers)",
    )
    table.add_argument(
        "--revisions",
        action="store_true",
        help="print what each API revision changes as a Markdown table (--api-revision)",
    )
    emulator.set_defaults(run=_emulator)

    show = commands.add_parser(
        "show",
        help="print a cassette as a readable HTTP transcript",
        description="Print every interaction of a cassette: method, path, status, headers "
        "and bodies (JSON pretty-printed, binary bodies by their size), long bodies trimmed.",
    )
    show.add_argument("cassette", type=Path, metavar="CASSETTE")
    show.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        metavar="N",
        help=f"lines of each body to print (default {DEFAULT_MAX_BODY})",
    )
    show.add_argument("--no-trim", action="store_true", help="print whole bodies")
    show.add_argument(
        "--textconv",
        action="store_true",
        help="for git's textconv: whole bodies, and a file that is no cassette is shown as "
        "it is instead of failing",
    )
    show.set_defaults(run=_show)

    diff = commands.add_parser(
        "diff",
        help="what changed between two cassettes (exit 1 if anything did)",
        description="Summarise what changed from OLD to NEW: interactions added or removed "
        "(paired by method, path and query), status, content type, headers but the volatile "
        "ones (bss_volatile_headers), and each JSON field added, removed or changed. Also "
        "takes the 7 arguments git passes a diff driver (pytest-bss git-setup --semantic).",
        epilog="Exit status: 0 no semantic change, 1 changes, 2 usage error; run by git, 0 "
        "unless it fails.",
    )
    diff.add_argument("paths", nargs="+", metavar="OLD NEW", help="two cassettes (or git's 7)")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.add_argument("--all-headers", action="store_true", help="compare the volatile headers too")
    diff.set_defaults(run=_diff)

    git_setup = commands.add_parser(
        "git-setup",
        help="make git diff cassettes as transcripts (or semantic summaries)",
        description="Write the bss-cassette diff driver to this repository's .git/config "
        "and say the .gitattributes line that applies it to the cassette folder.",
    )
    git_setup.add_argument(
        "--semantic",
        action="store_true",
        help="also make `git diff` print the summary of `pytest-bss diff`",
    )
    git_setup.add_argument(
        "--write-gitattributes",
        action="store_true",
        help="append the line to .gitattributes if it is missing",
    )
    git_setup.set_defaults(run=_git_setup)
    return parser


_PATHS_HELP = (
    "cassette files or folders (default: the project's cassette folder, bss_cassette_dir "
    "of the pytest configuration found from the current folder, or cassettes/)"
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-bss")
    except PackageNotFoundError:  # pragma: no cover - imported from a bare checkout
        return "unknown (not installed)"


def _default_paths(paths: Sequence[Path]) -> list[Path]:
    """``paths``, or the project's cassette folder when none is given."""
    if paths:
        return list(paths)
    project = find_project()
    if not project.cassette_dir.is_dir():
        raise _UsageError(
            f"no cassette folder {_shown(project.cassette_dir)} (from "
            f"{project.cassette_dir_source.rstrip(',')}); name the cassettes to check, or "
            "set bss_cassette_dir in the pytest configuration"
        )
    return [project.cassette_dir]


# --- audit ------------------------------------------------------------------------------


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(
            f"expected a number of processes (1 or more), not {text!r}"
        )
    return jobs


def _files(paths: Sequence[Path]) -> tuple[list[Path], list[Skipped]]:
    try:
        return find_cassettes(paths)
    except (FileNotFoundError, ValueError) as exc:
        raise _UsageError(str(exc)) from None


def _audit(args: argparse.Namespace) -> int:
    files, skipped = _files(_default_paths(args.paths))
    named = set(args.paths)
    canaries = [var for var in CANARY_VARS if os.environ.get(var, "").strip()]
    reports = []
    audited = []
    for path, outcome in zip(files, audit_files(files, named=named, jobs=args.jobs), strict=True):
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
        else:
            reports.append(outcome)
            audited.append(path)
            if args.personal_data:
                reports.append(AuditReport(_personal_findings(read_cassette(path)), []))
    findings = [finding for report in reports for finding in report.findings]
    masked = [entry for report in reports for entry in report.masked]
    credentials = [f for f in findings if f.confidence == "credential"]
    suspicious = [f for f in findings if f.confidence == "suspicious"]
    failed = bool(credentials or (args.strict and suspicious))
    if args.format == "json":
        report = {
            "cassettes": len(audited),
            "canaries": canaries,
            "strict": args.strict,
            "findings": [finding.as_dict() for finding in findings],
            "masked": [entry.as_dict() for entry in masked],
            "skipped": [{"path": shown_path(s.path), "reason": s.reason} for s in skipped],
        }
        print(json.dumps(report, indent=2))
    elif args.format == "sarif":
        from .sarif import sarif_log

        print(json.dumps(sarif_log(findings, version=_version(), root=Path.cwd()), indent=2))
    else:
        for finding in findings:
            print(finding)
        for skip in skipped:
            print(skip)
        if masked:
            where = len({entry.path for entry in masked})
            print(
                f"masked by another tool: {_count(len(masked), 'value')} in "
                f"{_count(where, 'cassette')} (placeholders, not findings)"
            )
        checked = f"checked for {', '.join(canaries)}" if canaries else "no BSS_* canaries set"
        affected = len({finding.path for finding in findings})
        parts = [_count(len(credentials), "finding")] if credentials else []
        if suspicious:
            parts.append(f"{len(suspicious)} suspicious" + (" (--strict)" if args.strict else ""))
        result = (
            f"{', '.join(parts)} in {affected} of {_count(len(audited), 'cassette')}"
            if findings
            else f"{_count(len(audited), 'cassette')}, no findings"
        )
        more = f", {len(skipped)} other files skipped" if skipped else ""
        print(f"pytest-bss audit: {result}{more} ({checked})")
    return 1 if failed else 0


# --- scrub ------------------------------------------------------------------------------


def _scrub(args: argparse.Namespace) -> int:
    files, skipped = _files(_default_paths(args.paths))
    # One set for the whole run: a token found in one file is replaced in all of them;
    # a learned value under 6 characters only where it was found (see SecretSet).
    secrets = canary_secrets(in_place_below=6)
    pseudonymiser = _pseudonymiser() if args.personal_data else None
    counts = {"rewritten": 0, "clean": 0, "refused": 0, "skipped": len(skipped)}
    for skip in skipped:
        print(skip)
    _learn(files, secrets)
    for path in files:
        # A symbolic link is followed: the file it points to is scrubbed, the link stays.
        with cassette_lock(path.resolve()):
            outcome = _scrub_file(
                path, secrets, check=args.check, named=path in args.paths, personal=pseudonymiser
            )
        counts[outcome] += 1
    verb = "would be rewritten" if args.check else "rewritten"
    more = f", {counts['skipped']} other files skipped" if counts["skipped"] else ""
    print(
        f"pytest-bss scrub: {counts['rewritten']} {verb}, {counts['clean']} already clean, "
        f"{counts['refused']} refused{more}"
    )
    return 1 if counts["refused"] or (args.check and counts["rewritten"]) else 0


def _learn(files: list[Path], secrets: SecretSet) -> None:
    """Register in ``secrets`` every credential the scrubber finds in ``files``, before any
    is written: a token found in one file is then replaced in every file, whatever the
    order they come in."""
    for path in files:
        try:
            for read in _readings(read_cassette(path)):
                learn_values(as_saved_text(read.data), secrets)
                learn_unread(read, secrets)
        except Exception:  # noqa: S112 - the scrub of that file reports it, never a value
            continue


def _scrub_file(
    path: Path, secrets: SecretSet, *, check: bool, named: bool, personal: Any = None
) -> str:
    """Scrub one file; return "rewritten", "clean", "refused" or "skipped".

    Fail-closed: the scrubbed text is read back and audited with the same checks as
    ``pytest-bss audit``; any finding leaves the file as it was.
    """
    try:
        file = read_cassette(path)
    except NotACassetteError as exc:
        if named:
            print(f"{shown_path(path, secrets)}: refused: not a cassette")
            return "refused"
        print(Skipped(path, str(exc).removeprefix(f"{path} is ")))
        return "skipped"
    except (CassetteCorruptError, OSError):
        for finding in audit_file(path, secrets):  # says why, without the file's content
            print(f"{shown_path(path, secrets)}: refused: {finding.what}")
        return "refused"
    data = as_saved_text(file.data)
    scrubbed, count = scrub_interactions(data, secrets)
    replace = secrets.replace
    if personal is not None:
        from .personal import pseudonymise_interactions

        scrubbed, pseudonymised = pseudonymise_interactions(scrubbed, personal)
        count += pseudonymised
        replace = _then_pseudonyms(secrets.replace, personal.given())
    scrubbed = as_saved_text(scrubbed)
    count += learn_unread(file, secrets)  # replaced in the file's text by render
    for shadow in file.shadows:  # a repeated key's other values: replaced in the text too
        count += scrub_interactions(as_saved_text(shadow.data), secrets)[1]
        if personal is not None:
            count += pseudonymise_interactions(as_saved_text(shadow.data), personal)[1]
        count += learn_unread(shadow, secrets)
    if count == 0:
        # a value learned from another file of a folder run, or by an earlier pass, adds
        # nothing to the count but is still replaced where the file's text holds it
        count = sum(1 for _ in secrets.find(file.text))
    if count == 0:
        findings = _left(file, secrets, personal)
        text = None
    else:
        try:
            text = render(file, scrubbed, replace)
            findings = _left(read_text(path, text), secrets, personal)
        except Exception as exc:  # fail closed, and never a traceback that quotes a value
            text = None
            findings = [
                Finding(
                    str(path),
                    None,
                    "",
                    f"cannot be written back ({type(exc).__name__})",
                    "unreadable",
                )
            ]
    if findings:
        print(
            f"{shown_path(path, secrets)}: refused: it would still fail the audit; the file was left as it was:"
        )
        for finding in findings:
            print(f"  {finding}")
        return "refused"
    if text is None:
        return "clean"
    if check:
        print(
            f"{shown_path(path, secrets)}: would be rewritten ({_count(count, 'value')} replaced)"
        )
    else:
        atomic_write(path.resolve(), text)
        print(f"{shown_path(path, secrets)}: rewritten ({_count(count, 'value')} replaced)")
    return "rewritten"


def _readings(file: CassetteFile) -> list[CassetteFile]:
    """The file as vcrpy reads it, then as read with a repeated key's other values."""
    return [file, *file.shadows]


def _left(file: Any, secrets: SecretSet, personal: Any) -> list[Finding]:
    """What would keep a file from being clean: credentials, and personal data if asked."""
    findings = audit_cassette(file, secrets).credentials
    return findings + _personal_findings(file) if personal is not None else findings


def _then_pseudonyms(replace: Any, given: dict[str, str]) -> Any:
    """``replace``, then every pseudonymised value (raw and JSON-escaped) in raw text."""
    pairs = sorted(given.items(), key=lambda item: -len(item[0]))

    def both(text: str) -> str:
        text = replace(text)
        for value, pseudonym in pairs:
            text = text.replace(value, pseudonym)
            text = text.replace(json.dumps(value)[1:-1], json.dumps(pseudonym)[1:-1])
        return text

    return both


def _personal_findings(file: Any) -> list[Finding]:
    """``find_personal`` as audit findings: their own class, ``personal data``."""
    from .personal import find_personal

    out = []
    found_in = [found for read in _readings(file) for found in find_personal(read.data)]
    for found in dict.fromkeys(found_in):
        number, _, place = found.place.removeprefix("interaction ").partition(" ")
        out.append(
            Finding(
                str(file.path),
                int(number) if number.isdigit() else None,
                place.replace(" ", ".", 1) if number.isdigit() else found.place,
                str(found).rsplit(" (", 1)[-1].rstrip(")"),
                "personal data",
                kind=f"personal_{found.kind.value}",
            )
        )
    return out


def _pseudonymiser() -> Any:
    from .personal import KEY_ENV, Pseudonymiser, pseudonym_key

    key = pseudonym_key(
        client_secret=os.environ.get("BSS_CLIENT_SECRET", ""),
        base_url=os.environ.get("BSS_BASE_URL", ""),
    )
    if key is None:
        raise _UsageError(
            f"--personal-data needs the pseudonym key: set {KEY_ENV} (or BSS_CLIENT_SECRET and "
            "BSS_BASE_URL, as when recording); it must never be committed"
        )
    return Pseudonymiser(key)


# --- unused -----------------------------------------------------------------------------


def _unused(args: argparse.Namespace) -> int:
    project = project_at(args.rootdir) if args.rootdir else find_project()
    rootdir = project.rootdir
    cache_dir = args.cache_dir or project.cache_dir
    record = _last_run(Path(cache_dir, "v", *USED_CACHE_KEY.split("/")))
    # The folder comes from the project's configuration, never from the cache: a cache
    # is not reviewed like the project's files, and --delete must not reach outside.
    cassette_dir, source = project.cassette_dir, project.cassette_dir_source
    recorded = Path(rootdir, record["cassette_dir"]).resolve()
    if recorded != cassette_dir:
        raise _UsageError(
            f"the last replay run recorded its cassettes as in {recorded}, but {source} puts "
            f"them in {cassette_dir}. Set bss_cassette_dir in the pytest configuration to "
            "the folder the tests use, run the whole suite (`pytest`), then try again."
        )
    if args.delete and (cassette_dir == rootdir or not cassette_dir.is_relative_to(rootdir)):
        raise _UsageError(
            f"refusing to delete in {cassette_dir}: the cassette folder must be a folder "
            f"inside the rootdir {rootdir}, not the rootdir or a folder outside it. Set "
            "bss_cassette_dir to the project's own cassette folder."
        )
    used = {Path(p).resolve() for p in record["used"]}
    # The shared token exchange: every replay run needs it, though no test names it.
    used |= {(cassette_dir / AUTH_CASSETTE).with_suffix(s).resolve() for s in CASSETTE_SUFFIXES}
    all_files = cassette_files([cassette_dir]) if cassette_dir.is_dir() else []
    unused = [path for path in all_files if path.resolve() not in used]

    partial = _partial_run(record, project)
    if partial:
        print(
            f"pytest-bss unused: warning: the last replay run was partial ({partial}); "
            "cassettes of the tests it did not run are listed too. Run the whole suite "
            "(`pytest`, no arguments, every test passing), then try again.",
            file=sys.stderr,
        )
    if args.delete and partial and not args.force and unused:
        raise _UsageError(
            "refusing to delete cassettes after a partial run; run the whole suite first, "
            "or add --force"
        )
    deleted = 0
    for path in unused:
        if not args.delete:
            print(_shown(path))
        elif path.is_symlink() or not path.resolve().is_relative_to(cassette_dir):
            print(f"kept {_shown(path)}: a symbolic link, or under one (delete it yourself)")
        else:
            path.unlink()
            deleted += 1
            _remove_empty_parents(path.parent, cassette_dir)
            print(f"deleted {_shown(path)}")
    if args.delete:
        print(f"pytest-bss unused: {deleted} of {_count(len(all_files), 'cassette')} deleted")
        return 0 if deleted == len(unused) else 1
    print(
        f"pytest-bss unused: {len(unused)} of {_count(len(all_files), 'cassette')} "
        "not used by the last replay run"
    )
    return 1 if unused else 0


def _last_run(cache_file: Path) -> dict[str, Any]:
    how = (
        "Run the whole suite in replay mode first (`pytest`), then `pytest-bss unused` "
        "(from the project's folder, or with --rootdir)."
    )
    try:
        record = json.loads(cache_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _UsageError(f"no record of a replay run in {cache_file}. {how}") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise _UsageError(f"cannot read {cache_file} ({exc}). {how}") from None
    if not (
        isinstance(record, dict)
        and isinstance(record.get("cassette_dir"), str)
        and isinstance(record.get("used"), list)
        and all(isinstance(path, str) for path in record["used"])
    ):
        raise _UsageError(f"{cache_file} is not a pytest-bss record. {how}")
    return record


def _partial_run(record: dict[str, Any], project: Project) -> str:
    """Why the recorded run may not have used every cassette; empty if it was complete."""
    rootdir = project.rootdir
    reasons = []
    if record.get("deselected"):
        reasons.append(f"{_count(int(record['deselected']), 'test')} deselected")
    if record.get("exitstatus"):
        reasons.append(f"exit status {record['exitstatus']}")
    args = [str(arg) for arg in record.get("args") or ()]
    whole = {rootdir} | {
        (rootdir / found).resolve()
        for pattern in project.testpaths
        for found in glob.glob(pattern, root_dir=rootdir, recursive=True)
    }
    if any((rootdir / arg).resolve() not in whole for arg in args):
        reasons.append(f"it ran only {' '.join(args)}")
    return ", ".join(reasons)


# --- emulator ---------------------------------------------------------------------------


def _emulator(args: argparse.Namespace) -> int:
    from .fake.revisions import revisions_markdown
    from .fake.server import routes_markdown

    print(revisions_markdown() if args.revisions else routes_markdown(), end="")
    return 0


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return mask_shapes(str(path.relative_to(Path.cwd())))
    return mask_shapes(str(path))


# --- show, diff, git-setup --------------------------------------------------------------


def _reviewed(path: Path) -> dict[str, Any]:
    """A cassette's model, read and redacted for printing (:func:`review.redacted`)."""
    from .review import redacted

    try:
        data = read_cassette(path).data
    except FileNotFoundError:
        raise _UsageError(f"{path} does not exist") from None
    except (CassetteCorruptError, NotACassetteError, OSError) as exc:
        raise _UsageError(str(exc)) from None
    try:
        return redacted(data, canary_secrets())
    except Exception as exc:  # never a traceback: its frames hold the cassette's values
        raise _UsageError(f"{path} cannot be read for review ({type(exc).__name__})") from None


def _show(args: argparse.Namespace) -> int:
    from .review import transcript

    max_body = None if args.no_trim or args.textconv else args.max_body
    if max_body is not None and max_body < 0:
        raise _UsageError("--max-body must be 0 or more")
    try:
        data = _reviewed(args.cassette)
    except _UsageError as exc:
        if not args.textconv:
            raise
        # git must get text, or it stops the whole diff: the file as it is, say why
        print(f"(pytest-bss show: {exc}; shown as it is, credential-like values masked)")
        print(_as_is(args.cassette), end="")
        return 0
    sys.stdout.write(transcript(data, max_body=max_body))
    return 0


def _as_is(path: Path) -> str:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        return f"<cannot be read: {exc.strerror or type(exc).__name__}>\n"
    except UnicodeDecodeError:
        return f"<{len(raw)} bytes, not UTF-8 text>\n"
    return _masked_as_is(canary_secrets().replace(text))


_SCHEME_VALUE = re.compile(r"(?i)\b(bearer|basic|token|ssws)(\s+)[^\s\"',;\]}]+")
_SECRET_FIELD_VALUE = re.compile(
    r"(?i)([\"']?[\w-]*(?:token|secret|password|passwd|api[_-]?key|session)[\w-]*[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"'&,;}\]]+"
)


def _masked_as_is(text: str) -> str:
    """A file no reader can parse, with what looks like a credential masked: token shapes,
    ``Bearer …``/``Basic …`` values and the values of credential-named fields."""
    from .shapes import find_shapes

    for _, value in sorted(set(find_shapes(text)), key=lambda item: -len(item[1])):
        text = text.replace(value, "<masked>")
    text = _SCHEME_VALUE.sub(lambda m: f"{m[1]}{m[2]}<masked>", text)
    return _SECRET_FIELD_VALUE.sub(lambda m: f"{m[1]}<masked>", text)


def _diff(args: argparse.Namespace) -> int:
    from .gitdriver import GitDiffArgs
    from .review import EMPTY_CASSETTE, semantic_diff

    git = GitDiffArgs.parse(args.paths)
    if git is None and len(args.paths) != 2:
        raise _UsageError(
            f"takes OLD NEW (or the 7 arguments git passes), got {len(args.paths)} arguments"
        )
    files = (git.old_file, git.new_file) if git else tuple(map(Path, args.paths))
    try:
        old, new = (
            EMPTY_CASSETTE if file is None or str(file) == os.devnull else _reviewed(file)
            for file in files
        )
    except _UsageError as exc:
        if git is None:
            raise
        print(f"{git.title}\n(pytest-bss diff: {exc}; the files differ)")
        return 0
    volatile = () if args.all_headers else _volatile_headers()
    changes = semantic_diff(old, new, volatile=volatile)
    if args.format == "json":
        report = {"path": git.path if git else None, "changes": [c.as_dict() for c in changes]}
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        if git is not None:
            print(git.title if changes else f"{git.title} (no semantic change)")
        for change in changes:
            print(change)
    # Git takes any status but 0 from a diff driver for a failure (before diff.trustExitCode).
    return 1 if changes and git is None else 0


def _volatile_headers() -> tuple[str, ...]:
    """The project's ``bss_volatile_headers`` (pytest's own configuration), else the defaults."""
    from .settings import merge_settings

    value = find_project().options.get("bss_volatile_headers")
    if isinstance(value, str):  # an ini "linelist": one entry a line, blank lines skipped
        value = [line.strip() for line in value.splitlines() if line.strip()]
    try:
        return merge_settings(ini={"volatile_headers": value}).volatile_headers
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _git_setup(args: argparse.Namespace) -> int:
    from .gitdriver import GitError, git_setup

    try:
        done = git_setup(
            Path.cwd(),
            find_project().cassette_dir,
            semantic=args.semantic,
            write_attributes=args.write_gitattributes,
        )
    except GitError as exc:
        raise _UsageError(str(exc)) from None
    for line in done:
        print(line)
    return 0
