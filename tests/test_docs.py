"""README.md is the package's long description and the docs site's home page (issue 13).

On PyPI a relative link breaks, and a README for users stays short; the site's pages are
all in its navigation (``mkdocs build --strict`` in CI checks the links themselves).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_stays_under_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 250, "README.md is for users: move detail to docs/"


def test_readme_has_no_relative_links() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)", text) + re.findall(r'(?:href|src)="([^"]+)"', text)
    relative = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]
    assert relative == [], "relative links break in the package's long description"


def test_every_docs_page_is_in_the_site_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:") :]
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    missing = [page for page in pages if not re.search(rf"(?m)[\s:]{re.escape(page)}$", nav)]
    assert missing == []


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "docs").glob("*.md")))
def test_docs_pages_link_only_to_pages_that_exist(page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text):
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):
            assert (ROOT / "docs" / target).is_file(), f"{page} links to missing {target}"
