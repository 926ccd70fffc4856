"""Runs the realistic conversations and judges them against the catalogue, read with SQL.

The judge never asks the chatbot's code what a film is: genres, cast, directors, rating, year,
runtime and critics' figures come from the catalogue tables (``movies``, ``movie_genres``,
``credits``, ``people``) through plain SQL, so a bug in the chatbot's search cannot hide itself.
Used by ``tests/test_realistic_conversations.py`` and by ``chatbot eval`` (dialog section).
Example::

    suite = load_cases()
    judge = Judge("sqlite:///var/chatbot.sqlite3")
    result = run_case(Chatbot(), suite[0])
    judge(suite[0], result.turns)       # [] when the conversation passed, else the failures
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text

CASES_PATH = Path(__file__).with_name("conversations.yaml")
KINDS = ("happy", "answer_as_slot", "negation", "release_date", "multi_value", "correction",
         "wrong_person", "watch_with", "film_questions", "description", "volunteered",
         "punctuation", "runtime")
NOT_UNDERSTOOD = re.compile(r"I do not understand", re.I)
DOUBLED_PUNCTUATION = re.compile(r"[.!?]\.(?!\.)|\.\.(?!\.)")
RELAXED = re.compile(r"leave out|left out|set aside", re.I)
_SLOT_ROLE = {"actor": "actor", "director": "director"}


@dataclass(frozen=True)
class CaseResult:
    """One conversation: the turns (the intro first), each turn's seconds, and the failures."""

    case: dict[str, Any]
    turns: list[Any]
    seconds: list[float]
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(path: Path = CASES_PATH) -> list[dict[str, Any]]:
    """The conversations of the suite, each with an ``id`` (kind and number)."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for case in cases:
        if case["kind"] not in KINDS:
            raise ValueError(f"{path}: kind {case['kind']!r} is not one of {', '.join(KINDS)}")
        counts[case["kind"]] = counts.get(case["kind"], 0) + 1
        case["id"] = f"{case['kind']}-{counts[case['kind']]}"
    return cases


def run_case(bot: Any, case: dict[str, Any], judge: Judge | None = None) -> CaseResult:
    """Talk through ``case`` with ``bot`` (a ``Chatbot``), timing each ``turn`` call."""
    seconds: list[float] = []

    def timed(session_id: str | None, line: str) -> Any:
        started = time.perf_counter()
        turn = bot.turn(session_id, line)
        seconds.append(time.perf_counter() - started)
        return turn

    turns = [timed(None, "")]
    for line in case["say"]:
        turns.append(timed(turns[0].session_id, line))
    failures = judge(case, turns) if judge is not None else []
    return CaseResult(case, turns, seconds, failures)


def run_suite(bot: Any, judge: Judge, cases: Iterable[dict[str, Any]] | None = None) -> list[CaseResult]:
    return [run_case(bot, case, judge) for case in (cases if cases is not None else load_cases())]


def pass_rates(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """``{kind: {"passed", "total", "rate"}}`` in ``KINDS`` order, plus ``"all"``."""
    table: dict[str, dict[str, Any]] = {}
    for kind in (*KINDS, "all"):
        mine = [r for r in results if kind == "all" or r.case["kind"] == kind]
        if mine:
            passed = sum(r.passed for r in mine)
            table[kind] = {"passed": passed, "total": len(mine), "rate": round(passed / len(mine), 3)}
    return table


def turn_latency_ms(results: Sequence[CaseResult]) -> dict[str, float]:
    """p50 and p90 of every ``Chatbot.turn`` call of the run, in milliseconds."""
    values = sorted(s * 1000 for r in results for s in r.seconds)
    if not values:
        return {"p50": 0.0, "p90": 0.0, "turns": 0}
    return {"p50": round(statistics.median(values), 3),
            "p90": round(values[int(0.9 * (len(values) - 1))], 3), "turns": len(values)}


def format_pass_table(results: Sequence[CaseResult]) -> str:
    lines = [f"{'kind':<16}{'passed':>8}{'total':>7}{'rate':>7}"]
    for kind, row in pass_rates(results).items():
        lines.append(f"{kind:<16}{row['passed']:>8}{row['total']:>7}{row['rate']:>7.0%}")
    return "\n".join(lines)


class Judge:
    """Checks a conversation's turns against its case, reading films from the database."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)

    def close(self) -> None:
        self._engine.dispose()

    def __call__(self, case: dict[str, Any], turns: Sequence[Any]) -> list[str]:
        messages = [m for t in turns for m in t.messages]
        failures = self._wording(case, messages)
        film = next((t.recommendation for t in reversed(turns) if t.recommendation), None)
        if case.get("want"):
            failures += self._wishes(case["want"], film, messages)
        if case.get("ends") and turns[-1].signal != "end":
            failures.append("the conversation did not end")
        if case.get("asks"):
            failures += self._answer(case["asks"], turns)
        if case.get("leads_with_genre") or case.get("names_first"):
            failures += self._description(case, turns, film)
        return failures

    # -- wording -------------------------------------------------------------------------

    def _wording(self, case: dict[str, Any], messages: list[str]) -> list[str]:
        failures = []
        for pattern in case.get("says") or ():
            if not any(re.search(pattern, m, re.I) for m in messages):
                failures.append(f"no reply matches {pattern!r}")
        for pattern in case.get("never_says") or ():
            hits = [m for m in messages if re.search(pattern, m, re.I)]
            if hits:
                failures.append(f"a reply matches {pattern!r}: {hits[0]!r}")
        if not case.get("allow_not_understood"):
            failures += [f"not understood: {m!r}" for m in messages if NOT_UNDERSTOOD.search(m)][:1]
        failures += [f"doubled punctuation: {m!r}" for m in messages if DOUBLED_PUNCTUATION.search(m)]
        return failures

    # -- wishes against the catalogue ------------------------------------------------------

    def _wishes(self, want: dict[str, Any], film: dict[str, Any] | None,
                messages: list[str]) -> list[str]:
        if film is None:
            if self.satisfiable(want):
                return [f"no film proposed, though the catalogue has films meeting {want}"]
            return []
        broken = [key for key in want if not self.film_meets(int(film["id"]), key, want[key])]
        if not broken:
            return []
        title = f"{film.get('title')} ({film.get('year')})"
        if self.satisfiable(want):
            return [f"{title} breaks {broken}, though the catalogue has films meeting {want}"]
        notices = [m for m in messages if RELAXED.search(m)]
        unnamed = [k for k in broken if not any(_names(m, want[k]) for m in notices)]
        return [f"{title} breaks {unnamed} and no reply says it was left out"] if unnamed else []

    def satisfiable(self, want: dict[str, Any]) -> bool:
        clauses, params = _where(want)
        sql = f"SELECT 1 FROM movies m WHERE {' AND '.join(clauses) or '1=1'} LIMIT 1"
        with self._engine.connect() as conn:
            return conn.execute(text(sql), params).first() is not None

    def film_meets(self, movie_id: int, key: str, value: Any) -> bool:
        clauses, params = _where({key: value})
        sql = f"SELECT 1 FROM movies m WHERE m.id = :movie_id AND {' AND '.join(clauses)}"
        with self._engine.connect() as conn:
            return conn.execute(text(sql), params | {"movie_id": movie_id}).first() is not None

    def facts(self, movie_id: int) -> dict[str, Any]:
        """The film as the catalogue tables have it."""
        with self._engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM movies WHERE id = :id"), {"id": movie_id}).mappings().one()
            genres = conn.execute(text("SELECT genre FROM movie_genres WHERE movie_id = :id"),
                                  {"id": movie_id}).scalars().all()
            people = conn.execute(text(
                "SELECT c.role, p.name FROM credits c JOIN people p ON p.id = c.person_id "
                "WHERE c.movie_id = :id ORDER BY c.position"), {"id": movie_id}).all()
        return dict(row) | {
            "genre_set": set(genres),
            "actor_names": [n for r, n in people if r == "actor"],
            "director_names": [n for r, n in people if r == "director"],
        }

    # -- answers to questions about the film --------------------------------------------

    def _answer(self, asks: dict[str, Any], turns: Sequence[Any]) -> list[str]:
        index = int(asks["line"]) + 1  # turns[0] is the intro
        if index >= len(turns):
            return [f"no turn for line {asks['line']}"]
        film = turns[index - 1].recommendation
        if not film:
            return ["no film on the table when the question was asked"]
        reply = " ".join(turns[index].messages)
        failures = _topic_check(asks["topic"], self.facts(int(film["id"])), reply)
        if turns[index].messages[-1] != turns[index - 1].messages[-1]:
            failures.append(f"did not return to the open question {turns[index - 1].messages[-1]!r}")
        return failures

    # -- the description ----------------------------------------------------------------

    def _description(self, case: dict[str, Any], turns: Sequence[Any],
                     film: dict[str, Any] | None) -> list[str]:
        if not film:
            return ["no film proposed to describe"]
        proposal = next(t for t in reversed(turns) if t.recommendation and
                        t.recommendation["id"] == film["id"])
        start = next((i for i, m in enumerate(proposal.messages) if m.startswith("How about")), 0)
        text_ = " ".join(proposal.messages[start:])
        facts = self.facts(int(film["id"]))
        failures = []
        lead = case.get("leads_with_genre")
        if lead:
            listed = re.search(r"It is an? ([\w, -]+?) (?:movie|film)", text_)
            first = listed.group(1).split(",")[0].split(" and ")[0].strip().lower() if listed else None
            if first not in [g.lower() for g in lead if g in facts["genre_set"]]:
                failures.append(f"the genres are led by {first!r}, not one of {lead}")
        person = case.get("names_first")
        if person and person in facts["actor_names"]:
            named = [(text_.find(n), n) for n in facts["actor_names"] if n in text_]
            if not named or min(named)[1] != person:
                failures.append(f"{person} is not the first actor named in {text_!r}")
        return failures


