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
    assert [r["name"] for r in routes] == ["two_hosts", "bad_expect", "bad_escape", "connect", "agent_admin_methods",
                                           "agent_admin_too_large", "agent_admin",
                                           "policy_methods", "policy_too_large", "policy", "agent_methods",
                                           "agent_too_large", "agent", "root_methods", "root_too_large", "root"]
    assert routes[-1]["match"] == {"prefix": "/"}
    assert routes[6]["match"] == {"path_separated_prefix": "/agent/admin"}
    # each service's method guard matches its prefix, only for the methods it does not take
    assert routes[4]["match"]["path_separated_prefix"] == "/agent/admin"
    assert routes[4]["match"]["headers"][0]["invert_match"] is True


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
        layer = doc["layered_runtime"]["layers"][0]
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
    assert doc["admin"]["ignore_global_conn_limit"] is True  # reachable when clients hit the limit


def test_render_process_backend_admin_is_a_unix_socket_no_browser_reaches(tmp_path):
    doc = envoy.bootstrap_files(_config(), tmp_path, admin_socket=tmp_path / "admin.sock")
    assert doc["admin"]["address"] == {"pipe": {"path": str(tmp_path / "admin.sock"), "mode": 0o600}}


def test_render_retries_resets_and_gateway_errors_only_when_idempotent():
    plain = envoy.route_config(_config())["virtual_hosts"][0]["routes"]
    idem = envoy.route_config(_config(idempotent=True))["virtual_hosts"][0]["routes"]
    policy_plain = next(r for r in plain if r["name"] == "policy")["route"]["retry_policy"]["retry_on"].split(",")
    policy_idem = next(r for r in idem if r["name"] == "policy")["route"]["retry_policy"]["retry_on"].split(",")
    # Only what never reached the service is re-sent on a route that is not idempotent (a refusal
    # PUMA's zygote makes for a request queued on a port it closes among them: puma.backlog).
    assert set(policy_plain) == {"connect-failure", "refused-stream", "reset-before-request", "retriable-headers"}
    assert {"reset", "gateway-error"} <= set(policy_idem)


@pytest.mark.parametrize("idempotent", [False, True])
def test_render_never_retries_a_service_answer_of_4xx_or_500(idempotent):
    routes = envoy.route_config(_config(idempotent=idempotent))["virtual_hosts"][0]["routes"]
    retry = next(r for r in routes if r["name"] == "policy")["route"]["retry_policy"]
    conditions = set(retry["retry_on"].split(","))
    # "5xx" would re-run a handler that answered 500; "retriable-4xx" one that answered 409.
    assert not conditions & {"5xx", "retriable-4xx", "retriable-status-codes"}
    assert "retriable_status_codes" not in retry
    # Headers only PUMA's own refusals carry, made before any handler ran (not sent, not ready).
    assert [h["name"] for h in retry["retriable_headers"]] == ["x-puma-not-sent"]


def test_render_upstream_idle_timeout_is_shorter_than_the_instances():
    from puma.config import INSTANCE_IDLE_TIMEOUT_S

    doc = envoy.bootstrap_static(_config(), {"policy": [("127.0.0.1", 1)]})
    for cluster in doc["static_resources"]["clusters"]:
        options = cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
        idle_s = float(options["common_http_protocol_options"]["idle_timeout"].rstrip("s"))
        # Envoy drops a pooled connection before the instance closes it, never the other way round.
        assert idle_s < INSTANCE_IDLE_TIMEOUT_S, cluster["name"]


