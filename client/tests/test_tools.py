"""The tools on a real folder: reads are numbered and remembered, an edit needs a read, an
unchanged file and a unique old string (or replace_all); commands time out and their
output is capped; listing and search skip what should be skipped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from caicaini_code import tools
from caicaini_code.tools import BY_NAME, Workspace, run_tool


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "a.py").write_text("x = 1\ny = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    return 'needle'\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "c.js").write_text("needle")
    return Workspace(tmp_path.resolve())


def call(ws: Workspace, name: str, **args: object) -> tools.ToolResult:
    return run_tool(BY_NAME[name], ws, dict(args))


def test_read_numbers_lines_and_pages(ws: Workspace) -> None:
    assert call(ws, "read_file", path="a.py").text == "     1\tx = 1\n     2\ty = 1"
    paged = call(ws, "read_file", path="a.py", limit=1)
    assert paged.text.endswith("… 1 more lines: read on with offset=2")
    assert call(ws, "read_file", path="missing.py").is_error


def test_edit_needs_a_read_an_unchanged_file_and_a_unique_match(ws: Workspace) -> None:
    blind = call(ws, "edit_file", path="a.py", old_string="x = 1", new_string="x = 2")
    assert blind.is_error and "read a.py with read_file" in blind.text
    call(ws, "read_file", path="a.py")
    twice = call(ws, "edit_file", path="a.py", old_string="= 1", new_string="= 2")
    assert twice.is_error and "appears 2 times" in twice.text
    missing = call(ws, "edit_file", path="a.py", old_string="z", new_string="q")
    assert missing.is_error and "not found" in missing.text
    done = call(ws, "edit_file", path="a.py", old_string="= 1", new_string="= 2", replace_all=True)
    assert done.text == "Edited a.py: 2 replacement(s)"
    assert (ws.root / "a.py").read_text() == "x = 2\ny = 2\n"
    time.sleep(0.01)
    (ws.root / "a.py").write_text("changed elsewhere\n")
    stale = call(ws, "edit_file", path="a.py", old_string="changed", new_string="c")
    assert stale.is_error and "changed since it was read" in stale.text


def test_write_creates_but_does_not_overwrite_blind(ws: Workspace) -> None:
    assert call(ws, "write_file", path="new/c.py", content="z = 3\n").text.startswith("Created")
    assert call(ws, "write_file", path="a.py", content="gone").is_error
    assert (ws.root / "a.py").read_text() == "x = 1\ny = 1\n"


def test_diff_of_a_planned_edit(ws: Workspace) -> None:
    call(ws, "read_file", path="a.py")
    args = {"path": "a.py", "old_string": "x = 1", "new_string": "x = 10"}
    diff = tools.diff_of(ws, *tools.planned_edit(ws, args))
    assert "-x = 1\n+x = 10\n" in diff and diff.startswith("--- a/a.py\n+++ b/a.py\n")


def test_list_and_search_skip_dependency_folders(ws: Workspace) -> None:
    assert call(ws, "list_files", pattern="*.py").text.split("\n") == ["a.py", "pkg/b.py"]
    assert call(ws, "search", pattern="needle").text == "pkg/b.py:2: return 'needle'"
    assert call(ws, "search", pattern="(").is_error


def test_bash_exit_code_timeout_and_cap(ws: Workspace) -> None:
    ok = call(ws, "bash", command="echo hi; exit 3")
    assert ok.text == "exit code 3\nhi" and ok.is_error
    slow = call(ws, "bash", command="sleep 5", timeout=1)
    assert slow.text.startswith("timed out after 1 s")
    big = call(ws, "bash", command="head -c 100000 /dev/zero | tr '\\0' a")
    assert len(big.text) < tools.OUTPUT_CAP + 200 and "characters omitted" in big.text


def test_paths_resolve_against_the_project(ws: Workspace) -> None:
    target, path = BY_NAME["read_file"].target(ws, {"path": "../elsewhere.txt"})
    assert path is not None and not ws.inside(path) and target == str(path)
    assert BY_NAME["bash"].target(ws, {"command": "ls -l"}) == ("ls -l", None)