def _topic_check(topic: str, facts: dict[str, Any], reply: str) -> list[str]:
    checks: dict[str, Callable[[], bool]] = {
        "cast": lambda: any(n in reply for n in facts["actor_names"][:10]),
        "director": lambda: bool(facts["director_names"]) and all(
            n in reply for n in facts["director_names"]),
        "runtime": lambda: facts["runtime_min"] is not None and str(facts["runtime_min"]) in reply,
        "year": lambda: str(facts["year"]) in reply,
        "mpaa": lambda: (facts["mpaa"] or "not rated") in reply or (
            facts["mpaa"] is None and re.search(r"no (MPAA )?rating|not rated|unrated", reply, re.I)),
        "genre": lambda: any(g in reply.lower() for g in facts["genre_set"]),
        "quality": lambda: _quality_named(facts, reply),
    }
    if topic not in checks:
        return [f"unknown topic {topic!r}"]
    return [] if checks[topic]() else [f"the {topic} of the film is not in {reply!r}"]


def _quality_named(facts: dict[str, Any], reply: str) -> bool:
    meter = facts.get("critics_meter")
    if meter is not None:
        return f"{meter}%" in reply
    return bool(re.search(r"no critic|don't have|do not have", reply, re.I))


def _names(message: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(v is not None and str(v).lower() in message.lower() for v in values)


def _combined(key: str, found: list[str]) -> list[str]:
    """``no_*``: none of them; ``*_any``: one of them; otherwise: all of them."""
    if key.startswith("no_"):
        return [f"NOT {c}" for c in found]
    if key.endswith("_any"):
        return ["(" + " OR ".join(found) + ")"]
    return found


def _where(want: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on ``movies m`` for each wish; parameters named by position."""
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def param(value: Any) -> str:
        name = f"p{len(params)}"
        params[name] = value
        return f":{name}"

    def genre(g: str) -> str:
        return f"EXISTS (SELECT 1 FROM movie_genres g WHERE g.movie_id = m.id AND g.genre = {param(g)})"

    def credited(role: str, name: str) -> str:
        return ("EXISTS (SELECT 1 FROM credits c JOIN people p ON p.id = c.person_id "
                f"WHERE c.movie_id = m.id AND c.role = {param(role)} AND p.name = {param(name)})")

    for key, value in want.items():
        values = value if isinstance(value, list) else [value]
        if key == "genre":
            clauses += [genre(g) for g in values]
        elif key == "genre_any":
            clauses.append("(" + " OR ".join(genre(g) for g in values) + ")")
        elif key == "no_genre":
            clauses += [f"NOT {genre(g)}" for g in values]
        elif key in ("actor", "actor_any", "no_actor", "director_any", "no_director"):
            found = [credited("director" if "director" in key else "actor", n) for n in values]
            clauses += _combined(key, found)
        elif key == "mpaa_any":
            clauses.append("m.mpaa IN (" + ", ".join(param(r) for r in values) + ")")
        elif key == "no_mpaa":
            clauses.append("(m.mpaa IS NULL OR m.mpaa NOT IN (" + ", ".join(param(r) for r in values) + "))")
        elif key in ("year", "runtime"):
            column = "m.year" if key == "year" else "m.runtime_min"
            first, last = values
            if first is not None:
                clauses.append(f"{column} >= {param(int(first))}")
            if last is not None:
                clauses.append(f"{column} <= {param(int(last))}")
        else:
            raise ValueError(f"want: unknown key {key!r}")
    return clauses, params
