"""The session-level load tests: personas and checks on canned replies, every persona against
the real bot in-process, and `python -m loadtests compare --quick` against both deployments.

Only Locust-free modules are imported here (Locust patches the standard library for gevent
on import); the Locust side runs in the subprocess of the last test.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from chatbot import nlg
from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.listener import handle
from chatbot.sessions import MemorySessionStore
from loadtests.checks import Conversation, Exchange, check
from loadtests.conversation import Retriable, Settings, TurnFailed, hold, with_one_retry
from loadtests.personas import MIX, WISHES, Answer, Persona, Script, asked, make_persona, pick_kind
from loadtests.report import mesh_fan_out, step_rows
from tests.chatbot_helpers import components_for

ROOT = Path(__file__).resolve().parents[1]
GENRE_Q, ACTOR_Q = nlg.QUESTIONS["genre"][0], nlg.QUESTIONS["actor"][0]
DIRECTOR_Q, MPAA_Q = nlg.QUESTIONS["director"][0], nlg.QUESTIONS["mpaa"][0]
FILM = {"id": 7, "title": "Dumb and Dumber", "genres": ["comedy"], "cast": ["Jim Carrey", "Jeff Daniels"],
        "directors": ["Peter Farrelly"], "director": "Peter Farrelly", "mpaa": "PG-13"}


def decisive() -> Persona:
    return Persona("decisive", {
        "genre": Answer("a comedy with Jim Carrey", {"genre": ["comedy"], "actor": "Jim Carrey"}),
        "actor": Answer("no preference"), "director": Answer("no preference"),
        "mpaa": Answer("rated PG-13", {"mpaa": "PG-13"})})


def play(script: Script, questions: list[list[str]]) -> list[str | None]:
    return [script.next_text(q) for q in questions]


# -- personas ---------------------------------------------------------------------------------

def test_asked_finds_the_last_question_even_after_a_hint() -> None:
    assert asked([nlg.NOT_UNDERSTOOD, GENRE_Q, nlg.HINT]) == "genre"
    assert asked(["How about Heat (1995)?", nlg.WATCHED]) == "watched"
    assert asked(["Wonderful! Enjoy Heat.", nlg.BYES[0]]) is None


def test_script_decisive_states_its_wishes_and_accepts() -> None:
    script = Script(decisive())
    assert script.next_text(None) == ""
    assert script.next_text([nlg.INTRO, GENRE_Q]) == "a comedy with Jim Carrey"
    assert script.stated == {"genre": ["comedy"], "actor": "Jim Carrey"}
    assert play(script, [[DIRECTOR_Q], [MPAA_Q], [nlg.WATCHED], [nlg.LIKE], [nlg.BYES[0]]]) == \
        ["no preference", "rated PG-13", "no", "yes", None]


def test_script_picky_rejects_its_quota_before_accepting() -> None:
    persona = make_persona("picky", random.Random(3))
    script = Script(persona)
    answers = [script.next_text([nlg.LIKE]) for _ in range(persona.rejections + 1)]
    assert persona.rejections in (2, 3) and answers == ["no"] * persona.rejections + ["yes"]
    assert "genre" in persona.wishes and set(persona.wishes) == {"genre"}


def test_script_confused_talks_gibberish_first_then_answers() -> None:
    persona = make_persona("confused", random.Random(5))
    script = Script(persona)
    texts = [script.next_text([GENRE_Q]) for _ in range(len(persona.gibberish) + 1)]
    assert texts[:-1] == list(persona.gibberish) and texts[-1] == persona.answers["genre"].text


def test_make_persona_every_kind_and_a_clear_error_otherwise() -> None:
    rng = random.Random(0)
    kinds = {pick_kind(rng) for _ in range(200)}
    assert kinds == set(MIX)
    assert all(p.answers["genre"].text for p in (make_persona(k, rng) for k in MIX))
    with pytest.raises(ValueError, match="'shy' is not a persona"):
        make_persona("shy", rng)


# -- checks on canned replies ------------------------------------------------------------------

def reply(sid: str, turn_no: int, messages: list[str], film: dict[str, Any] | None = None,
          signal_: str | None = None) -> dict[str, Any]:
    queued = len(messages) - 1
    return {"response": messages[0], "userid": sid, "signal": "listen" if queued else signal_,
            "passiveLen": queued, "messages": messages, "turn_no": turn_no, "recommendation": film}


def canned(film: dict[str, Any] = FILM, notice: str | None = None, sid: str = "s1") -> Conversation:
    conv = Conversation(sid, decisive())
    wish = {"genre": ["comedy"], "actor": "Jim Carrey"}
    found = [notice] if notice else []
    turns: list[tuple[str, dict[str, Any], list[str], dict[str, Any] | None]] = [
        ("", {}, [nlg.INTRO, GENRE_Q], None),
        ("a comedy with Jim Carrey", wish, [nlg.acknowledge(wish), DIRECTOR_Q], None),
        ("no preference", {}, [MPAA_Q], None),
        ("rated PG-13", {"mpaa": "PG-13"}, [nlg.acknowledge({"mpaa": "PG-13"}), *found, nlg.THINKING,
                                            f"How about {film['title']}?", nlg.WATCHED], film),
        ("no", {}, [nlg.LIKE], film),
        ("yes", {}, ["Wonderful! Enjoy it.", nlg.BYES[0]], film)]
    for n, (text, stated, messages, rec) in enumerate(turns, start=1):
        conv.exchanges.append(Exchange(n, text, stated, reply(sid, n, messages, rec)))
    conv.polls = [{"userid": sid, "signal": "end", "passiveLen": 0, "response": nlg.BYES[0]}]
    return conv


def answer(exchange: Exchange) -> dict[str, Any]:
    """The reply a canned exchange holds (`canned` gives every turn one)."""
    assert exchange.reply is not None, f"turn {exchange.turn_no} has no reply"
    return exchange.reply


def kinds(conv: Conversation) -> list[str]:
    return [f.kind for f in check(conv)]


def test_check_a_good_conversation_has_no_failure() -> None:
    assert check(canned()) == []


def test_check_a_film_breaking_a_wish_is_a_preference_failure() -> None:
    assert kinds(canned(FILM | {"cast": ["Jeff Daniels"]})) == ["preference"]
    assert kinds(canned(FILM | {"mpaa": "R"})) == ["preference"]


def test_check_a_wish_set_aside_by_the_no_match_notice_may_be_broken() -> None:
    notice = nlg.relaxed([("actor", "Jim Carrey")])
    assert kinds(canned(FILM | {"cast": ["Jeff Daniels"]}, notice)) == []
    assert kinds(canned(FILM | {"mpaa": "R"}, notice)) == ["preference"]


def test_check_a_reply_of_another_session_is_foreign() -> None:
    conv = canned()
    conv.exchanges[2].reply = answer(conv.exchanges[2]) | {"userid": "someone-else"}
    conv.exchanges[3].reply = answer(conv.exchanges[3]) | {"turn_no": 9}
    assert kinds(conv) == ["foreign", "foreign"]
    conv = canned()
    answer(conv.exchanges[2])["messages"] = [nlg.acknowledge({"actor": "Tom Hanks"}), MPAA_Q]
    assert kinds(conv) == ["foreign"]


def test_check_an_unanswered_turn_hides_the_rest() -> None:
    conv = canned()
    conv.exchanges[3] = Exchange(4, "rated PG-13", {"mpaa": "PG-13"}, None, "ConnectionRefusedError")
    assert [(f.kind, f.detail) for f in check(conv)] == [("unanswered", "turn 4: ConnectionRefusedError")]
    conv.exchanges[3].reply = {"error": "internal_error", "detail": "boom", "status": 500}
    assert kinds(conv) == ["unanswered"]


def test_check_without_the_end_signal_is_no_end() -> None:
    conv = canned()
    conv.polls = [{"userid": "s1", "signal": "listen", "passiveLen": 1, "response": "..."}]
    assert kinds(conv) == ["no_end"]


def test_check_understood_gibberish_is_misunderstood() -> None:
    conv = canned()
    conv.persona = Persona("confused", conv.persona.answers, gibberish=("no preference",))
    assert kinds(conv) == ["misunderstood"]


# -- one conversation over a transport ---------------------------------------------------------

def test_with_one_retry_resends_once_then_gives_up() -> None:
    calls: list[int] = []

    def flaky() -> dict[str, Any]:
        calls.append(1)
        if len(calls) < 2:
            raise Retriable("reset")
        return {"ok": True}

    assert with_one_retry(flaky) == ({"ok": True}, 2)
    with pytest.raises(TurnFailed, match="re-sent once"):
        with_one_retry(lambda: (_ for _ in ()).throw(Retriable("refused")))


class BotTransport:
    """The listener protocol straight into an in-process bot; the first try of every third turn
    or poll fails like a dropped connection (after the bot answered it), to exercise the re-send."""

    def __init__(self, bot: Chatbot) -> None:
        self.bot, self.calls = bot, 0

    def turn(self, session_id: str, text: str, turn_no: int) -> tuple[dict[str, Any], int]:
        def send() -> dict[str, Any]:
            self.calls += 1
            answer = handle(self.bot, {"id": session_id, "text": text, "mode": "false", "turn_no": turn_no})
            if self.calls % 3 == 0:
                raise Retriable("connection reset")
            return answer
        return with_one_retry(send)

    def poll(self, session_id: str, turn_no: int, index: int) -> dict[str, Any]:
        def send() -> dict[str, Any]:
            self.calls += 1
            answer = handle(self.bot, {"id": session_id, "mode": "true", "turn_no": turn_no, "index": index})
            if self.calls % 3 == 0:  # the answer is lost: the same poll, re-sent, reads the same message
                raise Retriable("connection reset")
            return answer
        return with_one_retry(send)[0]


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(store=MemorySessionStore(), components=components_for(chatbot_db_url, catalog))


def test_every_persona_holds_a_correct_conversation_with_the_real_bot(bot: Chatbot) -> None:
    transport = BotTransport(bot)
    for seed in range(60):
        rng = random.Random(seed)
        conv = hold(transport, make_persona(list(MIX)[seed % len(MIX)], rng), think=lambda: None)
        assert check(conv) == [], (conv.persona, [(e.text, (e.reply or {}).get("messages")) for e in conv.exchanges])
        assert conv.polls[-1]["signal"] == "end" and conv.exchanges[-1].text == "yes"
    assert any(e.attempts == 2 for e in conv.exchanges)


def test_every_wish_is_met_by_some_film(catalog: Catalog) -> None:
    for wish in WISHES:
        assert catalog.search(genre=wish.genre, actor=wish.actor, director=wish.director, mpaa=wish.mpaa), wish


# -- report ------------------------------------------------------------------------------------

def test_step_rows_measure_only_after_the_settle_time() -> None:
    run = {"windows": [{"users": 2, "start_s": 0.0, "measure_from_s": 1.0, "end_s": 11.0}],
           "turns": [(0.5, 900.0, True)] + [(1.0 + i / 10, float(i), True) for i in range(100)]
           + [(5.0, 1.0, False)],
           "conversations": [{"t": 0.5, "failures": [{"kind": "no_end", "detail": ""}]},
                             {"t": 4.0, "failures": []}, {"t": 12.0, "failures": []}],
           "cpu": [{"t": 1.0, "cpu_s": {"7": ["agent", 1.0], "8": ["agent", 3.0]}},
                   {"t": 6.0, "cpu_s": {"7": ["agent", 2.0], "9": ["agent", 0.5]}},
                   {"t": 11.0, "cpu_s": {"7": ["agent", 5.0], "9": ["agent", 1.0]}}]}
    [row] = step_rows(run)
    assert row["turns"] == 100 and row["turn_p50_ms"] == pytest.approx(49.5) and row["turn_p99_ms"] < 100
    assert row["conversations"] == 1 and row["conversations_per_s"] == pytest.approx(0.1)
    assert row["failures"]["no_end"] == 1 and row["failed_requests"] == 1
    assert row["cpu_cores"] == {"agent": 0.5}  # pid 8 died, pid 9 was new: (4 + 1) s / 10 s
    assert row["server_cpu_ms_per_turn"] == pytest.approx(50.0)


def test_mesh_fan_out_counts_requests_per_agent_request() -> None:
    samples = [{"services": {"agent": {"requests_total": 10}, "db": {"requests_total": 5}}},
               {"services": {"agent": {"requests_total": 30}, "db": {"requests_total": 65},
                             "policy": {"requests_total": 20}}}]
    assert mesh_fan_out(samples) == {"db": 3.0, "policy": 1.0}
    assert mesh_fan_out(samples[:1]) == {}


# -- the whole comparison, quick ---------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(1200)  # nine deployments start (the fault and cores steps start their own): minutes when busy
def test_loadtests_compare_quick_runs_both_deployments_without_a_correctness_failure(
        tmp_path: Path, chatbot_db_url: str) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "loadtests", "compare", "--quick", "--out", str(out),
           "--database-url", chatbot_db_url]
    started = time.monotonic()
    done = _run(cmd, timeout_s=900)
    assert done.returncode == 0, done.stdout[-3000:]
    data = json.loads((out / "loadtests.json").read_text())
    for name in ("legacy", "puma"):
        target = data["targets"][name]
        assert target["conversations_total"] > 0 and sum(target["failures"].values()) == 0, target["failures"]
        assert [r["users"] for r in target["steps"]] == [1, 4, 16]
    assert data["instances"]["puma"][-1]["services"]["agent"]["ready"] == 3
    for name in ("summary.md", "steps.csv", "failures.csv", "cpu.csv", "instances.csv", "turns.csv",
                 "latency.png", "throughput.png", "instances.png", "faults.csv", "faults.png", "cores.csv", "cores.png"):
        assert (out / name).stat().st_size > 0, name
    # The fault step killed each process once under load; the cores step ran both deployments on 1 and 2 CPUs.
    faults = {r["fault"]: r for r in data["fault_step"]["runs"]}
    assert set(faults) == {"legacy", "agent", "db"} and all(r["killed"]["pid"] for r in faults.values())
    assert all(r["turns_per_s_before"] > 0 and r["timeline"] for r in faults.values())
    rows = {(r["target"], r["cpus"]) for r in data["cores_step"]["rows"]}
    assert rows == {(t, c) for t in ("legacy", "puma") for c in (1, 2)}
    assert set(data["cores_step"]["fits"]) == {"legacy", "puma"}
    assert f"(read {out.resolve() / 'summary.md'} first)" in done.stdout  # where the report is, said
    summary = (out / "summary.md").read_text()
    assert "## Fault step" in summary and "## Cores step" in summary and "per added core" in summary
    print(f"compare --quick took {time.monotonic() - started:.0f} s")


def _run(cmd: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run `cmd`; on a timeout interrupt it (it then stops its deployments), then kill it."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        stdout, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            stdout, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, _ = proc.communicate()
        pytest.fail(f"compare --quick did not finish within {timeout_s:.0f} s:\n{stdout[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, "")


def _cost_run(round_no: int, tree: str, target: str, agent_ms: float) -> dict[str, Any]:
    ms = {"agent": agent_ms, "envoy": 1.0, "load generator": 9.0} if target == "puma" else {"legacy server": 2.0}
    return {"round": round_no, "tree": tree, "target": target, "turns_per_s": 50.0, "ms_per_turn": ms,
            "server_ms_per_turn": sum(v for k, v in ms.items() if k != "load generator"),
            "idle_cores": {"envoy": 0.01, "load generator": 0.5}}


def test_cost_summary_pairs_runs_of_the_same_round_and_leaves_the_load_generator_out() -> None:
    from loadtests.cost import markdown, summarise

    runs = [_cost_run(r, tree, target, agent)
            for r, (base, cur) in enumerate([(6.0, 3.0), (8.0, 5.0)])
            for tree, agent in (("baseline", base), ("current", cur)) for target in ("legacy", "puma")]
    result = summarise(runs)
    assert result["ratios"]["puma: current/baseline"] == [0.571, 0.667]
    assert result["ratios"]["legacy: current/baseline"] == [1.0, 1.0]
    assert result["ratios"]["current: puma/legacy"] == [2.0, 3.0]
    puma = result["medians"]["current/puma"]
    assert puma["server_ms_per_turn"] == 5.0 and puma["idle_server_cores"] == 0.01
    table = markdown(result | {"machine": {"cores": 2}, "git_revision": "abc"})
    assert "| current/puma | 5.00 | 50.0 | 0.010 |" in table and "load generator" not in table


def test_cpu_samples_label_a_forked_instance_by_its_process_title() -> None:
    from loadtests.samplers import _label

    assert _label(["puma.worker --service agent", "", ""]) == "agent"
    assert _label(["/venv/bin/python", "-m", "puma.worker", "--service", "db"]) == "db"
    assert _label(["/venv/bin/envoy", "-c", "x.yaml"]) == "envoy"
    assert _label(["python", "-m", "legacy_socket_server"]) == "legacy server"


# -- the fault step and the cores step: their measures, without deployments ------------------------

def _turns(rate_per_s: float, start: float, end: float, ok: bool = True) -> list[tuple[float, float, bool]]:
    n = int((end - start) * rate_per_s)
    return [(start + i / rate_per_s, 5.0, ok) for i in range(n)]


def _fault_profile():
    from loadtests.faults import FaultProfile

    return FaultProfile(users=4, step_s=20.0, kill_at_s=8.0, settle_s=2.0)


def test_fault_step_counts_what_the_kill_lost_and_when_throughput_came_back() -> None:
    from loadtests.faults import measure

    # 10 turns/s, nothing answered for 3 s after the kill at 8 s (failures then), 10/s again.
    turns = _turns(10, 0, 8) + _turns(4, 8, 11, ok=False) + _turns(10, 11, 20)
    conversations = [
        {"t_start": 1.0, "t": 5.0, "failures": []},  # done before the kill
        {"t_start": 6.0, "t": 8.5, "failures": [{"kind": "unanswered", "detail": "x"}]},  # lost
        {"t_start": 7.0, "t": 12.0, "failures": []},  # held across the kill and finished
        {"t_start": 9.0, "t": 9.2, "failures": [{"kind": "unanswered", "detail": "y"}]},  # begun while down
    ]
    raw = {"turns": turns, "conversations": conversations, "actions_at_s": {8.0: 8.0}, "end_s": 20.0}
    r = measure("legacy", "legacy", raw, _fault_profile())
    assert r["turns_per_s_before"] == 10.0
    assert (r["conversations_in_progress"], r["conversations_lost"], r["conversations_failed_after"]) == (2, 1, 1)
    assert r["turns_unanswered"] == 2 and r["turn_requests_failed"] == 12
    assert r["lost_by_kind"] == {"unanswered": 1}
    assert 2.1 <= r["recovery_s"] <= 3.0  # the first 1 s window at 80% begins 0.2 s before service resumes
    assert r["timeline"][0]["t_from_kill_s"] <= -7.5 and any(row["failed_per_s"] for row in r["timeline"])


def test_fault_step_recovery_is_zero_when_throughput_never_dropped_and_none_when_it_never_came_back() -> None:
    from loadtests.faults import recovery_s

    steady = _turns(10, 0, 20)
    assert recovery_s(steady, 8.0, 10.0, 20.0) == 0.0
    assert recovery_s(_turns(10, 0, 8), 8.0, 10.0, 20.0) is None
    assert measure_without_kill()["error"] == "the kill did not happen"


def measure_without_kill() -> dict[str, Any]:
    from loadtests.faults import measure

    return measure("db", "puma", {"turns": [], "conversations": [], "actions_at_s": {}, "end_s": 5.0}, _fault_profile())


def test_cores_step_fit_gives_the_slope_per_added_core_and_both_predictions() -> None:
    from loadtests.cores import amdahl_serial_fraction, fit

    perfect = fit([(1, 10.0), (2, 20.0)])
    assert perfect["per_added_core"] == 10.0 and perfect["amdahl_serial_fraction"] == 0.0
    assert perfect["predicted_linear"] == {"4": 40.0, "8": 80.0, "16": 160.0} == perfect["predicted_amdahl"]
    half = fit([(1, 10.0), (2, 15.0)])  # 1.5x on 2 cores: a third is serial
    assert half["per_added_core"] == 5.0 and half["efficiency"] == {"1": 1.0, "2": 0.75}
    serial = amdahl_serial_fraction([(1, 10.0), (2, 15.0)])
    assert serial is not None and abs(serial - 1 / 3) < 1e-9
    assert half["predicted_amdahl"]["16"] < half["predicted_linear"]["16"]  # the loss of efficiency compounds
    assert fit([(1, 10.0), (2, 9.0)])["amdahl_serial_fraction"] == 1.0  # slower on two: clipped, all serial
    assert fit([(2, 10.0)])["per_added_core"] is None


def test_cores_step_skips_counts_above_the_machines_cpus_with_a_message(tmp_path: Path) -> None:
    from loadtests.cores import CoresProfile, available_cpus, run

    too_many = len(available_cpus()) + 1
    result = run(CoresProfile(cpus=(too_many,)), "sqlite:///unused", tmp_path, Settings(), targets=("legacy",))
    assert result["rows"] == [] and result["skipped"][0]["cpus"] == too_many
    assert f"{too_many} CPUs skipped: this machine lets this process use {too_many - 1}" in result["skipped"][0]["reason"]
    assert list(tmp_path.iterdir()) == []  # nothing started


def test_compare_options_for_the_new_steps_name_the_fix() -> None:
    from loadtests.__main__ import _parser

    args = _parser().parse_args(["compare", "--out", "x", "--faults", "db,legacy", "--cpus", "16,1,2,4,8"])
    assert args.faults == ("db", "legacy") and args.cpus == (1, 2, 4, 8, 16)
    none = _parser().parse_args(["compare", "--out", "x", "--faults", "none", "--cpus", "none"])
    assert none.faults == () and none.cpus == ()
    for option, value in (("--faults", "envoy"), ("--faults", "db,db"), ("--cpus", "0"), ("--cpus", "two"),
                          ("--cpus", "1,1")):
        with pytest.raises(SystemExit):
            _parser().parse_args(["compare", "--out", "x", option, value])


def _target(steps: list[tuple[int, float, float]]) -> dict:
    """A target's figures from (users, conversations/s, p99 ms) per step, no failures."""
    from loadtests.report import step_figures

    rows = [{"users": u, "conversations_per_s": c, "turn_p99_ms": p} for u, c, p in steps]
    return {**step_figures(rows), "failures": {}}


