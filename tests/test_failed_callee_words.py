"""What a client is told when a service it reached failed for good (past its restart budget): a
public client hears that the service is down and to retry later (an operator's `puma scale` or a
restart makes the retry work), never "retrying will not help", restart counts, exit codes or signals,
and never parentheses inside parentheses; the operator keeps every word (internal listener, log)."""

from __future__ import annotations

import re

import pytest

from puma.callerrors import answer
from puma.config import parse_config
from puma.envoyroutes import route_config
from puma.errors import PumaCallError, PumaServiceFailed, flat

# How a service ends up failed, as puma.instances words it (the `why` of Envoy's failed route).
WHYS = [
    "its zygote exited 4 times in 60 s (last code -9: its zygote exited during start-up); not restarted again",
    "its zygote could not be started again for 60 s (OSError: [Errno 28] No space left on device)",
    "its instances kept exiting (code 1 (SystemExit)), 5 times in 30 s; not restarted again",
]
OPERATOR_WORDS = re.compile(r"zygote|code -?\d|exited \d+ times|SIG[A-Z]+|puma scale|Errno|not restarted again")


def _depth(text: str) -> int:
    deepest = depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    return deepest


def _envoy_says(why: str, *, public: bool) -> str:
    config = parse_config({"puma_services": {"db": {"prefix": "/db"}, "agent": {"prefix": "/agent"}}})
    routes = route_config(config, internal=not public, failed={"db": why})["virtual_hosts"][0]["routes"]
    (text,) = {r["direct_response"]["body"]["inline_string"] for r in routes
               if r.get("direct_response", {}).get("status") == 503 and "db" in r["direct_response"]["body"]["inline_string"]}
    return text


@pytest.mark.parametrize("why", WHYS)
def test_failed_callee_a_public_client_calling_it_directly_is_told_it_is_down_and_to_retry_later(why: str) -> None:
    said = _envoy_says(why, public=True)
    assert "down" in said and "retry later" in said, said
    assert "will not help" not in said and not OPERATOR_WORDS.search(said), said


@pytest.mark.parametrize("why", WHYS)
def test_failed_callee_the_internal_listener_keeps_how_it_failed_with_one_level_of_parentheses(why: str) -> None:
    said = _envoy_says(why, public=False)
    assert "puma scale db N" in said and "will not help" not in said, said
    assert _depth(said) <= 1, said
    first_fact = why.split(" (", 1)[0]
    assert first_fact in said, said


@pytest.mark.parametrize("why", WHYS)
@pytest.mark.parametrize("hidden", [False, True])
def test_failed_callee_a_service_relaying_it_to_a_public_client_says_down_and_retry_later(
        why: str, hidden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("puma.callerrors.internal_services", lambda: {"db"} if hidden else set())
    detail = _envoy_says(why, public=False)  # services call each other through the internal listener
    status, said, extra = answer("agent", PumaServiceFailed("db", 503, detail), public=True)
    assert status >= 500 and "retry later" in said and "down" in said, said
    assert "will not help" not in said and not OPERATOR_WORDS.search(said), said
    assert _depth(said) <= 1 and "((" not in said, said
    assert ("db" in said) is not hidden and "retry_after_s" not in extra


@pytest.mark.parametrize("why", WHYS)
def test_failed_callee_a_service_relaying_it_on_the_internal_listener_keeps_the_operators_words(why: str) -> None:
    detail = _envoy_says(why, public=False)
    _status, said, _extra = answer("agent", PumaServiceFailed("db", 503, detail), public=False)
    assert "puma scale db N" in said and why.split(" (", 1)[0] in said, said
    assert "will not help" not in said and _depth(said) <= 1, said


@pytest.mark.parametrize(("callee_said", "kept"), [
    ("boom (KeyError ('title'))", "KeyError"),
    ("the ledger failed (its store (sqlite) said: locked)", "locked"),
    ("service 'db': it crashed (code -9 (SIGKILL)); see `puma logs db`", "crashed"),
])
def test_failed_callee_a_callees_500_is_relayed_once_without_nesting_or_operator_words(callee_said: str, kept: str) -> None:
    status, said, _extra = answer("agent", PumaCallError("db", 500, callee_said), public=True)
    assert status == 500 and kept in said and _depth(said) <= 1, said
    assert "puma logs" not in said and "SIGKILL" not in said and "code -9" not in said, said


@pytest.mark.parametrize(("text", "expected"), [
    ("a (b (c); d)", "a (b, c; d)"), ("x (y (z (w)))", "x (y, z, w)"), ("plain", "plain"), ("(a) (b)", "(a) (b)")])
def test_failed_callee_flat_leaves_one_level_of_parentheses(text: str, expected: str) -> None:
    assert flat(text) == expected
