"""Permission rules: deny wins, outside the project is always explicit, --yes trusts the
run, print mode denies what it would ask, "always for this project" is saved, and every
decision says what made it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caicaini_code.permissions import ALLOW, ASK, DENY, Permissions, Rule


def perms(tmp_path: Path, settings: dict[str, object] | None = None, **kw: object) -> Permissions:
    return Permissions.load(tmp_path, settings or {}, **kw)  # type: ignore[arg-type]


def test_defaults_reading_is_allowed_edits_and_commands_ask(tmp_path: Path) -> None:
    p = perms(tmp_path)
    assert p.decide("read_file", "read", "a.py", False).action == ALLOW
    edit = p.decide("edit_file", "edit", "a.py", False)
    assert edit.action == ASK and edit.reason == "edits and commands ask first"
    assert p.decide("bash", "command", "ls", False).action == ASK


def test_deny_wins_over_allow_and_yes(tmp_path: Path) -> None:
    settings = {"permissions": {"allow": ["bash"], "deny": ["bash(rm:*)"]}}
    p = perms(tmp_path, settings, trust_run=True)
    denied = p.decide("bash", "command", "rm -rf /", False)
    assert denied.action == DENY
    assert denied.reason == "deny rule bash(rm:*) (user settings)"
    assert p.decide("bash", "command", "rmdir x", False).action == ALLOW  # prefix is a word
    assert p.decide("bash", "command", "ls", False).reason == "allow rule bash (user settings)"


def test_outside_the_project_needs_an_explicit_rule(tmp_path: Path) -> None:
    p = perms(tmp_path, {"permissions": {"allow": ["read_file"]}}, trust_run=True)
    outside = p.decide("read_file", "read", "/etc/passwd", True)
    assert outside.action == ASK and "outside the project folder" in outside.reason
    p.allow_for_session("read_file(/etc/*)")
    assert p.decide("read_file", "read", "/etc/passwd", True).reason.endswith("(this session)")


def test_print_mode_denies_what_it_would_ask(tmp_path: Path) -> None:
    p = perms(tmp_path, can_ask=False)
    decision = p.decide("write_file", "edit", "new.py", False)
    assert decision.action == DENY and "run with --yes" in decision.reason
    assert (
        perms(tmp_path, can_ask=False, trust_run=True)
        .decide("write_file", "edit", "new.py", False)
        .action
        == ALLOW
    )


def test_an_ask_rule_asks_even_with_yes(tmp_path: Path) -> None:
    p = perms(tmp_path, {"permissions": {"ask": ["bash(git push:*)"]}}, trust_run=True)
    assert p.decide("bash", "command", "git push origin", False).action == ASK
    assert p.decide("bash", "command", "git status", False).action == ALLOW


def test_always_for_this_project_is_saved_in_the_project(tmp_path: Path) -> None:
    p = perms(tmp_path)
    rule = Permissions.rule_for("bash", "command", "make test", False)
    assert rule == "bash(make test)"
    saved = p.allow_for_project(rule)
    assert json.loads(saved.read_text()) == {"permissions": {"allow": ["bash(make test)"]}}
    again = perms(tmp_path)  # a later run reads it back
    assert again.decide("bash", "command", "make test", False).action == ALLOW
    assert Permissions.rule_for("edit_file", "edit", "a.py", False) == "edit_file"


def test_path_globs_and_bad_rules(tmp_path: Path) -> None:
    p = perms(tmp_path, {"permissions": {"allow": ["edit_file(src/**)"]}})
    assert p.decide("edit_file", "edit", "src/app/main.py", False).action == ALLOW
    assert p.decide("edit_file", "edit", "setup.py", False).action == ASK
    with pytest.raises(ValueError):
        Rule.parse(ALLOW, "bash(", "x")