def _goal_text(puma: list, legacy: list) -> str:
    from loadtests.report import _goal_lines, _goals

    targets = {"puma": _target(puma), "legacy": _target(legacy)}
    return "\n".join(_goal_lines({"targets": targets, "goals": _goals(targets)}))


@pytest.mark.parametrize(("puma", "legacy", "unsaturated"), [
    ([(1, 0.5, 90), (4, 1.9, 120)], [(1, 0.5, 80), (4, 1.8, 110)], "neither deployment"),  # both still rising
    ([(1, 0.5, 90), (4, 1.0, 120), (8, 0.9, 140)], [(1, 0.5, 80), (4, 1.8, 110)], "legacy not"),
    ([(2, 1.0, 50), (8, 3.0, 60)], [(2, 1.0, 50), (8, 2.0, 90), (16, 1.9, 200)], "puma not"),
])
def test_load_summary_judges_no_throughput_goal_from_a_run_that_did_not_saturate(puma, legacy, unsaturated) -> None:
    text = _goal_text(puma, legacy)
    line = next(x for x in text.splitlines() if "conversations/s at saturation" in x)
    assert f"not measured: {unsaturated} saturated" in line and "raise --steps" in line, line
    assert " met" not in line and "NOT met" not in line, line


def test_load_summary_judges_the_goals_once_both_saturated_and_p99_crossed() -> None:
    text = _goal_text([(1, 1.0, 60), (8, 4.0, 200), (16, 3.9, 240), (32, 3.8, 400)],
                      [(1, 1.0, 60), (8, 2.0, 300), (16, 1.9, 900)])
    assert "at saturation (goal >= 1.5x): 2.00x, met" in text, text
    assert "p99 < 250 ms at a higher concurrency than legacy: met" in text, text
    # p99 under the goal at every step of both: the comparison was not measured either.
    calm = _goal_text([(1, 1.0, 60), (4, 2.0, 80), (8, 1.9, 90)], [(1, 1.0, 50), (4, 1.5, 70), (8, 1.4, 80)])
    assert "higher concurrency than legacy: not measured: p99 stayed under 250 ms" in calm, calm
    assert "2.00x" not in calm and "1.33x, NOT met" in calm, calm


