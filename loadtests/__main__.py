"""``python -m loadtests compare --out DIR [--quick] [--steps 1,4,16,64] [--step-seconds N]``
``python -m loadtests startup --out DIR [--repeats N] [--baseline REV]`` and
``python -m loadtests cost --out DIR [--users N] [--seconds S] [--rounds N] [--baseline CHECKOUT]``."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loadtests.profiles import Profile
from puma.cliparse import SuggestingParser

OVERVIEW = """\
Benchmarks of the chatbot as its users meet it. compare: the legacy socket server and the PUMA
deployment side by side under the same stepped load of whole conversations. startup: how long
`make run` takes to answer its first turn. cost: server CPU per turn by component.
`python -m loadtests COMMAND --help` tells more."""

DESCRIPTION = """\
Session-level load tests of the chatbot: the legacy socket server and the PUMA deployment,
side by side, under the same stepped load of whole conversations.

compare: prepares the database (unless --database-url), then for each deployment in turn
starts it on a free loopback port, runs Locust in this process through every step (N
concurrent conversations for --step-seconds each; each simulated user holds complete
conversations with think time between turns, as one of four personas: decisive,
no-preference, picky rejecter, not-understood-first), checks every conversation, and stops
it. Then two more steps, each on fresh deployments:

- the fault step (--faults): at a fixed time under load, SIGKILL the monolith (restarted at once
  on its port, as a process supervisor would), and, in separate runs, one PUMA agent instance and
  the PUMA db instance; counts conversations lost, turns failed and the time until throughput
  recovers;
- the cores step (--cpus): both deployments pinned with taskset to each CPU count in turn (the
  load generator on the other CPUs where any are left); throughput per added core and what the
  slope predicts for 4, 8 and 16 cores. Counts above this machine's CPUs are skipped with a
  message, so --cpus 1,2,4,8,16 runs unchanged anywhere.

Writes into --out: loadtests.json, steps.csv, failures.csv, cpu.csv, instances.csv, turns.csv,
faults.csv, cores.csv, summary.md, latency.png, throughput.png, instances.png, faults.png,
cores.png. Progress is logged every few seconds. The throughput steps take about (steps x
step-seconds + 30 s) per deployment, the fault step about 50 s per fault, the cores step about
45 s per deployment and CPU count; --quick (steps 1,4,16 of 6 s, short think time; fault and
cores steps of 10 and 6 s, both on the throughput steps' deployments after those steps, re-pinned
per CPU count, instead of fresh ones) about three minutes in all on a quiet machine."""


STARTUP_DESCRIPTION = """\
startup: times what a user waits for on every `make run` after the first (installed, database
prepared): from launching `make run` to the first answered turn of the chat (POST /agent, the
page's opening turn), and the time from Ctrl-C (SIGINT) until everything stopped. With
--baseline REV the same is timed for a git revision (exported to a temporary directory, its
database prepared there, untimed), the runs alternating so both see the same machine; the JSON
has both medians and their ratio. Runs happen in private network namespaces when this process
may create them (root), else on free ports. Each run is bounded (120 s to answer, 30 s to stop)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("locust").setLevel(logging.WARNING)
    if args.command == "startup":
        return _startup(args)
    if args.command == "cost":
        return _cost(args)
    if importlib.util.find_spec("locust") is None:  # `make run` installs what running needs, not Locust
        print("loadtests: Locust (the load generator) is not installed in this Python: it comes with the test "
              "tools; install them with `make dev-tools` (or `make test`), then run this again", file=sys.stderr)
        return 2
    from loadtests import runner  # imports Locust, which patches the standard library for gevent

    _interrupt_on_signals()
    profile = _profile(Profile, args)
    from loadtests.cores import CoresProfile
    from loadtests.faults import FaultProfile

    fault_step = dataclasses.replace(FaultProfile.quick() if args.quick else FaultProfile(), faults=args.faults)
    cores_step = dataclasses.replace(CoresProfile.quick() if args.quick else CoresProfile(), cpus=args.cpus)
    try:
        result = runner.compare(args.out, profile, database_url=args.database_url,
                                targets=tuple(args.targets.split(",")), fault_step=fault_step,
                                cores_step=cores_step, ports=args.ports)
    except KeyboardInterrupt:
        logging.getLogger("loadtests").warning("interrupted; the deployments were stopped")
        return 130
    print((args.out / "summary.md").read_text())
    failures = sum(sum(t["failures"].values()) for t in result.get("targets", {}).values())
    return 1 if failures else 0


def _startup(args: argparse.Namespace) -> int:
    from loadtests import startup

    if args.one_run:
        return startup.one_run_main(args.one_run, args.venv)
    if args.out is None:
        _parser().error("startup: --out is required")
    data = startup.main(args.out, args.repeats, args.baseline)
    for name, series in data["series"].items():
        first = series["first_turn_s"]
        print(f"{name}: first answered turn median {first['median']:.2f} s "
              f"(min {first['min']:.2f}, max {first['max']:.2f}, {first['n']} runs)")
    if "ratio_baseline_over_current" in data:
        print(f"baseline {data['baseline_revision']} / current: {data['ratio_baseline_over_current']}x")
    print(f"wrote {args.out / 'startup.json'}, startup.csv, startup.png")
    return 0


def _cost(args: argparse.Namespace) -> int:
    from loadtests import cost  # imports Locust, which patches the standard library for gevent

    _interrupt_on_signals()
    profile = cost.CostProfile(users=args.users, seconds=args.seconds, rounds=args.rounds, warm=args.warm)
    try:
        result = cost.main(args.out, profile, args.database_url, args.baseline, tuple(args.targets.split(",")))
    except KeyboardInterrupt:
        logging.getLogger("loadtests").warning("interrupted; the deployments were stopped")
        return 130
    print(cost.markdown(result))
    print(f"wrote {args.out / 'cost.json'}, {args.out / 'cost.png'}")
    return 1 if any(r["failed_requests"] for r in result["runs"]) else 0


def _interrupt_on_signals() -> None:
    """SIGINT or SIGTERM raise KeyboardInterrupt in this (the main) greenlet, whatever greenlet
    is running when the signal comes, so the deployments are stopped on the way out."""
    import signal

    import gevent
    import greenlet

    main, hub = greenlet.getcurrent(), gevent.get_hub()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, lambda: hub.loop.run_callback(main.throw, KeyboardInterrupt))


