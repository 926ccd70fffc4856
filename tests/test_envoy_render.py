from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from puma import envoy, parse_config
from puma.config import LB_POLICIES
from puma.proxy import find_envoy


def _config(**service):
    return parse_config({"puma_services": {
        "root": "/", "agent": "/agent", "agent_admin": "/agent/admin",
        "policy": {"prefix": "/policy", **service}}})


def _validate(doc: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "envoy.yaml"
    path.write_text(envoy.to_yaml(doc))
    return subprocess.run([find_envoy(), "--mode", "validate", "-c", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_render_routes_longest_prefix_first():
    routes = envoy.route_config(_config())["virtual_hosts"][0]["routes"]
    assert [r["name"] for r in routes] == ["agent_admin", "policy", "agent", "root"]
    assert routes[-1]["match"] == {"prefix": "/"}
    assert routes[0]["match"] == {"path_separated_prefix": "/agent/admin"}


def test_render_is_deterministic():
    assert envoy.to_yaml(envoy.bootstrap_static(_config())) == envoy.to_yaml(envoy.bootstrap_static(_config()))


@pytest.mark.parametrize("policy", LB_POLICIES)
def test_render_validates_with_envoy_for_every_lb_policy(policy, tmp_path):
    service = {"lb_policy": policy}
    if policy in ("ring_hash", "maglev"):
        service["hash_on"] = {"header": "x-session-id"}
    doc = envoy.bootstrap_static(_config(**service), {"policy": [("127.0.0.1", 5001), ("127.0.0.1", 5002)]})
    result = _validate(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    cluster = next(c for c in doc["static_resources"]["clusters"] if c["name"] == "policy")
    if policy == "least_request":  # the least loaded of all instances, not of two drawn at random
        [chosen] = cluster["load_balancing_policy"]["policies"]
        assert chosen["typed_extension_config"]["typed_config"]["selection_method"] == "FULL_SCAN"
        # ... counting requests that wait for a connection: a fresh deployment's first two go apart
        [layer] = doc["layered_runtime"]["layers"]
        assert layer["static_layer"]["envoy.reloadable_features.least_request_lb_count_pending_requests"] is True
        assert "lb_policy" not in cluster
    else:
        assert cluster["lb_policy"] == policy.upper()


def test_render_validates_with_every_figure4_key(tmp_path):
    cfg = parse_config({
        "logging": {"name": "file", "config": {"path": str(tmp_path / "access.log")}, "filter": {"status_code_min": 400}},
        "rate_limit": {"requests_per_s": 10, "cluster_name": "policy"},
        "dynamodb": {"endpoint": "http://127.0.0.1:8000"},
        "puma_services": {"agent": "/agent", "policy": {"prefix": "/policy", "idempotent": True}},
        "http_connection_manager": {"idle_timeout": "30s", "drain_timeout": "1s", "tracing": {"random_sampling": 1}},
    })
    result = _validate(envoy.bootstrap_static(cfg), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_render_admin_binds_loopback_only():
    doc = envoy.bootstrap_static(parse_config({"listener": {"host": "0.0.0.0"}, "puma_services": {"a": "/a"}}))
    assert doc["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"


def test_render_retries_resets_and_5xx_only_when_idempotent():
    plain = envoy.route_config(_config())["virtual_hosts"][0]["routes"]
    idem = envoy.route_config(_config(idempotent=True))["virtual_hosts"][0]["routes"]
    policy_plain = next(r for r in plain if r["name"] == "policy")["route"]["retry_policy"]["retry_on"]
    policy_idem = next(r for r in idem if r["name"] == "policy")["route"]["retry_policy"]["retry_on"]
    assert "reset" not in policy_plain and "5xx" not in policy_plain
    assert "reset" in policy_idem and "5xx" in policy_idem


def test_render_cli_output_validates(tmp_path):
    app = Path(__file__).parents[1] / "examples" / "hello_app.py"
    out = tmp_path / "rendered.yaml"
    subprocess.run([sys.executable, "-m", "puma.cli", "render", str(app), "--out", str(out)], check=True, timeout=60)
    result = subprocess.run([find_envoy(), "--mode", "validate", "-c", str(out)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/greet" in out.read_text()


def test_render_dynamodb_over_tls_validates(tmp_path):
    cfg = parse_config({"dynamodb": {"endpoint": "https://dynamodb.eu-west-1.amazonaws.com", "region": "eu-west-1"},
                        "puma_services": {"agent": "/agent"}})
    doc = envoy.bootstrap_static(cfg)
    cluster = next(c for c in doc["static_resources"]["clusters"] if c["name"] == "dynamodb")
    assert cluster["transport_socket"]["typed_config"]["sni"] == "dynamodb.eu-west-1.amazonaws.com"
    result = _validate(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
