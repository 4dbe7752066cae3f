"""The CLI finds the project's pytest configuration where pytest itself finds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_bss.project import find_project, project_at

# (files written in the project folder "p" and below it, the folder the command runs in)
LAYOUTS = {
    "pyproject section": (
        {"p/pyproject.toml": '[tool.pytest.ini_options]\nbss_cassette_dir = "tapes"\n'},
        "p/tests/unit",
    ),
    "pytest.ini beats pyproject.toml": (
        {
            "p/pytest.ini": "[pytest]\nbss_cassette_dir = from_ini\n",
            "p/pyproject.toml": '[tool.pytest.ini_options]\nbss_cassette_dir = "from_toml"\n',
        },
        "p",
    ),
    "pytest.ini without a section still stops the search": (
        {
            "p/pyproject.toml": '[tool.pytest.ini_options]\nbss_cassette_dir = "outer"\n',
            "p/sub/pytest.ini": "# no section\n",
        },
        "p/sub/deeper",
    ),
    "tox.ini without [pytest] is passed over for setup.cfg": (
        {
            "p/tox.ini": "[tox]\nenvlist = py311\n",
            "p/setup.cfg": "[tool:pytest]\nbss_cassette_dir = recordings\n",
        },
        "p/src",
    ),
    "a nearer file with a section wins": (
        {
            "p/pyproject.toml": '[tool.pytest.ini_options]\nbss_cassette_dir = "outer"\n',
            "p/inner/tox.ini": "[pytest]\nbss_cassette_dir = inner_tapes\n",
        },
        "p/inner",
    ),
    # pytest 8.1 made a section-less pyproject.toml the rootdir; 8.0 went on upward.
    "a pyproject.toml without a section is the rootdir when nothing else is": pytest.param(
        {"p/pyproject.toml": '[project]\nname = "x"\n'},
        "p/tests",
        marks=pytest.mark.skipif(
            tuple(map(int, pytest.__version__.split(".")[:2])) < (8, 1),
            reason="pytest 8.0 does not take a section-less pyproject.toml as the rootdir",
        ),
    ),
}


@pytest.mark.parametrize(("files", "cwd"), LAYOUTS.values(), ids=LAYOUTS.keys())
def test_it_finds_the_rootdir_inifile_and_cassette_dir_pytest_finds(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    cwd: str,
) -> None:
    for name, content in files.items():
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / name).write_text(content)
    (pytester.path / cwd).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(pytester.path / cwd)

    config = pytester.parseconfig()
    project = find_project()

    assert project.rootdir == config.rootpath
    assert project.inifile == config.inipath
    expected = config.getini("bss_cassette_dir") or "cassettes"
    assert project.cassette_dir == (config.rootpath / expected).resolve()


def test_without_any_configuration_the_rootdir_is_the_current_folder(tmp_path: Path) -> None:
    project = find_project(tmp_path)

    assert (project.rootdir, project.inifile) == (tmp_path, None)
    assert project.cassette_dir == tmp_path / "cassettes"
    assert project.cassette_dir_source == "the default"


def test_the_cache_dir_is_the_configured_one_with_variables_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSS_TEST_CACHE", "elsewhere")
    (tmp_path / "pytest.ini").write_text("[pytest]\ncache_dir = $BSS_TEST_CACHE/cache\n")

    assert project_at(tmp_path).cache_dir == tmp_path / "elsewhere" / "cache"
    assert find_project(tmp_path).cache_dir == tmp_path / "elsewhere" / "cache"


def test_the_cache_dir_defaults_to_pytest_cache(tmp_path: Path) -> None:
    assert project_at(tmp_path).cache_dir == tmp_path / ".pytest_cache"


def test_an_unreadable_file_counts_as_having_no_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options\nbroken")
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\nbss_cassette_dir = tapes\n")

    project = find_project(tmp_path)

    assert project.inifile == tmp_path / "setup.cfg"
    assert project.cassette_dir == tmp_path / "tapes"
