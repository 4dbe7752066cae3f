"""The audit's findings as a SARIF 2.1.0 log, for code-scanning UIs.

One result per finding: ``ruleId`` is the finding's kind (``password``,
``github_token``, ``high_entropy`` ...), ``level`` is ``error`` for a credential and
``warning`` for a suspicious value, the physical location is the cassette file and a
logical location names the interaction and the place. Never the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from .audit import Finding

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "sarif_log"]

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS: Final = {"credential": "error", "suspicious": "warning"}


def sarif_log(
    findings: Sequence[Finding], *, version: str = "", root: Path | None = None
) -> dict[str, Any]:
    """A SARIF log (as a JSON-ready dict) with one result per finding.

    ``version`` is the tool's version; ``root``, when set, makes file paths under it
    relative (so a code-scanning UI can link them to the repository).
    """
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in findings:
        rule = finding.kind or finding.category
        rules.setdefault(rule, _rule(rule, finding))
        results.append(_result(finding, rule, root))
    driver: dict[str, Any] = {
        "name": "pytest-bss audit",
        "rules": list(rules.values()),
    }
    if version:
        driver["version"] = version
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def _rule(rule: str, finding: Finding) -> dict[str, Any]:
    return {
        "id": rule,
        "name": rule,
        "shortDescription": {"text": f"{rule.replace('_', ' ')} in a cassette"},
        "defaultConfiguration": {"level": _LEVELS.get(finding.confidence, "error")},
        "properties": {"category": finding.category},
    }


def _uri(path: str, root: Path | None) -> str:
    file = Path(path)
    if root is not None:
        try:
            return file.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return file.as_posix()


def _result(finding: Finding, rule: str, root: Path | None) -> dict[str, Any]:
    where = (
        f"interaction {finding.interaction}: {finding.place}"
        if finding.interaction is not None
        else "the file"
    )
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": _uri(finding.path, root)}},
        "logicalLocations": [
            {
                "name": finding.place or "file",
                "fullyQualifiedName": where,
                "kind": "member" if finding.place else "module",
            }
        ],
    }
    return {
        "ruleId": rule,
        "level": _LEVELS.get(finding.confidence, "error"),
        "message": {"text": f"{where}: {finding.what} ({finding.category})"},
        "locations": [location],
        "properties": {
            "confidence": finding.confidence,
            "category": finding.category,
            "interaction": finding.interaction,
            "place": finding.place,
        },
    }
