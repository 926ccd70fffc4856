"""Turn latency of two chatbot code trees side by side, over the realistic-conversation suite.

``python -m loadtests.turn_latency --baseline DIR [--rounds 5] [--out DIR]`` starts one
worker process per tree (this checkout, and ``DIR``: another checkout, e.g. ``git worktree
add /tmp/base <rev>``), each with its catalogue and recommender loaded once, and then asks
them in turn, round after round, to talk through every conversation of
``tests/dialog_suite/conversations.yaml`` with ``Chatbot.turn`` in process. Alternating rounds
keeps both trees under the same machine load, so the ratio of their p50s means something on a
shared machine where absolute times drift. Writes ``turn_latency.json`` (per tree p50/p90 in
ms, the ratio, both git revisions, the cores) and ``turn_latency.png`` into ``--out``.
Both trees read the same database (``DATABASE_URL`` or ``./var``), migrated to this tree's head.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
SUITE = HERE / "tests" / "dialog_suite" / "judge.py"


def _load_judge() -> Any:
    spec = importlib.util.spec_from_file_location("dialog_suite_judge", SUITE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {SUITE} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def worker(code_root: str, url: str) -> None:
    """Serve ``run`` requests on stdin: one pass over the suite, turn seconds as a JSON line."""
    sys.path.insert(0, code_root)
    judge = _load_judge()
    import chatbot
    from chatbot.bot import Chatbot
    from chatbot.catalog import Catalog

    if not Path(chatbot.__file__).resolve().is_relative_to(Path(code_root).resolve()):
        raise RuntimeError(f"imported {chatbot.__file__}, not the tree at {code_root}")
    from chatbot.components import local_components
    from chatbot.recommender import Recommender

    catalog = Catalog.load(url)
    bot = Chatbot(components=local_components(catalog, Recommender.load(url, catalog=catalog)))
    cases = judge.load_cases()
    judge.run_suite(bot, None, cases)  # warm caches
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        results = judge.run_suite(bot, None, cases)
        print(json.dumps([s for r in results for s in r.seconds]), flush=True)


def _start(code_root: Path, url: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(code_root))
    process = subprocess.Popen(
        [sys.executable, "-m", "loadtests.turn_latency", "--worker", str(code_root), url],
        cwd=HERE, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None  # stdout=PIPE
    ready = process.stdout.readline()
    if not ready:
        raise RuntimeError(f"worker for {code_root} did not start (exit {process.wait()})")
    return process


def _run(process: subprocess.Popen[str]) -> list[float]:
    assert process.stdin is not None and process.stdout is not None  # both PIPE (`_start`)
    process.stdin.write("run\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def compare(baseline: Path, url: str, rounds: int) -> dict[str, Any]:
    """Both trees, ``rounds`` alternating passes each; p50/p90 in ms and the ratio."""
    trees = {"this": HERE, "baseline": baseline}
    processes = {name: _start(root, url) for name, root in trees.items()}
    seconds: dict[str, list[float]] = {name: [] for name in trees}
    try:
        for round_no in range(rounds):
            order = list(trees) if round_no % 2 == 0 else list(reversed(trees))
            for name in order:
                seconds[name] += _run(processes[name])
    finally:
        for process in processes.values():
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=30)
    result: dict[str, Any] = {"rounds": rounds, "cores": os.cpu_count()}
    for name, root in trees.items():
        values = sorted(s * 1000 for s in seconds[name])
        result[name] = {"p50_ms": round(statistics.median(values), 4),
                        "p90_ms": round(values[int(0.9 * (len(values) - 1))], 4),
                        "turns": len(values), "git_revision": _revision(root), "path": str(root)}
    result["p50_ratio"] = round(result["this"]["p50_ms"] / result["baseline"]["p50_ms"], 3)
    return result


def _revision(root: Path) -> str | None:
    """``root``'s commit, or None when it is no checkout of its own (an export inside another
    repository's tree would otherwise report that repository's commit)."""
    done = subprocess.run(["git", "rev-parse", "--show-toplevel", "HEAD"], cwd=root,
                          capture_output=True, text=True, check=False)
    lines = done.stdout.split()
    if done.returncode or len(lines) != 2 or Path(lines[0]).resolve() != root.resolve():
        return None
    return lines[1]


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    names = ["baseline", "this"]
    for offset, key in ((-0.2, "p50_ms"), (0.2, "p90_ms")):
        ax.bar([i + offset for i in range(2)], [result[n][key] for n in names], width=0.4,
               label=key.removesuffix("_ms"))
    ax.set_xticks(range(2), [f"{n}\n{(result[n]['git_revision'] or '?')[:7]}" for n in names])
    ax.set_ylabel("Chatbot.turn (ms)")
    ax.set_title(f"turn latency, p50 ratio {result['p50_ratio']}x ({result['rounds']} rounds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("CODE_ROOT", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help="the other checkout to compare with")
    parser.add_argument("--baseline-rev", metavar="REV",
                        help="the baseline's git revision, when DIR is an export, not a checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if args.baseline is None or not (args.baseline / "chatbot").is_dir():
        parser.error("--baseline: give a checkout of the chatbot to compare with")
    sys.path.insert(0, str(HERE))
    from chatbot.settings import database_url

    result = compare(args.baseline.resolve(), database_url(), args.rounds)
    result["baseline"]["git_revision"] = result["baseline"]["git_revision"] or args.baseline_rev
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "turn_latency.json").write_text(json.dumps(result, indent=2) + "\n")
    _plot(result, args.out / "turn_latency.png")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