@pytest.mark.parametrize("map_service", [
    {"prefix": "/map", "target": "puma.mapping:map_service"},  # written by hand
    {"prefix": "/compute", "target": "puma.mapping:map_service", "instances": 4},  # under another name
])
def test_render_map_cluster_keeps_connections_per_client_connection_and_only_it(map_service, tmp_path):
    # A map chunk sent on a new client connection then reaches an instance over a new connection,
    # never over an idle one to an instance that has just died (puma/mapping/client.py).
    cfg = parse_config({"secret": "s" * 32, "puma_services": {"agent": "/agent", "policy": {"prefix": "/policy"},
                                                              "work": map_service}})
    doc = envoy.bootstrap_static(cfg, {"work": [("127.0.0.1", 5001)], "agent": [("127.0.0.1", 5002)]})
    per_client = {c["name"]: c.get("connection_pool_per_downstream_connection", False)
                  for c in doc["static_resources"]["clusters"] if c["name"] in cfg.puma_services}
    assert per_client == {"agent": False, "policy": False, "work": True}
    result = _validate(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_render_status_cluster_idle_timeout_is_shorter_than_the_status_server():
    from puma.handlers import IDLE_TIMEOUT_S

    cluster = envoy.all_clusters(_config(), status_port=9)[-1]
    options = cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert float(options["common_http_protocol_options"]["idle_timeout"].rstrip("s")) < IDLE_TIMEOUT_S


def test_render_status_route_overwrites_the_peer_headers_clients_send():
    route = envoy.route_config(_config(), status_port=9)["virtual_hosts"][0]["routes"][4]  # after the two-Host, Expect, escape and own paths' 413 guards
    assert {a["append_action"] for a in route["request_headers_to_add"]} == {"OVERWRITE_IF_EXISTS_OR_ADD"}
    assert [a["header"] for a in route["request_headers_to_add"]] == [
        {"key": "x-puma-peer", "value": "%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%"},
        {"key": "x-puma-local", "value": "%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%"}]


def test_render_listener_accepts_http_10_and_never_shares_its_port():
    doc = envoy.bootstrap_static(_config())
    listener = doc["static_resources"]["listeners"][0]
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    assert hcm["http_protocol_options"]["accept_http_10"] is True
    assert listener["enable_reuse_port"] is False


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


def test_render_gives_each_idempotent_method_its_own_retrying_route_before_the_service(tmp_path):
    cfg = parse_config({"puma_services": {"db": {"idempotent": ["search", "movie"]}, "d": "/d",
                                          "web": "/"}})
    routes = envoy.route_config(cfg)["virtual_hosts"][0]["routes"]
    names = [r["name"] for r in routes if "route" in r and r["route"].get("cluster") in cfg.puma_services]
    # Longest prefix first: a method's route must win over its service's.
    assert names == ["db.movie", "db.search", "db", "d", "web"]
    by_name = {r["name"]: r for r in routes}
    assert by_name["db.search"]["match"] == {"path_separated_prefix": "/db/search"}
    assert by_name["db.search"]["route"]["cluster"] == "db"
    assert {"reset", "gateway-error"} <= set(by_name["db.movie"]["route"]["retry_policy"]["retry_on"].split(","))
    assert "gateway-error" not in by_name["db"]["route"]["retry_policy"]["retry_on"]
    result = _validate(envoy.bootstrap_static(cfg), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_render_of_a_wholly_idempotent_service_adds_no_method_routes():
    routes = envoy.route_config(parse_config({"puma_services": {"db": {"idempotent": True}}}))
    assert [r["name"] for r in routes["virtual_hosts"][0]["routes"] if "route" in r] == ["db"]


@pytest.mark.parametrize("timeout_s, idle", [(5, "300.000s"), (300, "300.000s"), (301, "301.000s"), (600, "600.000s"), (7200, "7200.000s")])
def test_render_stream_idle_timeout_never_cuts_a_service_within_its_timeout(timeout_s, idle, tmp_path):
    """Envoy ends a quiet stream at 5 min by default ("stream timeout"): a handler allowed longer
    (timeout_s 600) must get its whole timeout, on the public and the internal listener, per method too."""
    cfg = parse_config({"puma_services": {"long": {"prefix": "/long", "timeout_s": timeout_s, "idempotent": ["run"]},
                                          "short": {"prefix": "/short", "timeout_s": 2}}})
    for internal in (False, True):
        routes = envoy.route_config(cfg, internal=internal)["virtual_hosts"][0]["routes"]
        mine = [r for r in routes if r.get("route", {}).get("cluster") == "long"]
        assert mine and all(r["route"]["idle_timeout"] == idle and r["route"]["timeout"] == f"{timeout_s}.000s"
                            for r in mine), mine
        short = next(r for r in routes if r.get("name") == "short")
        assert short["route"]["idle_timeout"] == "300.000s"  # never below Envoy's own default
    assert _validate(envoy.bootstrap_static(cfg), tmp_path).returncode == 0