def _profile(profile_class: Any, args: argparse.Namespace) -> Any:
    base = profile_class.quick() if args.quick else profile_class()
    changes: dict[str, object] = {}
    if args.steps:
        changes["steps"] = args.steps
    if args.step_seconds:
        changes["step_s"] = args.step_seconds
        changes["settle_s"] = min(base.settle_s, args.step_seconds / 4)
    if args.think:
        changes["think_min_s"], changes["think_max_s"] = args.think
    if getattr(args, "drain_seconds", None) is not None:
        changes["drain_s"] = args.drain_seconds
    return dataclasses.replace(base, **changes)


_FULL, _QUICK = Profile(), Profile.quick()  # the help says their values: it cannot drift from them


def _listed(steps: tuple[int, ...]) -> str:
    return ",".join(map(str, steps))


def _parser() -> argparse.ArgumentParser:
    p = SuggestingParser(prog="python -m loadtests", description=OVERVIEW,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", title="commands", required=True)
    c = sub.add_parser("compare", help="legacy vs PUMA under the same stepped load of conversations",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--out", type=Path, required=True, help="directory for the results (created)")
    c.add_argument("--quick", action="store_true", help=f"steps {_listed(_QUICK.steps)} of {_QUICK.step_s:g} s with short think time")
    c.add_argument("--steps", type=_steps, help=f"concurrent conversations per step (default {_listed(_FULL.steps)})")
    c.add_argument("--step-seconds", type=_positive, help=f"length of each step (default {_FULL.step_s:g}; quick {_QUICK.step_s:g})")
    c.add_argument("--drain-seconds", type=_drain, help="the most each deployment's last conversations get to "
                   f"finish after its steps (default {_FULL.drain_s:g}; quick {_QUICK.drain_s:g})")
    c.add_argument("--ports", type=_ports, metavar="LEGACY,PUMA", default=None,
                   help="the ports the legacy server and the PUMA deployment listen on (default: free ones the "
                        "OS picks), e.g. 19510,19520 on a shared machine")
    c.add_argument("--think", type=_think, metavar="MIN,MAX",
                   help=f"think time between turns, seconds (default {_FULL.think_min_s:g},{_FULL.think_max_s:g}; quick "
                        f"{_QUICK.think_min_s:g},{_QUICK.think_max_s:g})")
    c.add_argument("--database-url", help="an already prepared chatbot database "
                   "(default: a SQLite file in --out, prepared on first use)")
    c.add_argument("--targets", default="legacy,puma", type=_targets,
                   help="which deployments, in order (default legacy,puma)")
    c.add_argument("--faults", default=("legacy", "agent", "db"), type=_faults, metavar="LIST",
                   help="the fault step: what is SIGKILLed, each in a fresh run: legacy (the monolith), "
                        "agent (one PUMA agent instance), db (the PUMA db instance); 'none' skips it "
                        "(default legacy,agent,db)")
    c.add_argument("--cpus", default=(1, 2), type=_cpus, metavar="LIST",
                   help="the cores step: CPU counts to pin both deployments to, e.g. 1,2,4,8,16 (counts "
                        "above this machine's are skipped with a message); 'none' skips it (default 1,2)")
    s = sub.add_parser("startup", help="time `make run` to the first answered turn (optionally beside a "
                       "baseline revision)", description=STARTUP_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--out", type=Path, help="directory for startup.json, startup.csv and startup.png (created)")
    s.add_argument("--repeats", type=_repeats, default=3, help="timed runs per series (default 3)")
    s.add_argument("--baseline", metavar="REV",
                   help="also time this git revision's `make run`, alternating with the current tree")
    s.add_argument("--one-run", type=Path, metavar="CHECKOUT", help=argparse.SUPPRESS)
    s.add_argument("--venv", type=Path, help=argparse.SUPPRESS)
    k = sub.add_parser("cost", help="server CPU per turn by component, legacy vs PUMA (optionally A/B against "
                       "another checkout)", description=cost_description(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("--out", type=Path, required=True, help="directory for cost.json and cost.png (created)")
    k.add_argument("--users", type=_users, default=32, help="concurrent conversations (default 32)")
    k.add_argument("--seconds", type=_positive, default=20.0, help="length of each run (default 20)")
    k.add_argument("--rounds", type=_repeats, default=2, help="runs per deployment and tree (default 2)")
    k.add_argument("--baseline", type=_checkout, metavar="CHECKOUT",
                   help="another checkout (git worktree add /tmp/base REV) measured alternately")
    k.add_argument("--database-url", help="an already prepared chatbot database "
                   "(default: a SQLite file in --out, prepared on first use)")
    k.add_argument("--targets", default="legacy,puma", type=_targets,
                   help="which deployments, in order (default legacy,puma)")
    k.add_argument("--warm", action="store_true",
                   help="start each deployment once and alternate the load between them (pairs seconds "
                        "apart, not a start-up apart; all deployments stay up, idle, during the others' runs)")
    return p


def cost_description() -> str:
    return """\
cost: holds --users concurrent conversations against each deployment for --seconds (the first
quarter not measured), reads every server process's CPU time from /proc and divides it by the
turns answered: milliseconds of server CPU per turn by component (agent, db, policy, sentiment,
listener, envoy, supervisor). With --baseline CHECKOUT the same runs happen for that code tree,
alternating ABBA round after round; read the ratios of the interleaved pairs. Each run is
bounded (--seconds plus start-up and 10 s to finish conversations in progress)."""


def _users(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r}: give one number of conversations from 1 to 1000, e.g. 32")
    return int(text)


def _checkout(text: str) -> Path:
    path = Path(text)
    if not (path / "chatbot" / "puma_app.py").is_file():
        raise argparse.ArgumentTypeError(f"{text!r}: not a checkout of this project (no chatbot/puma_app.py); "
                                         "make one with: git worktree add /tmp/base main")
    return path


def _repeats(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of runs, e.g. 3") from None
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 to 50 runs")
    return value


def _steps(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write whole numbers like 1,4,16,64") from None
    if not steps or min(steps) < 1 or max(steps) > 1000:
        raise argparse.ArgumentTypeError(f"{text!r}: each step must be 1 to 1000 conversations")
    return steps


def _ports(text: str) -> dict[str, int]:
    """``"19510,19520"`` -> ``{"legacy": 19510, "puma": 19520}``."""
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() and 1 <= int(p) <= 65535 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: give two ports, the legacy server's then PUMA's, "
                                         "each 1-65535, e.g. 19510,19520")
    legacy, puma = (int(p) for p in parts)
    if legacy == puma:
        raise argparse.ArgumentTypeError(f"{text!r}: the two deployments need two different ports")
    return {"legacy": legacy, "puma": puma}


def _drain(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 600:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds between 0 and 600")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds between 0 and 3600")
    return value


def _think(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write MIN,MAX in seconds, e.g. 0.2,1.0") from None
    if not 0 <= low <= high <= 60:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 <= MIN <= MAX <= 60")
    return low, high


def _faults(text: str) -> tuple[str, ...]:
    if text.strip() == "none":
        return ()
    names = tuple(part.strip() for part in text.split(","))
    known = ("legacy", "agent", "db")
    if any(n not in known for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: choose from {','.join(known)} (each once), or none")
    return names


def _cpus(text: str) -> tuple[int, ...]:
    if text.strip() == "none":
        return ()
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write CPU counts like 1,2,4,8,16, or none") from None
    if not counts or min(counts) < 1 or max(counts) > 4096 or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"{text!r}: each CPU count must be 1 to 4096, each once")
    return tuple(sorted(counts))


def _targets(text: str) -> str:
    names = text.split(",")
    if not names or any(n not in ("legacy", "puma") for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: choose from legacy,puma")
    return text


if __name__ == "__main__":
    sys.exit(main())
