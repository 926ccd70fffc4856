"""The PNG of `puma bench autoscale`: instances over time per run, and the time to capacity by part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {"before": "#dd8452", "current": "#4c72b0"}
PARTS = (("ramp_s", "the clients' ramp"), ("detection_s", "detection (tick + upscale window)"), ("start_s", "start (fork to serving)"),
         ("routing_s", "routing (EDS, first health check, first pick)"))


def plot(path: Path, r: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7))
    for run in r["runs"]:
        t = [s["t"] - run["step_at_s"] for s in run["samples"]]
        ax1.step(t, [s["ready"] for s in run["samples"]], where="post", color=COLOURS[run["variant"]], alpha=0.8,
                 label=f"{run['variant']} {run['settings']}")
    handles, labels = ax1.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=False))
    ax1.legend(unique.values(), unique.keys(), loc="upper right", fontsize=8)
    ax1.axvline(0, color="grey", linestyle=":")
    ax1.set_xlabel(f"seconds from the step to {r['params']['clients']} clients")
    ax1.set_ylabel("ready instances")
    names = list(r["variants"])
    left = [0.0] * len(names)
    for (key, label), shade in zip(PARTS, ("#cccccc", "#8172b3", "#55a868", "#c44e52"), strict=False):
        widths = [r["variants"][n][key] or 0.0 for n in names]
        ax2.barh(names, widths, left=left, color=shade, label=label)
        left = [a + b for a, b in zip(left, widths, strict=False)]
    for i, n in enumerate(names):
        v = r["variants"][n]
        ax2.text(left[i] + 0.02, i, f"{v['time_to_capacity_s']} s; {v['failed_requests']} failed of "
                 f"{v['requests_total']}", va="center", fontsize=9)
    ax2.axvline(1.0, color="grey", linestyle="--", label="goal 1 s")
    ax2.set_xlabel("seconds from the step to a new instance's first answer (median of the runs)")
    ax2.set_xlim(0, max(left + [1.0]) * 2.1)
    ax2.legend(loc="upper right", fontsize=8)
    load = f"load average {r['load_average_before'][0]:.2f} -> {r['load_average_after'][0]:.2f}"
    fig.suptitle(f"puma bench autoscale @ {r['git_revision']} ({r['machine']['cores']} cores, {load})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
