"""The load test's plots read as a newcomer reads them: counts on a log axis as plain numbers
(1, 2, 4, never 2^0, 2^1), and no service's line hidden by another's at the same value."""

from __future__ import annotations

from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from loadtests import steps_report  # noqa: E402
from loadtests.report import STYLES, instances_figure  # noqa: E402


def _labels(fig: Any, ax: Any) -> list[str]:
    fig.canvas.draw()
    return [label.get_text() for label in ax.get_xticklabels() if label.get_text()]


@pytest.mark.parametrize("values", [[1, 2, 4, 8], [1, 4, 16, 64], [2, 3, 6], [1]])
def test_count_axis_labels_the_measured_counts_as_plain_numbers(values: list[int]) -> None:
    fig, ax = plt.subplots()
    ax.plot(values, [v * 10 for v in values], "o-")
    steps_report.count_axis(ax, values)
    try:
        labels = _labels(fig, ax)
        assert labels == [str(v) for v in values], labels
        assert not any("^" in label or "$" in label for label in labels)
        assert ax.get_xscale() == "log"
    finally:
        plt.close(fig)


def _run(services: dict[str, int]) -> dict[str, Any]:
    samples = [{"t": float(t), "services": {n: {"ready": r, "in_flight": (t + i) % 3}
                                            for i, (n, r) in enumerate(services.items())}} for t in range(40)]
    return {"instances": samples, "windows": [{"start_s": 0.0, "users": 1}, {"start_s": 20.0, "users": 2}]}


def test_instances_plot_gives_each_service_a_panel_and_a_line_style_of_its_own() -> None:
    services = {"agent": 2, "db": 1, "legacy": 0, "nlu": 1, "policy": 1, "web": 1}  # five at 1: one line before
    fig = instances_figure(plt, _run(services), "PUMA instances per service")
    try:
        panels, flight = fig.axes[:-1], fig.axes[-1]
        assert [ax.get_ylabel() for ax in panels] == sorted(services)
        for ax, name in zip(panels, sorted(services), strict=True):
            (line,) = ax.get_lines()[:1]
            assert max(line.get_ydata()) == services[name], name
        legacy = panels[sorted(services).index("legacy")]
        assert any("none ready during this run" in text.get_text() for text in legacy.texts)
        drawn = [(line.get_linestyle(), line.get_marker()) for line in flight.get_lines() if line.get_label() in services]
        assert len(drawn) == len(services) and len(set(drawn)) == len(drawn), drawn
    finally:
        plt.close(fig)


def test_instances_plot_styles_are_distinct_for_as_many_services_as_a_deployment_has() -> None:
    assert len(set(STYLES)) == len(STYLES) >= 8
