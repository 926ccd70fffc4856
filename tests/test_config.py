from __future__ import annotations

import json

import pytest

from puma import PumaConfigError, PumaScaleError, parse_config


def test_config_accepts_figure4_json_string():
    conf = json.dumps({
        "load_balancer": "least_request",
        "logging": {"name": "stdout", "filter": {"status_code_min": 500}},
        "rate_limit": {"requests_per_s": 50, "cluster_name": "service1"},
        "dynamodb": {"endpoint": "http://127.0.0.1:8000"},
        "puma_services": {"service1": "/policy", "service2": "/db"},
        "http_connection_manager": {"idle_timeout": "30s", "drain_timeout": "250ms",
                                    "tracing": {"random_sampling": 5}},
    })
    cfg = parse_config(conf)
    assert cfg.puma_services["service1"].prefix == "/policy"
    assert cfg.lb_policy("service2") == "least_request"
    assert cfg.http_connection_manager.idle_timeout == 30.0
    assert cfg.http_connection_manager.drain_timeout == 0.25


def test_config_accepts_the_papers_hyphenated_key():
    cfg = parse_config({"puma-services": {"service1": "/agent"}})
    assert cfg.puma_services["service1"].prefix == "/agent"


def test_config_has_no_limit_on_services():
    cfg = parse_config({"puma_services": {f"s{i}": f"/s{i}" for i in range(40)}})
    assert len(cfg.puma_services) == 40


def test_config_error_names_every_problem_with_path():
    with pytest.raises(PumaConfigError) as err:
        parse_config({
            "puma_servics": {},
            "puma_services": {"agent": "agent", "policy": {"prefix": "/policy", "instances": {"min": 4, "max": 2}}},
            "http_connection_manager": {"idle_timeout": "soon"},
        })
    paths = [path for path, _ in err.value.problems]
    assert paths == ["puma_services.agent.prefix", "puma_services.policy.instances",
                     "http_connection_manager.idle_timeout", "puma_servics"]
    text = str(err.value)
    assert "'agent' is not a URL prefix; write it like '/agent'" in text
    assert "max 2 is below min (4)" in text
    assert "unknown key" in text
    assert isinstance(err.value, ValueError)


def test_config_envoy_runs_one_worker_thread_unless_told():
    assert parse_config({}).envoy_concurrency == 1
    assert parse_config({"envoy_concurrency": 4}).envoy_concurrency == 4
    with pytest.raises(PumaConfigError, match="envoy_concurrency: 0: Input should be greater than or equal to 1"):
        parse_config({"envoy_concurrency": 0})


def test_config_rejects_bad_lb_policy():
    with pytest.raises(PumaConfigError, match="puma_services.a.lb_policy: 'fastest'"):
        parse_config({"puma_services": {"a": {"prefix": "/a", "lb_policy": "fastest"}}})


def test_config_rejects_hash_on_without_a_hash_policy():
    with pytest.raises(PumaConfigError, match="hash_on needs lb_policy 'ring_hash' or 'maglev'"):
        parse_config({"puma_services": {"b": {"prefix": "/b", "hash_on": {"header": "x-session-id"}}}})


def test_config_rejects_shared_prefix_and_trailing_slash():
    with pytest.raises(PumaConfigError, match="share the prefix '/x'"):
        parse_config({"puma_services": {"a": "/x", "b": "/x"}})
    with pytest.raises(PumaConfigError, match="ends with '/'"):
        parse_config({"puma_services": {"a": "/x/"}})


def test_config_rejects_malformed_json_and_non_objects():
    with pytest.raises(PumaConfigError, match="not valid JSON"):
        parse_config("{puma_services: }")
    with pytest.raises(PumaConfigError, match="must be a JSON object"):
        parse_config("[1, 2]")


def test_config_instances_int_means_fixed_count():
    cfg = parse_config({"puma_services": {"a": {"prefix": "/a", "instances": 3}}})
    assert (cfg.puma_services["a"].instances.min, cfg.puma_services["a"].instances.upper) == (3, 3)


@pytest.mark.parametrize(("check", "needle"), [
    ({"interval_s": 0}, "interval_s.*0 s is below 0.01 s"),
    ({"timeout_s": "0ms"}, "timeout_s.*0 s is below 0.01 s"),
    ({"interval_s": "500ms", "timeout_s": 2}, "timeout_s 2.0 is above interval_s 0.5"),
    ({"interval_s": 30, "timeout_s": "1m"}, "lower timeout_s or raise interval_s"),
    ({"unhealthy_threshold": 0}, "health_check.unhealthy_threshold"),
])
def test_config_rejects_health_checks_envoy_cannot_run(check, needle):
    with pytest.raises(PumaConfigError, match=needle):
        parse_config({"puma_services": {"a": {"prefix": "/a", "health_check": check}}})


