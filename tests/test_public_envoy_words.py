"""Envoy's own replies on the PUBLIC listener follow the public rule (`puma.visibility.for_public`),
as an instance's replies do: no pid, no signal or kill command, no config key, no internal address,
in the JSON a script reads nor in the page a browser gets (a 504 says what happened and what to do,
not `timeout_s`; "Status not answering" says the supervisor is silent, not `kill -CONT`). The
internal listener (the operator's, on the loopback or the deployment's network) keeps every word."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from puma import visibility
from puma.config import PumaConfig
from puma.localreplies import local_reply_config

OPERATORS_WORDS = re.compile(r"\bkill\b|\bpids?\b|\bSIG[A-Z]+\b|\bCtrl-Z\b|`puma |\bpuma (?:status|logs?|scale)\b|"
                             + visibility.CONFIG_KEYS.pattern + "|" + visibility.LOCATING.pattern)

CONFIGS = {
    "one service": {"puma_services": {"agent": {"prefix": "/agent"}}},
    "internal beside public, rate-limited": {
        "puma_services": {"shop": {"prefix": "/shop", "timeout_s": 2, "max_body_bytes": 2000},
                          "ledger": {"prefix": "/ledger", "visibility": "internal"}},
        "rate_limit": {"requests_per_s": 5}},
    "root prefix, long timeout": {"puma_services": {"web": {"prefix": "/", "timeout_s": 600}}},
}


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _said(mapper: dict[str, Any]) -> list[str]:
    """What a client reads of a reply: its body and the JSON or page it is formatted into."""
    return list(_texts({k: mapper[k] for k in ("body", "body_format_override") if k in mapper}))


@pytest.fixture(params=list(CONFIGS), ids=list(CONFIGS))
def config(request: pytest.FixtureRequest) -> PumaConfig:
    return PumaConfig.model_validate(CONFIGS[request.param])


def test_public_envoy_words_no_reply_of_the_public_listener_says_operators_words(config: PumaConfig) -> None:
    mappers = local_reply_config(config, internal=False)["mappers"]
    found = [(i, hit.group(), text[max(0, hit.start() - 60):hit.end() + 20])
             for i, mapper in enumerate(mappers) for text in _said(mapper) for hit in OPERATORS_WORDS.finditer(text)]
    assert not found, found


def test_public_envoy_words_a_public_504_says_what_happened_and_what_to_do(config: PumaConfig) -> None:
    mappers = local_reply_config(config, internal=False)["mappers"]
    timeouts = [m for m in mappers if m["filter"] == {"response_flag_filter": {"flags": ["UT"]}}]
    said = " ".join(_said(timeouts[0]))
    assert "no answer in time" in said and "retry later if it is safe to repeat" in said, said
    assert "timeout_s" not in said and "%METADATA" not in said, said


def test_public_envoy_words_a_silent_supervisor_is_said_without_how_to_resume_it(config: PumaConfig) -> None:
    public = [t for m in local_reply_config(config, internal=False)["mappers"] for t in _said(m)
              if "Status not answering" in t]
    inside = [t for m in local_reply_config(config, internal=True)["mappers"] for t in _said(m)
              if "Status not answering" in t]
    assert len(public) == len(inside) >= 3, (public, inside)  # the dashboard's two pages and any /_puma/ one
    assert all("did not answer within" in page and "busy or exiting" in page for page in public), public
    assert not [page for page in public if "kill" in page or "SIGSTOP" in page or "puma status" in page], public
    assert any("kill -CONT" in page for page in inside), inside  # the operator keeps every word
    assert any("SIGSTOP" in page and "puma status" in page for page in inside), inside


def test_public_envoy_words_the_internal_listener_keeps_the_config_key_of_a_504(config: PumaConfig) -> None:
    mappers = local_reply_config(config, internal=True)["mappers"]
    said = " ".join(t for m in mappers if m["filter"] == {"response_flag_filter": {"flags": ["UT"]}} for t in _said(m))
    assert "timeout_s (%METADATA(ROUTE:puma:timeout_s)% s)" in said, said
