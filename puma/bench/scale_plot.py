"""The figures of `puma bench scale`: each measure against instance count, one line per revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIGURES = {  # key in a run -> (title, unit)
    "start_s": ("start to all healthy", "s"),
    "start_cpu_s": ("CPU of the start, every process", "s"),
    "idle_cores_total": ("idle CPU, every process", "cores"),
    "memory_mib_total": ("memory (PSS), every process", "MiB"),
    "p50_ms": ("p50 of a trivial request", "ms"),
    "p99_ms": ("p99 of a trivial request", "ms"),
    "endpoint_change_ms": ("kill -9 to Envoy's change", "ms"),
    "replaced_ms": ("kill -9 to all healthy again", "ms"),
    "autoscale_reaction_s": ("load step to a 2nd instance", "s"),
}


def _series(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    runs = [r for r in report["runs"] if "error" not in r]
    names = sorted({r["series"] for r in runs}, key=lambda s: s != "baseline")
    return {s: sorted((r for r in runs if r["series"] == s), key=lambda r: r["size"]) for s in names}


def _label(report: dict[str, Any], series: str) -> str:
    rev = report.get("baseline_revision", "") if series == "baseline" else report["git_revision"]
    return f"{series} ({rev})"


def _draw(ax: Any, report: dict[str, Any], key: str) -> None:
    title, unit = FIGURES[key]
    for series, runs in _series(report).items():
        points = [(r["size"], r[key]) for r in runs if r.get(key) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=_label(report, series))
    ax.set_xscale("log")
    ax.set_xlabel("instances")
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)


def plot(report: dict[str, Any], out: Path) -> None:
    """Write `scale.png` (every figure) and `scale_<figure>.png` (one each) into `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(FIGURES)
    fig, axes = plt.subplots(2, (len(keys) + 1) // 2, figsize=(16, 7))
    for ax, key in zip(axes.flat, keys, strict=False):
        _draw(ax, report, key)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    if axes.flat[0].get_legend_handles_labels()[0]:
        axes.flat[0].legend(fontsize=8)
    load = report.get("load_average_end", ["?"])[0]
    fig.suptitle(f"puma bench scale, {report['machine']['cores']} cores, load average at the end {load}")
    fig.tight_layout()
    fig.savefig(out / "scale.png", dpi=110)
    plt.close(fig)
    for key in keys:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        _draw(ax, report, key)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"scale_{key}.png", dpi=110)
        plt.close(fig)