@pytest.mark.parametrize(("step_s", "caveat"), [(10.0, True), (6.0, True), (40.0, False), (None, False)])
def test_load_summary_says_a_short_run_s_p99_is_not_measured_instead_of_a_verdict(step_s, caveat) -> None:
    """A short run's p99 is its slowest turn or two, often the first after start-up: the verdict says so."""
    from loadtests.report import _goal_lines, _goals

    targets = {"puma": _target([(1, 0.5, 727), (4, 1.9, 300)]), "legacy": _target([(1, 0.5, 40), (4, 1.8, 60)])}
    data = {"targets": targets, "goals": _goals(targets)} | ({"params": {"step_s": step_s}} if step_s else {})
    line = next(x for x in _goal_lines(data) if "higher concurrency than legacy" in x)
    # one verdict, never "NOT met" beside "no measurement" (a newcomer read both in one line)
    assert ("NOT met" in line) is not caveat, line
    assert ("not measured: a short run" in line and "run steps of 30 s or more" in line) is caveat, line


def test_deployment_still_starting_never_points_to_a_line_above_that_it_did_not_show(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The deployment's log shortens a long line it printed before ("... (in full above)"); the load
    test shows only the log's last line, so it names the log where the line is in full."""
    import logging

    from loadtests import deployments

    monkeypatch.setattr(deployments, "SAY_EVERY_S", 0.0)
    monkeypatch.setattr(deployments, "START_TIMEOUT_S", 0.3)
    log_path = tmp_path / "puma.log"
    log_path.write_text("starting (31.0 s, 7/8 ready): legacy waiting for its readiness check: the legacy socket "
                        "server i… (in full above), 12 s\n")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with caplog.at_level(logging.INFO, logger="loadtests.deployments"), pytest.raises(deployments.DeploymentError):
            deployments.wait_ready("puma", proc, log_path)
    finally:
        proc.kill()
        proc.wait()
    lines = [r.getMessage() for r in caplog.records if "still starting" in r.getMessage()]
    assert lines and all("(in full above)" not in x and f"(in full in {log_path})" in x for x in lines), lines


def test_deployment_still_starting_is_said_with_its_logs_last_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """The load test is never silent while a deployment starts (15-60 s): every SAY_EVERY_S it says
    how long, and what the deployment's log says last; once it serves, no more."""
    import logging
    import threading

    from loadtests import deployments
    from tests.helpers import wait_for

    monkeypatch.setattr(deployments, "SAY_EVERY_S", 0.1)
    log_path = tmp_path / "legacy.log"
    log_path.write_text("loading the catalogue and the recommender\nwriting films and ratings: 40%\n")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    said = threading.Event()

    def serve_once_said() -> None:
        wait_for(lambda: any("still starting" in r.getMessage() for r in caplog.records), timeout_s=10)
        said.set()
        with log_path.open("a") as out:
            out.write("legacy_socket_server INFO listening on 127.0.0.1:13999\n")

    try:
        with caplog.at_level(logging.INFO, logger="loadtests.deployments"):
            threading.Thread(target=serve_once_said, daemon=True).start()
            assert deployments.wait_ready("legacy", proc, log_path) == "tcp://127.0.0.1:13999"
    finally:
        proc.kill()
        proc.wait()
    lines = [r.getMessage() for r in caplog.records if "still starting" in r.getMessage()]
    assert said.is_set() and lines, caplog.text
    assert all(line.startswith("legacy still starting (") and line.endswith("writing films and ratings: 40%")
               for line in lines), lines
