"""`puma bench faults`: requests lost when instances go away under a bounded load.

Each scenario starts a fresh deployment of one small service, drives it with closed-loop clients
for a few seconds (bounded in time), and in the middle scales it down or SIGKILLs instances. A
request is lost when it gets a 5xx or no answer; the longest gap is the longest time in which no
client got a successful answer (the outage a user notices, however fast failures come). Scenarios:

* `scale_down` — 3 -> 1 instances while 6 clients send 20 ms requests;
* `drain_long` — 2 -> 1 while two 8 s requests run (the service's `timeout_s` is 20 s, the
  deployment's drain timeout 5 s);
* `kill_1`, `kill_1_idempotent` — SIGKILL of a one-instance service's instance, 3 times;
* `kill_3`, `kill_3_idempotent` — the same on a three-instance service;
* `scale_up_down` — `scale(8)` then at once `scale(1)`: processes left beyond the one asked for.

Writes `faults.json` and `faults.png` (lost requests per scenario; with `--baseline` another
run's JSON, e.g. of an older revision, side by side).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import puma

from .common import run_info, write_json

SHORT_S = 0.02
LONG_S = 8.0


def work(request: puma.Request) -> dict[str, Any]:
    """Sleep `s` seconds (a request that takes that long), then answer with this instance's pid."""
    time.sleep(min(float(request.data.get("s", SHORT_S)), 30.0))
    return {"pid": os.getpid()}


@dataclass
class Scenario:
    name: str
    service: dict[str, Any]
    clients: int
    duration_s: float
    action: Callable[[puma.Deployment], None]
    long_clients: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    answered_at: list[float] = field(default_factory=list)


def _client(url: str, seconds: float, until: float, scenario: Scenario, once: bool) -> None:
    outcomes = scenario.outcomes
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"s": seconds}).encode()
    conn = http.client.HTTPConnection(host, int(port), timeout=40)
    while time.monotonic() < until:
        try:
            conn.request("POST", "/work", body=body, headers={"content-type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            outcomes["ok" if resp.status < 500 else f"http_{resp.status}"] += 1
            if resp.status < 500 and not once:
                scenario.answered_at.append(time.monotonic())
            if resp.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            outcomes[f"error_{type(exc).__name__}"] += 1
            conn.close()
        if once:
            break
    conn.close()


def _kill_instances(times: int, every_s: float) -> Callable[[puma.Deployment], None]:
    def act(mesh: puma.Deployment) -> None:
        for _ in range(times):
            time.sleep(every_s)
            ready = mesh.instances("work")
            if ready and ready[0].pid is not None:
                os.kill(ready[0].pid, signal.SIGKILL)

    return act


def _scale_to(count: int, after_s: float) -> Callable[[puma.Deployment], None]:
    def act(mesh: puma.Deployment) -> None:
        time.sleep(after_s)
        mesh.scale("work", count)

    return act


def scenarios() -> list[Scenario]:
    return [
        Scenario("scale_down", {"instances": 3, "timeout_s": 20}, 6, 8.0, _scale_to(1, 2.0)),
        Scenario("drain_long", {"instances": 2, "timeout_s": 20}, 2, 12.0, _scale_to(1, 2.0), long_clients=2),
        Scenario("kill_1", {"instances": 1}, 4, 8.0, _kill_instances(3, 2.0)),
        Scenario("kill_1_idempotent", {"instances": 1, "idempotent": True}, 4, 8.0, _kill_instances(3, 2.0)),
        Scenario("kill_3", {"instances": 3}, 4, 8.0, _kill_instances(3, 2.0)),
        Scenario("kill_3_idempotent", {"instances": 3, "idempotent": True}, 4, 8.0, _kill_instances(3, 2.0)),
    ]


def _start(service: dict[str, Any]) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": {"work": {"prefix": "/work", **service}}})
    app.add_services({"work": "puma.bench.faults:work"})
    return app.start(listener={"port": 0})


def run_scenario(scenario: Scenario) -> dict[str, Any]:
    with _start(scenario.service) as mesh:
        started = time.monotonic()
        until = started + scenario.duration_s
        threads = [threading.Thread(target=_client, args=(mesh.url, SHORT_S, until, scenario, False))
                   for _ in range(scenario.clients)]
        threads += [threading.Thread(target=_client, args=(mesh.url, LONG_S, until, scenario, True))
                    for _ in range(scenario.long_clients)]
        for t in threads:
            t.start()
        scenario.action(mesh)
        for t in threads:
            t.join()
    total = sum(scenario.outcomes.values())
    lost = total - scenario.outcomes["ok"]
    times = sorted([started, *scenario.answered_at, until])
    gap = max(b - a for a, b in zip(times, times[1:], strict=False))
    return {"name": scenario.name, "service": scenario.service, "requests": total, "lost": lost,
            "longest_gap_ms": round(1000 * gap, 1), "outcomes": dict(scenario.outcomes)}


def _children(pid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                count += 1
    return count


def scale_up_down(settle_s: float = 6.0) -> dict[str, Any]:
    """`scale(8)` then `scale(1)` at once; instance processes alive once things settle."""
    with _start({"instances": 1}) as mesh:
        mesh.scale("work", 8)
        mesh.scale("work", 1)
        zygote = mesh.pools["work"].zygote
        assert zygote is not None and zygote.pid is not None
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline and _children(zygote.pid) != 1:
            time.sleep(0.1)
        alive = _children(zygote.pid)
    return {"name": "scale_up_down", "asked": 1, "processes": alive, "orphans": alive - 1}


def main(args: argparse.Namespace) -> None:
    report = run_info("faults", short_s=SHORT_S, long_s=LONG_S)
    report["scenarios"] = []
    for scenario in scenarios():
        result = run_scenario(scenario)
        print(f"{result['name']:<20} {result['lost']:>4} lost of {result['requests']:>5}, longest gap "
              f"{result['longest_gap_ms']:>6.0f} ms  {result['outcomes']}", flush=True)
        report["scenarios"].append(result)
    orphans = scale_up_down()
    print(f"{'scale_up_down':<20} {orphans['orphans']:>4} orphan process(es)", flush=True)
    report["scenarios"].append(orphans)
    out: Path = args.out
    write_json(out / "faults.json", report)
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None
    _plot(report, baseline, out / "faults.png")
    print(f"wrote {out / 'faults.json'} and {out / 'faults.png'}")


def _plot(report: dict[str, Any], baseline: dict[str, Any] | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def lost(run: dict[str, Any]) -> dict[str, int]:
        return {s["name"]: s.get("lost", s.get("orphans", 0)) for s in run["scenarios"]}

    names = [s["name"] for s in report["scenarios"]]
    runs = ([("baseline " + baseline["git_revision"], lost(baseline))] if baseline else []) \
        + [(report["git_revision"], lost(report))]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(runs)
    for k, (label, values) in enumerate(runs):
        ax.bar([i + k * width for i in range(len(names))], [values.get(n, 0) for n in names], width, label=label)
    ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(names))], names, rotation=20)
    ax.set_ylabel("requests lost (scale_up_down: orphan processes)")
    ax.set_title(f"puma bench faults ({report['machine']['cores']} cores)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m puma.bench.faults", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="directory for faults.json and faults.png")
    p.add_argument("--baseline", type=Path, help="faults.json of another run to plot beside this one")
    return p


if __name__ == "__main__":
    main(_parser().parse_args())
