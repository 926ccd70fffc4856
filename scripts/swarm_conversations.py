"""The chatbot conversations `swarm_multinode.py` holds while it breaks a node: `Talker` threads,
each talking `SCRIPT` through the front Envoy again and again, re-sending a turn after a 5xx or a
dropped connection as a careful client does; and what they saw, transcripts checked.

>>> SCRIPT[0]
'crime'
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

SCRIPT = ["crime", "no preference", "no preference", "no preference", "no", "another one please", "yes"]


# --- the conversations --------------------------------------------------------------------------


class Talker(threading.Thread):
    """Conversations of `SCRIPT`, one after another until `stop` (the current one is finished);
    a turn is re-sent with the same turn_no after a 5xx or a dropped connection, as a careful
    client does (the server applies it once). Records each turn's (start, seconds, statuses)."""

    def __init__(self, url: str, stop: threading.Event, pause_s: float) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.pause_s = url, stop, pause_s
        self.sids: list[str] = []
        self.turns: list[tuple[float, float, list[int]]] = []
        self.failure = ""

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            deadline = time.monotonic() + 900  # bounded, whatever happens
            try:
                while not self.stop.is_set() and time.monotonic() < deadline:
                    self.converse(http)
            except Exception as exc:  # noqa: BLE001 - reported, and fails the run
                self.failure = f"{type(exc).__name__}: {exc}"

    def converse(self, http: httpx.Client) -> None:
        """One whole conversation of `SCRIPT`."""
        self.sids.append(self._turn(http, "-1", "", 1)["userid"])
        for turn_no, text in enumerate(SCRIPT, start=2):
            time.sleep(self.pause_s)  # a user reading the reply
            self._turn(http, self.sids[-1], text, turn_no)

    def _turn(self, http: httpx.Client, sid: str, text: str, turn_no: int) -> dict[str, Any]:
        payload = {"UUID": sid, "chatText": text, "mode": "false", "turn_no": turn_no}
        started, statuses = time.monotonic(), []
        for attempt in range(15):
            try:
                resp: httpx.Response | None = http.post("/agent", json=payload)
            except httpx.TransportError:
                resp = None
            statuses.append(resp.status_code if resp is not None else 0)
            if resp is not None and resp.status_code < 500:
                self.turns.append((started, time.monotonic() - started, statuses))
                if resp.status_code != 200:
                    raise RuntimeError(f"turn {turn_no} of {sid}: {resp.status_code} {resp.text[:200]}")
                return dict(resp.json())
            time.sleep(min(0.1 * 2 ** attempt, 3.0))
        raise RuntimeError(f"turn {turn_no} of {sid} unanswered after {len(statuses)} tries: {statuses}")


def said_by_user(http: httpx.Client, sid: str) -> list[str]:
    """The user's lines of conversation `sid` as stored (the page's transcript read path)."""
    for _ in range(30):
        resp = http.post("/listener", json={"UUID": sid, "mode": "transcript"})
        if resp.status_code != 503:
            break
        time.sleep(float(resp.headers.get("retry-after", "1")))
    resp.raise_for_status()
    return [line for entry in resp.json()["history"] for line in entry["u"]]


def conversation_figures(url: str, threads: list[Talker], t0: float) -> dict[str, Any]:
    """What `threads` saw (turns answered, retried, after the fault at `t0`; failures) and every
    finished conversation whose stored transcript (read from the deployment at `url`) is not `SCRIPT`."""
    turns = [turn for t in threads for turn in t.turns]
    during = [turn for turn in turns if turn[0] >= t0]
    retried = [statuses for _, _, statuses in turns if len(statuses) > 1]
    with httpx.Client(base_url=url, timeout=60) as http:
        wrong = {sid: said for t in threads for sid in t.sids[: len(t.sids) - bool(t.failure)]
                 if (said := said_by_user(http, sid)) != SCRIPT}
    return {"conversations": sum(len(t.sids) for t in threads), "turns_answered": len(turns),
            "turns_after_fault": len(during), "turns_retried": len(retried),
            "retry_statuses": sorted({s for statuses in retried for s in statuses[:-1]}),
            "slowest_turn_s": round(max((d for _, d, _ in turns), default=0), 1),
            "failures": [t.failure for t in threads if t.failure], "transcripts_wrong": wrong}
