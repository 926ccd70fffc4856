"""`puma bench envoy-features`: each B side lacks exactly its feature, and a short run writes its files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from puma import envoy
from puma.bench import envoyfeatures as ef
from puma.requestlimits import FILTER_NAME


def _shipped() -> dict:
    cfg = ef.bench_config()
    return envoy.bootstrap_static(cfg, {name: [("127.0.0.1", 9)] for name in cfg.puma_services})


def _loggers(doc: dict) -> list[list[str]]:
    return [[a["name"] for a in hcm["access_log"]] for hcm in ef._hcms(doc)]


def _mappers_413(doc: dict) -> list[int]:
    return [sum('413' in str(m.get("filter")) for m in hcm["local_reply_config"]["mappers"]) for hcm in ef._hcms(doc)]


def test_without_served_drops_the_stats_logger_on_both_listeners_only():
    shipped = _shipped()
    off = ef.without(shipped, "served")
    assert _loggers(shipped) == [["envoy.access_loggers.stats"]] * 2
    assert _loggers(off) == [[], []]
    assert _mappers_413(off) == _mappers_413(shipped)


def test_without_mappers_keeps_the_generic_413_and_drops_one_per_service():
    shipped = _shipped()
    off = ef.without(shipped, "mappers")
    services = len(ef.bench_config().puma_services)
    # one per service, one for PUMA's own paths (/_puma), the generic one; each with a browser twin
    # (an HTML page for Accept: text/html)
    assert _mappers_413(shipped) == [2 * (services + 2)] * 2
    assert _mappers_413(off) == [2, 2]
    assert _loggers(off) == _loggers(shipped)


def test_without_map_pool_changes_the_map_cluster_only():
    shipped = _shipped()
    off = ef.without(shipped, "map_pool")
    pooled = {c["name"] for c in shipped["static_resources"]["clusters"]
              if c.get("connection_pool_per_downstream_connection")}
    assert pooled == {"map"}
    assert not any(c.get("connection_pool_per_downstream_connection") for c in off["static_resources"]["clusters"])
    assert ef.without(shipped, "") == shipped


def _filters(doc: dict) -> list[list[str]]:
    return [[f["name"] for f in hcm["http_filters"]] for hcm in ef._hcms(doc)]


def test_without_rbac_drops_the_url_and_headers_filter_on_both_listeners_only():
    shipped = _shipped()
    off = ef.without(shipped, "rbac")
    assert [names.count(FILTER_NAME) for names in _filters(shipped)] == [1, 1]
    assert _filters(off) == [[n for n in names if n != FILTER_NAME] for names in _filters(shipped)]
    assert _loggers(off) == _loggers(shipped) and _mappers_413(off) == _mappers_413(shipped)


def test_cases_runs_only_the_cases_named_and_refuses_an_unknown_one(tmp_path):
    result = subprocess.run([sys.executable, "-m", "puma.cli", "--log-level", "warning", "bench", "envoy-features",
                             "--out", str(tmp_path), "--pairs", "1", "--requests", "20", "--cases", "same,rbac"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(json.loads((tmp_path / "envoy-features.json").read_text())["features"]) == {"same", "rbac"}
    for cases in ("rbca", ",", "same,nothing"):
        refused = subprocess.run([sys.executable, "-m", "puma.cli", "bench", "envoy-features", "--out",
                                  str(tmp_path / "no"), "--cases", cases], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "e.g. same,rbac" in refused.stderr, refused.stderr
        assert not (tmp_path / "no").exists()


def test_short_run_writes_json_csv_and_plot(tmp_path):
    result = subprocess.run([sys.executable, "-m", "puma.cli", "--log-level", "warning", "bench", "envoy-features",
                             "--out", str(tmp_path), "--pairs", "2", "--requests", "20"],
                            capture_output=True, text=True, timeout=500)
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "envoy-features.json").read_text())
    assert data["git_revision"] and set(data["features"]) == set(ef.CASES)
    for case in data["features"].values():
        assert len(case["cpu_us"]["ratios"]) == 2 and case["cpu_us"]["A_median"] > 0
    assert len(data["validate"]["ratios_a_over_b"]) == 2
    rows = list(csv.DictReader((tmp_path / "envoy-features.csv").read_text().splitlines()))
    assert len(rows) == 2 * 2 * len(ef.CASES) and {r["side"] for r in rows} == {"A", "B"}
    assert (tmp_path / "envoy-features.png").stat().st_size > 1000
    assert "served" in result.stdout


def test_served_not_2xx_filters_the_stats_logger_and_nothing_else():
    shipped = _shipped()
    off = ef.without(shipped, "served_not_2xx")
    assert [[a.get("filter") for a in hcm["access_log"]] for hcm in ef._hcms(off)] == [[ef.NOT_2XX]] * 2
    assert _loggers(off) == _loggers(shipped) and _mappers_413(off) == _mappers_413(shipped)


def test_unbounded_or_malformed_counts_are_refused_naming_the_bound(tmp_path):
    for args, needle in ((["--pairs", "0"], "pairs from 1 to 100"), (["--pairs", "many"], "'many'"),
                         (["--requests", "10"], "requests from 20 to 100000"),
                         (["--requests", "2e9"], "'2e9'")):
        result = subprocess.run([sys.executable, "-m", "puma.cli", "bench", "envoy-features", "--out",
                                 str(tmp_path), *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and needle in result.stderr, (args, result.stderr)
        assert not (tmp_path / "envoy-features.json").exists()
