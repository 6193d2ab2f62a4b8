"""Sessions are append-only JSONL: the state is the replay of the lines (a torn line is
skipped), compaction keeps the person's prompts, and the folder's sessions list newest
first with what they cost."""

from __future__ import annotations

from pathlib import Path

from caicaini_code.sessions import SessionStore, load


def test_replay_of_an_append_only_file(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    session = store.create(tmp_path, "claude-haiku-4-5")
    session.add_message("user", "fix the bug")
    session.add_message("assistant", [{"type": "text", "text": "done"}])
    session.append({"type": "turn", "request_id": "req_1", "credits_charged": 3})
    session.append({"type": "model", "model": "kimi-k2.5"})
    lines_before = session.path.read_text().splitlines()
    with session.path.open("a") as handle:
        handle.write('{"type": "message", "mess')  # a crash mid-write
    again = load(session.path)
    assert again is not None
    state = again.state
    assert state.model == "kimi-k2.5" and state.credits == 3
    assert state.first_prompt == "fix the bug"
    assert [m["role"] for m in state.messages] == ["user", "assistant"]
    assert session.path.read_text().splitlines()[: len(lines_before)] == lines_before


def test_compaction_replaces_the_history_but_keeps_the_prompts(tmp_path: Path) -> None:
    session = SessionStore(tmp_path).create(tmp_path, "m")
    session.add_message("user", "first")
    session.add_message("user", [{"type": "tool_result", "tool_use_id": "t", "content": "x"}])
    session.add_message("user", "second")
    compacted = [{"role": "user", "content": "S"}]
    session.append({"type": "compact", "summary": "s", "messages": compacted})
    state = load(session.path).state  # type: ignore[union-attr]
    assert state.messages == [{"role": "user", "content": "S"}]
    assert state.prompts == ["first", "second"]


def test_listing_latest_and_find(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s")
    folder, other = tmp_path / "p", tmp_path / "q"
    folder.mkdir()
    other.mkdir()
    old = store.create(folder, "m")
    old.add_message("user", "old one")
    new = store.create(folder, "m")
    new.add_message("user", "new one")
    new.append({"type": "turn", "request_id": "r", "credits_charged": 7})
    store.create(other, "m")
    listed = store.list(folder)
    assert listed[0].state.updated_at >= listed[1].state.updated_at  # most recent first
    assert {s.id for s in listed} == {new.id, old.id}
    assert store.find(old.id).state.first_prompt == "old one"  # type: ignore[union-attr]
    assert store.find("nope") is None
