"""A caller's 503 for a callee with no ready instance is composed once: the callee's words after a
colon (no parentheses nested in parentheses), "retry" said once, by the caller; a public client is
not told to run operator tools (`puma status`, logs, pids), which an internal caller still gets."""

from __future__ import annotations

import re

import pytest

from puma.callerrors import answer
from puma.config import parse_config
from puma.errors import PumaCallError
from puma.localreplies import local_reply_config

CALLEE_WORDS = [
    # Envoy's own reply on the internal listener, as the caller's client gets it
    "service 'db': no instance of this service is ready: the deployment is starting, the service restarting, or "
    "its instances keep exiting (`puma status` and the service's log say which); retry after the time in Retry-After",
    # the wording before this change, nested and with its own retry
    "no instance of this service is ready (the deployment is starting, the service restarting, or its instances "
    "keep exiting: `puma status` and the service's log say which); retry after the time in Retry-After",
    # a bridge's words for an operator
    "the legacy server on 127.0.0.1:13173 does not answer within 0.4 s: hung or overloaded; if it stays so, restart "
    "it: kill 25682, then start it again; retry after the time in Retry-After",
    "service 'db': this service's instance could not be reached; it was not sent to any instance: safe to retry "
    "after the time in Retry-After",
    "the archive is stopped (SIGSTOP, pid 4242): resume it with kill -CONT 4242; try again shortly",
]
OPERATOR = re.compile(r"puma status|\blogs?\b|\bpid\b|\bkill\b|SIGSTOP", re.IGNORECASE)


def _depth(text: str) -> int:
    deepest = level = 0
    for char in text:
        level += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, level)
    return deepest


@pytest.mark.parametrize("words", CALLEE_WORDS)
@pytest.mark.parametrize("status", [503, 502, 0])
def test_call_unavailable_callee_is_one_sentence_to_a_public_client(words, status):
    code, message, extra = answer("agent", PumaCallError("db", status, words), public=True)
    assert code == 503 and extra.get("retry_after_s") == 1, message
    assert len(re.findall(r"\bretry\b|try again", message)) == 1, message  # Retry-After is the header's name
    assert message.endswith("; retry after the time in Retry-After"), message
    assert _depth(message) <= 1 and not OPERATOR.search(message), message


@pytest.mark.parametrize("words", CALLEE_WORDS[:2])
def test_call_unavailable_callee_keeps_operator_words_for_an_internal_caller(words):
    _code, message, _extra = answer("agent", PumaCallError("db", 503, words), public=False)
    assert "`puma status`" in message and "service 'db', which 'agent' calls," in message, message
    assert len(re.findall(r"\bretry\b", message)) == 1 and _depth(message) <= 1, message


def _no_instance_text(internal: bool) -> str:
    mappers = local_reply_config(parse_config({"puma_services": {"a": {"prefix": "/a"}}}), internal=internal)["mappers"]
    texts = [m["body"]["inline_string"] for m in mappers if "UH" in str(m.get("filter")) and "body" in m]
    return next(t for t in texts if t.startswith("no instance"))


def test_envoy_no_instance_reply_tells_operators_tools_only_inside():
    public, inside = _no_instance_text(internal=False), _no_instance_text(internal=True)
    assert not OPERATOR.search(public) and "retry after the time in Retry-After" in public, public
    assert "`puma status`" in inside and _depth(inside) <= 1, inside
