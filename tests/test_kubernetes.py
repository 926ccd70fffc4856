"""Kubernetes manifests: valid against the official schemas, every config key mapped or reported,
the committed chatbot manifests not stale. No cluster runs here: everything is checked offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from puma import PumaConfigError, kubernetes, parse_config

ROOT = Path(__file__).parents[1]
COMMITTED = ROOT / "deploy" / "kubernetes"
RENDER_CHATBOT = ["render", "--target", "kubernetes", "chatbot/puma_app.py", "--image", "puma-chatbot:latest",
                  "--namespace", "chatbot"]
# 1.30 is the first release whose preStop `sleep` action is on by default; the last is the newest schema.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

# Every Figure 4 key and per-service setting, set to something other than its default.
EVERYTHING = {
    "load_balancer": "least_request",
    "logging": {"name": "file", "config": {"path": "/var/log/envoy/access.log"}, "filter": {"status_code_min": 400}},
    "rate_limit": {"requests_per_s": 50, "burst": 100},
    "dynamodb": {"endpoint": "https://dynamodb.eu-west-1.amazonaws.com", "region": "eu-west-1"},
    "http_connection_manager": {"idle_timeout": "60s", "drain_timeout": "20s", "rds": False,
                                "tracing": {"random_sampling": 5}, "max_request_bytes": 2 << 20},
    "listener": {"host": "127.0.0.1", "port": 9000},
    "admin_port": 9911,
    "secret": "an-inline-deployment-secret",
    "envoy_concurrency": 2,
    "jobs": [{"name": "migrate", "command": ["app", "migrate"]}, {"name": "seed", "command": ["app", "seed"]}],
    "puma_services": {
        "front_page": {"prefix": "/", "resources": {"cpu": 0.1, "memory_mib": 64}},
        "agent": {"prefix": "/agent", "instances": {"min": 2, "max": 6}, "timeout_s": 30, "idempotent": True,
                  "warmup": "app:warm", "cpu_bound": True, "threads": 4, "max_body_bytes": 65536,
                  "autoscale": {"target_in_flight": 3, "upscale_delay_s": "2s", "downscale_delay_s": "2m",
                                "target_cpu_percent": 60},
                  "resources": {"cpu": "1500m", "memory_mib": 768, "cpu_limit": 2, "memory_limit_mib": 1024},
                  "circuit_breaker": {"max_requests": 50},
                  "health_check": {"interval_s": 3, "timeout_s": 1.5, "unhealthy_threshold": 4}},
        "policy": {"prefix": "/policy", "instances": 2, "lb_policy": "ring_hash", "hash_on": {"header": "x-session-id"}},
        "batch": {"prefix": "/batch", "instances": {"min": 0, "max": 3}},
    },
}


def _render(conf: dict, **options) -> kubernetes.Manifests:
    return kubernetes.render(parse_config(conf), kubernetes.Options(app="app.py", **options))


def _objects(manifests: kubernetes.Manifests, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in manifests.objects if o["kind"] == kind}


def _container(deployment: dict) -> dict:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _envoy_doc(manifests: kubernetes.Manifests) -> dict:
    return yaml.safe_load(_objects(manifests, "ConfigMap")["envoy"]["data"]["envoy.yaml"])


def _chatbot_files(tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "k8s"
    result = subprocess.run([sys.executable, "-m", "puma.cli", *RENDER_CHATBOT, "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return {p.name: p.read_text() for p in sorted(out.glob("*.yaml"))}


# --- validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("autoscale_on", kubernetes.AUTOSCALE_ON)
def test_kubernetes_every_object_validates_against_the_official_schema(version, autoscale_on):
    manifests = _render(EVERYTHING, autoscale_on=autoscale_on)
    # Through YAML and back, as kubectl reads the files.
    text = "---\n".join(kubernetes.files(manifests).values())
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == len(manifests.objects) >= 15
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_kubernetes_committed_chatbot_manifests_validate(version):
    docs = [d for path in sorted(COMMITTED.glob("*.yaml")) for d in yaml.safe_load_all(path.read_text())]
    assert {d["kind"] for d in docs} >= {"Namespace", "Job", "ConfigMap", "Deployment", "Service",
                                         "PodDisruptionBudget"}
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_kubernetes_schema_check_catches_a_misspelt_field():
    # The check above can fail: a field Kubernetes does not know is refused.
    deployment = _objects(_render(EVERYTHING), "Deployment")["agent"]
    _container(deployment)["readinesProbe"] = _container(deployment).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_kubernetes_committed_chatbot_manifests_are_not_stale(tmp_path):
    fresh = _chatbot_files(tmp_path)
    committed = {p.name: p.read_text() for p in sorted(COMMITTED.glob("*.yaml"))}
    hint = "deploy/kubernetes is stale: run `puma " + " ".join(RENDER_CHATBOT) + " --out deploy/kubernetes`"
    assert sorted(fresh) == sorted(committed), hint
    for name in fresh:
        assert fresh[name] == committed[name], f"{name}: {hint}"


def test_kubernetes_kubectl_reads_every_committed_object(tmp_path):
    # kubectl's --dry-run=client still asks an API server for its resource types, so offline it
    # can only parse; `--local` maps every object of the directory without a server.
    kubectl = Path(sys.executable).parent / "kubectl"
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "no-kubeconfig")}
    result = subprocess.run([str(kubectl), "label", "--local", "-f", str(COMMITTED), "-o", "name",
                             "--server=http://127.0.0.1:1", "checked=offline"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    docs = [d for path in sorted(COMMITTED.glob("*.yaml")) for d in yaml.safe_load_all(path.read_text())]
    assert len(result.stdout.split()) == len(docs)
    assert "deployment.apps/agent" in result.stdout and "namespace/chatbot" in result.stdout


def test_kubernetes_render_is_deterministic():
    assert kubernetes.files(_render(EVERYTHING)) == kubernetes.files(_render(EVERYTHING))


# --- what maps to what -------------------------------------------------------------------------


def test_kubernetes_service_runs_puma_serve_with_probes_on_healthz():
    deployment = _objects(_render(EVERYTHING), "Deployment")["agent"]
    container = _container(deployment)
    assert container["command"] == ["puma", "serve", "app.py", "--service", "agent", "--port", "8000"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    # health_check's timing is the readiness probe's
    assert container["readinessProbe"]["periodSeconds"] == 3
    assert container["readinessProbe"]["timeoutSeconds"] == 2
    assert container["readinessProbe"]["failureThreshold"] == 4


def test_kubernetes_resources_become_requests_and_limits():
    deployments = _objects(_render(EVERYTHING), "Deployment")
    assert _container(deployments["agent"])["resources"] == {
        "requests": {"cpu": "1500m", "memory": "768Mi"}, "limits": {"memory": "1024Mi", "cpu": "2"}}
    # memory limit defaults to the request; no CPU limit unless given
    assert _container(deployments["front-page"])["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}


def test_kubernetes_termination_waits_for_envoy_then_the_drain():
    manifests = _render(EVERYTHING)  # drain_timeout 20 s
    for deployment in _objects(manifests, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] >= kubernetes.PRESTOP_S + 20
    agent = _container(_objects(manifests, "Deployment")["agent"])
    assert agent["lifecycle"]["preStop"] == {"sleep": {"seconds": kubernetes.PRESTOP_S}}
    front = _container(_objects(manifests, "Deployment")["envoy"])
    assert front["command"][front["command"].index("--drain-time-s") + 1] == "20"
    assert "drain_listeners?graceful" in front["lifecycle"]["preStop"]["exec"]["command"][-1]


def test_kubernetes_hpa_only_for_autoscaled_services_and_it_owns_replicas():
    manifests = _render(EVERYTHING)
    hpas, deployments = _objects(manifests, "HorizontalPodAutoscaler"), _objects(manifests, "Deployment")
    assert sorted(hpas) == ["agent", "batch"]
    agent = hpas["agent"]["spec"]
    assert (agent["minReplicas"], agent["maxReplicas"]) == (2, 6)
    assert agent["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 60}}}]
    assert agent["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 2
    assert agent["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 120
    assert "replicas" not in deployments["agent"]["spec"]  # an apply would undo the HPA's scaling
    assert deployments["policy"]["spec"]["replicas"] == 2
    assert hpas["batch"]["spec"]["minReplicas"] == 1


def test_kubernetes_hpa_on_in_flight_uses_envoy_metric_per_cluster():
    hpa = _objects(_render(EVERYTHING, autoscale_on="in-flight"), "HorizontalPodAutoscaler")["agent"]
    [metric] = hpa["spec"]["metrics"]
    assert metric["external"]["metric"] == {"name": "puma_in_flight",
                                            "selector": {"matchLabels": {"envoy_cluster_name": "agent"}}}
    assert metric["external"]["target"] == {"type": "AverageValue", "averageValue": "3"}
    fractional = _render({"puma_services": {"a": {"prefix": "/a", "instances": {"min": 1, "max": 2},
                                                  "autoscale": {"target_in_flight": 2.5}}}}, autoscale_on="in-flight")
    [metric] = _objects(fractional, "HorizontalPodAutoscaler")["a"]["spec"]["metrics"]
    assert metric["external"]["target"]["averageValue"] == "2500m"


def test_kubernetes_pdb_where_a_service_can_run_two_or_more():
    manifests = _render(EVERYTHING)
    assert sorted(_objects(manifests, "PodDisruptionBudget")) == ["agent", "batch", "envoy", "policy"]
    assert all(p["spec"] == {"maxUnavailable": 1, "selector": p["spec"]["selector"]}
               for p in _objects(manifests, "PodDisruptionBudget").values())
    single = _render({"puma_services": {"a": "/a"}}, envoy_replicas=1)
    assert _objects(single, "PodDisruptionBudget") == {}
    # autoscaling switched off: only `min` ever runs
    fixed = _render({"puma_services": {"a": {"prefix": "/a", "instances": {"min": 1, "max": 4},
                                             "autoscale": {"enabled": False}}}}, envoy_replicas=1)
    assert _objects(fixed, "PodDisruptionBudget") == {} and _objects(fixed, "HorizontalPodAutoscaler") == {}
    assert _objects(fixed, "Deployment")["a"]["spec"]["replicas"] == 1


def test_kubernetes_envoy_clusters_resolve_headless_services_and_keep_traffic_settings():
    manifests = _render(EVERYTHING)
    services = _objects(manifests, "Service")
    assert services["agent"]["spec"]["clusterIP"] == "None"
    assert services["envoy"]["spec"]["ports"][0]["port"] == 9000
    doc = _envoy_doc(manifests)
    clusters = {c["name"]: c for c in doc["static_resources"]["clusters"]}
    [endpoint] = clusters["front_page"]["load_assignment"]["endpoints"][0]["lb_endpoints"]
    assert endpoint["endpoint"]["address"]["socket_address"] == {
        "address": "front-page.puma.svc.cluster.local", "port_value": 8000}
    assert clusters["agent"]["cluster_type"]["typed_config"]["dns_refresh_rate"] == "1.000s"
    assert clusters["agent"]["circuit_breakers"]["thresholds"][0]["max_requests"] == 50
    assert clusters["policy"]["lb_policy"] == "RING_HASH"
    assert "load_balancing_policy" in clusters["agent"]  # least_request, full scan
    routes = {r["name"]: r for r in doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
              ["typed_config"]["route_config"]["virtual_hosts"][0]["routes"]}
    assert routes["agent"]["route"]["timeout"] == "30.000s"
    retry_on = routes["agent"]["route"]["retry_policy"]["retry_on"].split(",")
    assert "gateway-error" in retry_on and "reset" in retry_on and "5xx" not in retry_on  # never a 500
    assert routes["policy"]["route"]["hash_policy"] == [{"header": {"header_name": "x-session-id"}}]
    assert doc["admin"]["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 9911}


def test_kubernetes_every_pod_reads_the_secret_by_reference_never_inlined():
    manifests = _render(EVERYTHING)
    text = "".join(kubernetes.files(manifests).values())
    assert "an-inline-deployment-secret" not in text
    pods = [o["spec"]["template"]["spec"] for o in manifests.objects if o["kind"] in ("Deployment", "Job")]
    containers = [c for pod in pods if "envoy" not in str(pod["containers"][0]["command"][:1])
                  for c in pod["containers"] + pod.get("initContainers", [])]
    assert len(containers) == 6  # four services, two job steps
    for container in containers:
        [secret] = [e for e in container["env"] if e["name"] == "PUMA_SECRET"]
        # the app's config relies on a secret, so a missing Secret stops the pod rather than the app
        assert secret["valueFrom"]["secretKeyRef"] == {"name": "puma", "key": "PUMA_SECRET", "optional": False}
        assert container["envFrom"] == [{"secretRef": {"name": "puma", "optional": True}}]
    optional = _render({"puma_services": {"a": "/a"}})
    [secret] = [e for e in _container(_objects(optional, "Deployment")["a"])["env"] if e["name"] == "PUMA_SECRET"]
    assert secret["valueFrom"]["secretKeyRef"]["optional"] is True


def test_kubernetes_jobs_run_in_order_in_one_job_named_by_content():
    manifests = _render(EVERYTHING)
    [(name, job)] = _objects(manifests, "Job").items()
    pod = job["spec"]["template"]["spec"]
    assert [c["command"] for c in pod["initContainers"] + pod["containers"]] == [["app", "migrate"], ["app", "seed"]]
    assert pod["restartPolicy"] == "Never"
    changed = dict(EVERYTHING, jobs=[{"name": "migrate", "command": ["app", "migrate", "--to", "head"]}])
    assert list(_objects(_render(changed), "Job")) != [name]
    assert list(_objects(_render(EVERYTHING, image="other:1"), "Job")) != [name]
    assert _objects(_render({"puma_services": {"a": "/a"}}), "Job") == {}


def test_kubernetes_front_config_change_rolls_the_envoy_pods():
    def digest(conf):
        return _objects(_render(conf), "Deployment")["envoy"]["spec"]["template"]["metadata"]["annotations"][
            "puma/config-sha256"]

    assert digest(EVERYTHING) == digest(EVERYTHING)
    assert digest(EVERYTHING) != digest(dict(EVERYTHING, rate_limit={"requests_per_s": 60}))


# --- what is reported ------------------------------------------------------------------------


def test_kubernetes_reports_every_key_it_cannot_map():
    manifests = _render(EVERYTHING)
    reported = [path for path, _ in manifests.not_mapped]
    assert reported == [
        "puma_services.agent.warmup", "puma_services.agent.cpu_bound",
        "puma_services.agent.autoscale.target_in_flight", "puma_services.batch.autoscale.target_in_flight",
        "puma_services.batch.instances.min", "rate_limit", "logging.config.path", "listener.host",
        "http_connection_manager.rds", "secret", "jobs"]
    # each note is in its Deployment's annotation and in the comments of the file holding it
    agent = _objects(manifests, "Deployment")["agent"]
    assert "puma_services.agent.cpu_bound" in agent["metadata"]["annotations"]["puma/not-mapped"]
    files = kubernetes.files(manifests)
    assert "#   puma_services.agent.warmup:" in files["30-service-agent.yaml"]
    assert "#   rate_limit: a token bucket in each of the 2 front Envoy replicas" in files["20-envoy.yaml"]


def test_kubernetes_reports_nothing_for_keys_that_map():
    manifests = _render({"load_balancer": "maglev", "puma_services": {
        "a": {"prefix": "/a", "instances": 3, "hash_on": {"cookie": "sid"}, "timeout_s": 3},
        "b": {"prefix": "/b", "circuit_breaker": {"max_connections": 5}, "health_check": {"interval_s": 1}}},
        "rate_limit": {"requests_per_s": 5}, "logging": {"name": "stdout"}}, envoy_replicas=1)
    assert manifests.not_mapped == []
    assert "not-mapped" not in "".join(kubernetes.files(manifests).values())


@pytest.mark.parametrize(("conf", "options", "path", "words"), [
    ({"dynamodb": {}}, {}, "dynamodb.local", "moto server does not run on Kubernetes"),
    ({"listener": {"port": 0}}, {}, "listener.port", "listens on 8080"),
    ({"puma_services": {"s": {"prefix": "/s", "instances": {"min": 1, "max": 2},
                              "autoscale": {"target_cpu_percent": 50}}}}, {"autoscale_on": "in-flight"},
     "puma_services.s.autoscale.target_cpu_percent", "unused"),
    ({"puma_services": {"s": {"prefix": "/s", "instances": {"min": 1, "max": 2},
                              "autoscale": {"downscale_delay_s": "2h"}}}}, {},
     "puma_services.s.autoscale.downscale_delay_s", "at most 3600 s"),
])
def test_kubernetes_reports_a_key_kubernetes_cannot_express(conf, options, path, words):
    notes = dict(_render(conf, **options).not_mapped)
    assert words in notes[path]


# --- names ------------------------------------------------------------------------------------


def test_kubernetes_service_names_become_dns_labels():
    manifests = _render({"puma_services": {"My_Service": "/m"}})
    assert "my-service" in _objects(manifests, "Deployment")
    assert _container(_objects(manifests, "Deployment")["my-service"])["command"][4] == "My_Service"


@pytest.mark.parametrize(("services", "path", "words"), [
    ({"a_b": "/x", "a-b": "/y"}, "puma_services.a-b", "the name of service 'a_b'"),
    ({"envoy": "/e"}, "puma_services.envoy", "the name of the front Envoy"),
    ({"trailing_": "/t"}, "puma_services.trailing_", "no DNS label"),
    ({"x" * 64: "/long"}, f"puma_services.{'x' * 64}", "at most 63"),
])
def test_kubernetes_refuses_names_kubernetes_would_refuse(services, path, words):
    with pytest.raises(PumaConfigError) as err:
        _render({"puma_services": services})
    [(where, message)] = err.value.problems
    assert where == path and words in message


@pytest.mark.parametrize(("options", "path"), [
    ({"namespace": "My_NS"}, "--namespace"), ({"namespace": "a.b"}, "--namespace"), ({"secret": "-x"}, "--secret"),
    ({"secret": "Puma"}, "--secret"), ({"cluster_domain": "cluster_local"}, "--cluster-domain"),
    ({"image": ""}, "--image"), ({"image": "my app:1"}, "--image"),
    ({"autoscale_on": "memory"}, "--autoscale-on"), ({"envoy_replicas": 0}, "--envoy-replicas"),
])
def test_kubernetes_refuses_bad_options_naming_the_flag(options, path):
    with pytest.raises(PumaConfigError) as err:
        _render({"puma_services": {"a": "/a"}}, **options)
    assert [p for p, _ in err.value.problems] == [path]


def test_kubernetes_accepts_dotted_secret_and_cluster_domain():
    manifests = _render({"puma_services": {"a": "/a"}}, secret="app.settings", cluster_domain="corp.internal")
    env = _container(_objects(manifests, "Deployment")["a"])["env"]
    assert env[0]["value"] == "http://envoy.puma.svc.corp.internal:8081"  # the front's internal listener
    assert env[1]["valueFrom"]["secretKeyRef"]["name"] == "app.settings"


# --- config ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("resources", "words"), [
    ({"cpu": "half"}, "not a CPU amount; write cores (0.5) or millicores ('500m')"),
    ({"cpu": 500}, "for millicores write '500m'"),
    ({"cpu": 0.5, "cpu_limit": "250m"}, "cpu_limit 0.25 is below cpu (0.5)"),
    ({"memory_mib": 512, "memory_limit_mib": 256}, "memory_limit_mib 256 is below memory_mib (512)"),
    ({"memory": "512Mi"}, "unknown key"),
])
def test_config_resources_errors_name_path_value_and_fix(resources, words):
    with pytest.raises(PumaConfigError) as err:
        parse_config({"puma_services": {"a": {"prefix": "/a", "resources": resources}}})
    assert err.value.problems[0][0].startswith("puma_services.a.resources")
    assert words in str(err.value)


@pytest.mark.parametrize(("jobs", "words"), [
    ([{"name": "Migrate", "command": ["x"]}], "'Migrate' is not a job name"),
    ([{"name": "m", "command": []}], "is not a command"),
    ([{"name": "m", "command": ["x"]}, {"name": "m", "command": ["y"]}], "used more than once"),
    ([{"name": "m"}], "required key is missing"),
])
def test_config_jobs_errors_name_the_fix(jobs, words):
    with pytest.raises(PumaConfigError, match="jobs") as err:
        parse_config({"jobs": jobs})
    assert words in str(err.value)


# --- the command ------------------------------------------------------------------------------


def _puma(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def _app(tmp_path: Path, services: dict) -> Path:
    app = tmp_path / "app.py"
    app.write_text("from puma import puma_config, puma_service, puma_start\n"
                   f"puma_config({{'puma_services': {services!r}}})\n"
                   f"puma_service({{name: 'os.path:basename' for name in {list(services)!r}}})\n"
                   "if __name__ == '__main__':\n    puma_start()\n")
    return app


def test_kubernetes_cli_reports_unmapped_keys_on_stderr_and_writes_the_directory(tmp_path):
    _app(tmp_path, {"crunch": {"prefix": "/crunch", "cpu_bound": True}, "web": "/"})
    result = _puma("render", "--target", "kubernetes", "app.py", "--out", "k8s", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 config key(s) not mapped to Kubernetes" in result.stderr
    assert "puma_services.crunch.cpu_bound: the pod's process still runs SCHED_BATCH" in result.stderr
    names = sorted(p.name for p in (tmp_path / "k8s").iterdir())
    assert names == ["00-namespace.yaml", "20-envoy.yaml", "30-service-crunch.yaml", "30-service-web.yaml"]
    deployment = yaml.safe_load_all((tmp_path / "k8s" / "30-service-crunch.yaml").read_text())
    assert next(deployment)["spec"]["template"]["spec"]["containers"][0]["command"][2] == "app.py"


def test_kubernetes_cli_removes_files_of_services_no_longer_rendered_and_keeps_others(tmp_path):
    out = tmp_path / "k8s"
    _app(tmp_path, {"a": "/a", "b": "/b"})
    assert _puma("render", "--target", "kubernetes", "app.py", "--out", "k8s", cwd=tmp_path).returncode == 0
    (out / "my-ingress.yaml").write_text("apiVersion: networking.k8s.io/v1\nkind: Ingress\n")
    _app(tmp_path, {"a": "/a"})
    assert _puma("render", "--target", "kubernetes", "app.py", "--out", "k8s", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "00-namespace.yaml", "20-envoy.yaml", "30-service-a.yaml", "my-ingress.yaml"]


def test_kubernetes_cli_to_stdout_is_one_multi_document_stream(tmp_path):
    _app(tmp_path, {"a": {"prefix": "/a", "instances": {"min": 2, "max": 5}}})
    result = _puma("render", "--target", "kubernetes", "app.py", "--namespace", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["Namespace", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
                                         "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]
    assert {d["metadata"].get("namespace", d["metadata"]["name"]) for d in docs} == {"shop"}


@pytest.mark.parametrize(("args", "words"), [
    (["--namespace", "Shop"], "--namespace: 'Shop' is not a Kubernetes name"),
    (["--envoy-replicas", "0"], "--envoy-replicas: 0: run at least one front Envoy"),
    (["--out", "app.py"], "is a file; give a directory (one file per component) or a .yaml file name"),
])
def test_kubernetes_cli_errors_name_the_flag_without_traceback(tmp_path, args, words):
    _app(tmp_path, {"a": "/a"})
    result = _puma("render", "--target", "kubernetes", "app.py", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert words in result.stderr and "Traceback" not in result.stderr


def test_kubernetes_cli_out_with_a_yaml_name_writes_one_multi_document_file(tmp_path):
    _app(tmp_path, {"a": "/a"})
    result = _puma("render", "--target", "kubernetes", "app.py", "--out", "all.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all((tmp_path / "all.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["Namespace", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
                                         "Deployment", "Service"]


def test_kubernetes_options_with_another_target_are_refused(tmp_path):
    _app(tmp_path, {"a": "/a"})
    result = _puma("render", "app.py", "--target", "compose", "--namespace", "shop", "--image", "x:1", cwd=tmp_path)
    assert result.returncode == 1
    assert "--image, --namespace only apply to --target kubernetes" in result.stderr


def test_kubernetes_internal_services_only_on_the_fronts_internal_port():
    """Pods call each other through the front's internal listener (PUMA_URL); the client-facing
    `http` listener routes only public services, and no secret is written into the ConfigMap."""
    conf = {"secret": "never-in-a-configmap", "puma_services": {
        "api": {"prefix": "/api", "methods": ["POST"]}, "db": {"prefix": "/db", "visibility": "internal"}}}
    manifests = _render(conf)
    assert "never-in-a-configmap" not in "".join(kubernetes.files(manifests).values())
    doc = kubernetes.envoy_config(parse_config(conf), kubernetes.Options(app="app.py"))
    by_port = {ln["address"]["socket_address"]["port_value"]: ln for ln in doc["static_resources"]["listeners"]}
    def prefixes(listener: dict) -> set:
        routes = listener["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]["virtual_hosts"][0]["routes"]
        return {r["match"].get("path_separated_prefix") for r in routes if "route" in r}
    assert prefixes(by_port[8080]) == {"/api"} and prefixes(by_port[8081]) == {"/api", "/db"}
    front = _objects(manifests, "Service")["envoy"]
    assert {p["name"]: p["port"] for p in front["spec"]["ports"]} == {"http": 8080, "internal": 8081}
    env = _container(_objects(manifests, "Deployment")["api"])["env"]
    assert env[0] == {"name": "PUMA_URL", "value": "http://envoy.puma.svc.cluster.local:8081"}
