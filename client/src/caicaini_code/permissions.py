"""Who decides whether a tool call runs: rules, then the defaults, then the person.

Rules are ``allow``, ``ask`` or ``deny``, each ``tool`` or ``tool(pattern)``:

    bash(git status)      exactly this command        bash(npm test:*)  commands starting so
    edit_file(src/**)     paths matching the glob     write_file        every call of the tool

They come from the command line (``--allow``/``--deny``), the project
(``.caicaini/settings.json``, where "always for this project" saves), the user's settings and
this session's answers. Order of decision:

    1. a deny rule matches            → deny (deny always wins, whatever else says yes)
    2. the path is outside the project → ask, unless an allow rule names it (``--yes`` is
                                         not enough: leaving the folder is always explicit)
    3. an ask rule matches            → ask
    4. an allow rule matches          → allow
    5. ``--yes``                      → allow (the user trusts this run)
    6. defaults: reading allowed; edits and commands ask

Without a person to ask (print mode), "ask" becomes deny. Every decision says which rule or
default made it, and the prompt shows that.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from caicaini_code.config import read_json, write_json

ALLOW, ASK, DENY = "allow", "ask", "deny"
_RULE = re.compile(r"^\s*([A-Za-z_*][\w*]*)\s*(?:\((.*)\))?\s*$")
PROJECT_FILE = Path(".caicaini") / "settings.json"


@dataclass(frozen=True)
class Rule:
    action: str
    tool: str
    pattern: str | None
    source: str

    @classmethod
    def parse(cls, action: str, text: str, source: str) -> Rule:
        match = _RULE.match(text)
        if match is None:
            raise ValueError(f"not a rule: {text!r} (write tool or tool(pattern))")
        return cls(action, match.group(1), match.group(2), source)

    def matches(self, tool: str, target: str) -> bool:
        if self.tool not in (tool, "*"):
            return False
        pattern = self.pattern
        if pattern is None or self.tool_wide:
            return True
        if pattern.endswith(":*"):  # a command prefix
            prefix = pattern[:-2]
            return target == prefix or target.startswith(prefix + " ")
        return target == pattern or fnmatch.fnmatchcase(target, pattern)

    @property
    def tool_wide(self) -> bool:
        return self.pattern is None or self.pattern in ("", "*", "**")

    @property
    def text(self) -> str:
        return self.tool if self.pattern is None else f"{self.tool}({self.pattern})"

    def describe(self) -> str:
        return f"{self.action} rule {self.text} ({self.source})"


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str


def rules_from(settings: dict[str, object], source: str) -> list[Rule]:
    section = settings.get("permissions")
    rules: list[Rule] = []
    if isinstance(section, dict):
        for action in (ALLOW, ASK, DENY):
            for text in section.get(action) or []:
                if isinstance(text, str):
                    rules.append(Rule.parse(action, text, source))
    return rules


@dataclass
class Permissions:
    project_root: Path
    rules: list[Rule] = field(default_factory=list)
    trust_run: bool = False  # --yes
    can_ask: bool = True  # False in print mode

    @classmethod
    def load(
        cls,
        project_root: Path,
        user_settings: dict[str, object],
        *,
        allow: tuple[str, ...] = (),
        deny: tuple[str, ...] = (),
        trust_run: bool = False,
        can_ask: bool = True,
    ) -> Permissions:
        rules = [Rule.parse(DENY, t, "--deny") for t in deny]
        rules += [Rule.parse(ALLOW, t, "--allow") for t in allow]
        rules += rules_from(read_json(project_root / PROJECT_FILE), str(PROJECT_FILE))
        rules += rules_from(user_settings, "user settings")
        return cls(project_root, rules, trust_run, can_ask)

    def decide(self, tool: str, kind: str, target: str, outside: bool) -> Decision:
        decision = self._decide(tool, kind, target, outside)
        if decision.action == ASK and not self.can_ask:
            return Decision(
                DENY,
                f"print mode denies what it would have to ask about ({decision.reason}); "
                "run with --yes or add an allow rule",
            )
        return decision

    def _decide(self, tool: str, kind: str, target: str, outside: bool) -> Decision:
        matching = [r for r in self.rules if r.matches(tool, target)]
        if outside:  # a tool-wide allow does not reach outside the project: a path must
            matching = [r for r in matching if r.action != ALLOW or not r.tool_wide]
        for action in (DENY, ASK, ALLOW):
            found = next((r for r in matching if r.action == action), None)
            if found is not None and (action != ASK or not outside):
                return Decision(action, found.describe())
        if outside:
            return Decision(ASK, f"{target} is outside the project folder")
        if self.trust_run:
            return Decision(ALLOW, "--yes trusts this run")
        if kind == "read":
            return Decision(ALLOW, "reading inside the project is allowed")
        return Decision(ASK, "edits and commands ask first")

    # -- "always" answers -------------------------------------------------------------------
    @staticmethod
    def rule_for(tool: str, kind: str, target: str, outside: bool) -> str:
        """What "always" allows: this command, this outside path, or the edit tool."""
        if kind == "command" or outside:
            return f"{tool}({target})"
        return tool

    def allow_for_session(self, rule_text: str) -> None:
        self.rules.append(Rule.parse(ALLOW, rule_text, "this session"))

    def allow_for_project(self, rule_text: str) -> Path:
        path = self.project_root / PROJECT_FILE
        settings = read_json(path)
        section = settings.setdefault("permissions", {})
        allowed = section.setdefault(ALLOW, [])
        if rule_text not in allowed:
            allowed.append(rule_text)
        write_json(path, settings)
        self.rules.append(Rule.parse(ALLOW, rule_text, str(PROJECT_FILE)))
        return path