@pytest.mark.parametrize("where", [("health_check", "interval_s"), ("health_check", "timeout_s"),
                                   ("readiness", "period_s"), ("readiness", "timeout_s")])
@pytest.mark.parametrize("value", [-1, -0.5, 0, "0ms", 0.005])
def test_config_a_check_period_below_its_floor_is_one_rule_whatever_the_value(where, value):
    """A negative period was "at least 0", and 0 then "below 0.01 s": one message names the real floor."""
    block, key = where
    given = {key: value} if block == "health_check" else {"check": "app.store:ping", key: value}
    with pytest.raises(PumaConfigError) as info:
        parse_config({"puma_services": {"a": {"prefix": "/a", block: given}}})
    assert f"{block}.{key}" in str(info.value) and "below 0.01 s" in str(info.value)
    assert "greater than or equal to 0" not in str(info.value)


def test_config_a_shorter_interval_alone_shortens_the_default_timeout_to_fit():
    check = parse_config({"puma_services": {"a": {"prefix": "/a", "health_check": {"interval_s": "500ms"}}}})
    assert check.puma_services["a"].health_check.timeout_s == 0.5


def test_config_health_checks_are_on_by_default_every_10_s_with_2_s_to_answer():
    service = parse_config({"puma_services": {"a": "/a"}}).puma_services["a"]
    assert (service.health_check.interval_s, service.health_check.timeout_s) == (10.0, 2.0)


@pytest.mark.parametrize("prefix", ["/_puma", "/_puma/status", "/_puma/mine", "/_pumas"])
def test_config_refuses_prefixes_reserved_for_pumas_own_paths(prefix: str) -> None:
    with pytest.raises(PumaConfigError) as caught:
        parse_config({"puma_services": {"hello": {"prefix": prefix}}})
    assert "puma_services.hello.prefix" in str(caught.value) and "reserved" in str(caught.value)


@pytest.mark.parametrize(("setting", "needle"), [
    ({"instances": "two"}, "whole number"), ({"instances": [1, 2]}, "whole number"),
    ({"instances": None}, "whole number"), ({"autoscale": "on"}, "not a string"),
    ({"circuit_breaker": [1]}, "not a list"), ({"health_check": 5}, "not a number"),
    ({"autoscale": True}, "not true/false"),
])
def test_config_type_errors_name_the_key_and_value_not_pydantic_classes(setting: dict, needle: str) -> None:
    with pytest.raises(PumaConfigError) as caught:
        parse_config({"puma_services": {"hello": {"prefix": "/hello", **setting}}})
    message = str(caught.value)
    key = next(iter(setting))
    assert f"puma_services.hello.{key}" in message and needle in message, message
    assert "instance of" not in message and "Instances" not in message and "Autoscale" not in message, message



# Values that parse but cannot mean what was written: refused with the path, the value and the fix.
@pytest.mark.parametrize(("setting", "needles"), [
    ({"timeout_s": 0}, ["puma_services.hello.timeout_s", "no timeout", "e.g. 15"]),
    ({"timeout_s": "0s"}, ["puma_services.hello.timeout_s", "no timeout"]),
    ({"timeout_s": "0ms"}, ["puma_services.hello.timeout_s", "no timeout"]),
    ({"content_types": ["json"]}, ["puma_services.hello.content_types", "'json' -> 'application/json'"]),
    ({"content_types": ["application/json; charset=utf-8"]}, ["content_types", "no parameters"]),
    ({"content_types": ["Application/JSON"]}, ["content_types", "lower case"]),
    ({"content_types": ["form", "text"]}, ["'form' -> 'application/x-www-form-urlencoded'", "'text' -> 'text/plain'"]),
])
def test_config_refuses_values_that_cannot_mean_what_was_written(setting: dict, needles: list[str]) -> None:
    with pytest.raises(PumaConfigError) as caught:
        parse_config({"puma_services": {"hello": {"prefix": "/hello", **setting}}})
    for needle in needles:
        assert needle in str(caught.value), str(caught.value)


def test_config_keeps_media_types_and_short_timeouts_that_mean_what_they_say() -> None:
    service = parse_config({"puma_services": {"hello": {
        "prefix": "/hello", "timeout_s": "250ms", "content_types": ["application/json", "application/vnd.api+json"]}}}
    ).puma_services["hello"]
    assert service.timeout_s == 0.25 and service.content_types == ("application/json", "application/vnd.api+json")


