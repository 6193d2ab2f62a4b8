"""The agent loop with a scripted model and a scripted person: tool calls run behind the
permission prompt ("always for this session" is remembered), charges come from the server's
``caicaini_charge``, and a credit limit stops before a call whose quote could overspend."""

from __future__ import annotations

from pathlib import Path

import pytest

from caicaini_code.agent import Agent, Budget, BudgetExceeded
from caicaini_code.api import Api
from caicaini_code.io import NO, SESSION
from caicaini_code.permissions import Permissions
from caicaini_code.sessions import SessionStore
from caicaini_code.tools import Workspace
from scripted import ScriptedIO, ScriptedModel, text_reply, tool_reply


def agent_for(tmp_path: Path, model: ScriptedModel, io: ScriptedIO, **kw: object) -> Agent:
    (tmp_path / "a.py").write_text("x = 1\n")
    api = Api("http://server", "sk-cai-test", transport=model.transport())
    session = SessionStore(tmp_path / "sessions").create(tmp_path, "m")
    perms = Permissions.load(tmp_path, {})
    return Agent(api, io, session, Workspace(tmp_path.resolve()), perms, model="m", **kw)  # type: ignore[arg-type]


def test_tools_run_behind_the_prompt_and_session_answers_are_remembered(tmp_path: Path) -> None:
    model, io = ScriptedModel(), ScriptedIO([SESSION])
    model.replies.extend([
        tool_reply("read_file", {"path": "a.py"}, 1, 99),
        tool_reply("edit_file", {"path": "a.py", "old_string": "1", "new_string": "2"}, 1, 98),
        tool_reply("edit_file", {"path": "a.py", "old_string": "2", "new_string": "3"}, 1, 97),
        text_reply("done", 2, 95),
    ])  # fmt: skip
    agent = agent_for(tmp_path, model, io)
    result = agent.run("change it")
    assert result.text == "done" and result.credits == 5 and agent.balance == 95
    assert (tmp_path / "a.py").read_text() == "x = 3\n"
    assert io.asked == [("edit_file", "a.py", "edits and commands ask first")]  # asked once
    last = model.sent[-1]["messages"]
    assert last[-1]["content"][0]["content"] == "Edited a.py: 1 replacement(s)"
    assert agent.session.state.credits == 5


def test_no_stops_the_turn_and_tells_the_model(tmp_path: Path) -> None:
    model, io = ScriptedModel(), ScriptedIO([NO])
    model.replies.extend([
        tool_reply("read_file", {"path": "a.py"}, 1, 99),
        tool_reply("bash", {"command": "rm a.py"}, 1, 98),
    ])  # fmt: skip
    agent = agent_for(tmp_path, model, io)
    agent.run("tidy up")
    assert (tmp_path / "a.py").exists() and len(model.sent) == 2
    assert agent.session.state.messages[-1]["content"][0]["is_error"] is True


def test_the_limit_stops_before_a_call_that_could_overspend(tmp_path: Path) -> None:
    model, io = ScriptedModel(), ScriptedIO()
    model.quote = 10
    model.replies.extend([tool_reply("read_file", {"path": "a.py"}, 4, 96), text_reply("x", 4, 92)])
    agent = agent_for(tmp_path, model, io, budget=Budget(limit=13))
    with pytest.raises(BudgetExceeded) as stopped:
        agent.run("look")
    assert stopped.value.spent == 4 and stopped.value.up_to == 10
    assert model.calls == ["POST /api/v1/quote", "POST /v1/messages", "POST /api/v1/quote"]


def test_a_session_left_between_a_tool_call_and_its_result_is_healed(tmp_path: Path) -> None:
    model, io = ScriptedModel(), ScriptedIO()
    model.replies.append(text_reply("hi", 1, 99))
    agent = agent_for(tmp_path, model, io)
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "x"}}
    agent.session.add_message("user", "run it")
    agent.session.add_message("assistant", [tool_use])  # then the process died
    agent.run("again")
    sent = model.sent[0]["messages"]
    assert sent[2]["content"][0]["tool_use_id"] == "toolu_1"
    assert sent[2]["content"][0]["is_error"] is True and sent[3]["content"] == "again"
