"""``caicaini-code -p`` against the real server, the fake upstream scripted to call tools:
what it reports is what the ledger moved, a denied edit changes nothing, ``--max-credits``
stops before overspending, and every refusal exits non-zero with a clear message."""

from __future__ import annotations

import pytest

from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.client.conftest import CodeRunner
from tests.gateway.support import CLAUDE, KIMI, balance, customer, issue_key, usage_of

EDIT = {"path": "hello.py", "old_string": '"hello"', "new_string": '"hello, world"'}


def tool_results(fake: FakeScript) -> list[str]:
    """What the client sent back to the model as tool results (Anthropic or OpenAI shape)."""
    found = []
    for request in fake.requests:
        for message in request.body.get("messages", []):
            if message.get("role") == "tool":
                found.append(str(message.get("content")))
            for block in message.get("content") or []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    found.append(str(block.get("content")))
    return found


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_a_trusted_run_reads_edits_answers_and_reports_the_ledgers_change(
    lctx: AppContext, fake: FakeScript, code: CodeRunner, model: str
) -> None:
    account = await customer(lctx)
    code.key = await issue_key(lctx, account)
    fake.call_tool("read_file", {"path": "hello.py"})
    fake.call_tool("edit_file", EDIT)
    fake.reply("Done: greet now says hello, world.")
    before = await balance(lctx, account)

    ran = code("-p", "make greet say hello, world", "--yes", "--model", model,
               "--output-format", "json")  # fmt: skip

    assert ran.code == 0, ran.stderr
    out = ran.json()
    assert out["result"] == "Done: greet now says hello, world."
    assert (code.project / "hello.py").read_text() == 'def greet():\n    return "hello, world"\n'
    after = await balance(lctx, account)
    assert out["credits_charged"] == before - after > 0
    assert out["balance"] == after
    assert out["num_turns"] == 3 and len(out["request_ids"]) == 3
    records = await usage_of(lctx, account)
    assert sorted(out["request_ids"]) == sorted(r.id for r in records)
    assert sum(r.credits_charged for r in records) == out["credits_charged"]
    assert all(r.stream and r.outcome == "ok" for r in records)
    assert tool_results(fake)[0].startswith("     1\tdef greet():")


async def test_without_yes_the_edit_is_denied_and_the_file_unchanged(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    code.key = await issue_key(lctx, await customer(lctx))
    fake.call_tool("read_file", {"path": "hello.py"})
    fake.call_tool("edit_file", EDIT)
    fake.reply("I could not edit the file.")
    ran = code("-p", "make greet say hello, world", "--model", CLAUDE)
    assert ran.code == 0, ran.stderr
    assert ran.stdout == "I could not edit the file.\n"
    assert (code.project / "hello.py").read_text() == 'def greet():\n    return "hello"\n'
    assert "print mode denies what it would have to ask about" in ran.stderr
    denied = tool_results(fake)[-1]
    assert denied.startswith("Permission denied") and "--yes" in denied


async def test_a_deny_rule_wins_even_with_yes(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    code.key = await issue_key(lctx, await customer(lctx))
    fake.call_tool("bash", {"command": "rm -rf build"})
    fake.reply("ok")
    ran = code("-p", "clean", "--yes", "--deny", "bash(rm:*)", "--model", CLAUDE)
    assert ran.code == 0
    assert "deny rule bash(rm:*) (--deny)" in tool_results(fake)[-1]


async def test_max_credits_stops_before_a_call_that_could_overspend(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    account = await customer(lctx)
    code.key = await issue_key(lctx, account)
    for _ in range(5):
        fake.call_tool("read_file", {"path": "hello.py"})
    # claude-sonnet-4-5: 3 credits a unit; max_tokens 8192 holds up to 5 units = 15 credits.
    ran = code("-p", "look around", "--model", CLAUDE, "--max-credits", "20",
               "--output-format", "json")  # fmt: skip
    assert ran.code == 3
    out = ran.json()
    assert out["is_error"] is True and out["num_turns"] == 2 and out["balance"] == 994
    assert out["credits_charged"] == 6 == 1000 - await balance(lctx, account)
    assert "could cost up to 15 credits" in out["error"] and "6 of its 20-credit" in out["error"]
    assert len(fake.requests) == 2  # the third call never reached the model


async def test_no_balance_fails_clearly(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    code.key = await issue_key(lctx, await customer(lctx, credits=0))
    ran = code("-p", "hello", "--model", CLAUDE)
    assert ran.code == 1 and ran.stdout == ""
    assert "balance is too low" in ran.stderr and f"{code.base_url}/billing" in ran.stderr
    assert fake.requests == []


async def test_refusals_are_explained(lctx: AppContext, fake: FakeScript, code: CodeRunner) -> None:
    code.key = "sk-cai-" + "0" * 46
    assert "revoked, has expired or is unknown" in code("-p", "x", "--model", CLAUDE).stderr

    account = await customer(lctx)
    code.key = await issue_key(lctx, account, daily_credit_cap=2)
    capped = code("-p", "x", "--model", CLAUDE)
    assert (
        capped.code == 1 and "Spend cap reached" in capped.stderr and "resets at" in capped.stderr
    )

    code.key = await issue_key(lctx, account, rpm_override=1)
    suspended = await customer(lctx)
    suspended_key = await issue_key(lctx, suspended)
    async with lctx.transaction() as session:
        await ClosureService(session, lctx.clock, lctx.settings).set_status(
            suspended, "suspended", "chargeback", Actor("operator")
        )
    refused = code("-p", "x", "--model", CLAUDE, CAICAINI_API_KEY=suspended_key)
    assert refused.code == 1 and "account is suspended" in refused.stderr

    assert code("-p", "x", "--model", CLAUDE).code == 0
    limited = code("-p", "x", "--model", CLAUDE, CAICAINI_CODE_MAX_RETRY_WAIT="0")
    assert limited.code == 1
    assert "Rate limited" in limited.stderr and "Retry in" in limited.stderr


async def test_faults_a_529_is_retried_a_cut_stream_is_charged_what_it_delivered(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    account = await customer(lctx)
    code.key = await issue_key(lctx, account)
    fake.fail(529, "Overloaded", retry_after=0)
    fake.reply("after the retry")
    ok = code("-p", "hello", "--model", CLAUDE)
    assert ok.code == 0 and ok.stdout == "after the retry\n"
    assert "529 Overloaded; retrying" in ok.stderr

    spent = 1000 - await balance(lctx, account)
    fake.push(fake.default.__class__(output_tokens=40, fail_after_events=8))
    cut = code("-p", "hello", "--model", CLAUDE, "--output-format", "json")
    assert cut.code == 1
    out = cut.json()
    assert "broke off" in out["error"] and out["num_turns"] == 1
    assert out["credits_charged"] == 1000 - await balance(lctx, account) - spent > 0

    fake.reply("one two three four five six", tokens_per_second=20)
    slow = code("-p", "hello", "--model", KIMI)
    assert slow.code == 0 and slow.stdout == "one two three four five six\n"


async def test_stdin_joins_the_prompt_and_continue_resumes(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    code.key = await issue_key(lctx, await customer(lctx))
    first = code("-p", "summarise this:", "--model", CLAUDE, stdin="line one\nline two\n")
    assert first.stdout.startswith("Echo: summarise this: line one line two")
    again = code("-p", "and again", "--continue", "--output-format", "json")
    assert again.code == 0 and again.json()["model"] == CLAUDE
    sent = fake.last_request.body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    listed = code("sessions")
    assert "summarise this:" in listed.stdout and "credits" in listed.stdout