@pytest.mark.parametrize(("setting", "needle"), [
    ({"puma_services": {"a": {"prefix": "/a", "timeout_s": 0.0004}}}, "below 1 ms"),
    ({"puma_services": {"a": {"prefix": "/a", "timeout_s": "0.5ms"}}}, "below 1 ms"),
    ({"http_connection_manager": {"idle_timeout": 0.0001}}, "http_connection_manager.idle_timeout: 0.0001 s is below 1 ms"),
    ({"puma_services": {"a": {"prefix": "/a", "timeout_s": 1e12}}}, "longer than any duration"),
    ({"puma_services": {"a": {"prefix": "/a", "timeout_s": float("inf")}}}, "longer than any duration"),
    ({"http_connection_manager": {"drain_timeout": "99999999h"}}, "longer than any duration"),
    ({"puma_services": {"a": {"prefix": "/a", "timeout_s": True}}}, "True is not a duration"),
])
def test_config_refuses_durations_envoy_would_write_as_something_else(setting: dict, needle: str) -> None:
    with pytest.raises(PumaConfigError, match=needle):
        parse_config(setting)


def test_config_zero_still_turns_off_what_says_it_can_be_off() -> None:
    hcm = parse_config({"http_connection_manager": {"request_timeout": 0, "request_headers_timeout": "0s"}})
    assert (hcm.http_connection_manager.request_timeout, hcm.http_connection_manager.request_headers_timeout) == (0, 0)


@pytest.mark.parametrize("instances, says", [
    (1000000, "1000000 is more than 32 instances"), (33, "33 is more than 32"),
    ({"min": 1, "max": 500}, "max 500 is more than 32"), ({"min": 64}, "min 64 is more than 32")])
def test_config_instances_beyond_the_host_cap_are_refused_naming_it(instances: object, says: str) -> None:
    with pytest.raises(PumaConfigError) as info:
        parse_config({"puma_services": {"hello": {"prefix": "/hello", "instances": instances}}})
    assert "puma_services.hello.instances" in str(info.value) and says in str(info.value), str(info.value)


def test_config_instances_cap_is_the_one_scale_uses() -> None:
    from puma.config import MAX_INSTANCES, check_scale

    cfg = parse_config({"puma_services": {"hello": {"prefix": "/hello", "instances": MAX_INSTANCES}}})
    service = cfg.puma_services["hello"]
    assert check_scale("hello", service, MAX_INSTANCES) == MAX_INSTANCES
    with pytest.raises(PumaScaleError, match=f"outside 1-{MAX_INSTANCES}"):
        check_scale("hello", service, MAX_INSTANCES + 1)


@pytest.mark.parametrize(("prefix", "normal"), [
    ("/a//b", "/a/b"), ("//a", "/a"), ("/f/../g", "/g"), ("/a/./b", "/a/b"), ("/a/.", "/a"),
    ("/shop/cart/..", "/shop"), ("/x/y/../../z", "/z"), ("/..", "/"), ("/a/b/c/./../d", "/a/b/d"),
])
def test_config_refuses_a_prefix_envoy_never_routes_to_naming_its_normal_form(prefix: str, normal: str) -> None:
    """Envoy merges slashes and resolves dot segments before routing: such a prefix is unreachable."""
    with pytest.raises(PumaConfigError) as err:
        parse_config({"puma_services": {"f": prefix}})
    [(path, message)] = err.value.problems
    assert path == "puma_services.f.prefix" and "not a normalised path" in message and f"write {normal!r}" in message


@pytest.mark.parametrize("prefix", ["/a.b", "/..a", "/a..", "/.well-known", "/v1.2/x", "/a/b~c"])
def test_config_keeps_prefixes_with_dots_that_are_not_dot_segments(prefix: str) -> None:
    assert parse_config({"puma_services": {"f": prefix}}).puma_services["f"].prefix == prefix


@pytest.mark.parametrize(("given", "meant"), [("loans", "/loans"), ("my loans", "/my-loans"),
                                              ("book_index/search x", "/book_index/search-x")])
def test_config_a_prefix_that_is_no_path_is_corrected_from_what_was_written(given, meant):
    """A prefix written without its '/' is suggested as itself with one, not as '/agent' whatever it was."""
    with pytest.raises(PumaConfigError) as err:
        parse_config({"puma_services": {"a": {"prefix": given}}})
    assert f"{given!r} is not a URL prefix; write it like {meant!r}" in str(err.value)
