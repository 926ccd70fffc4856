"""The `puma` command: run, render, status, bench, loc-report."""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from . import envoy
from .app import App
from .errors import PumaError

log = logging.getLogger("puma")

APP_HELP = "the application script, e.g. examples/hello_app.py (it calls puma_config and puma_service)"


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    level = getattr(logging, args.log_level.upper())
    # PUMA's own lifecycle at the chosen level; other libraries only when they warn (or at debug).
    logging.basicConfig(level=min(level, logging.WARNING) if level == logging.DEBUG else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("puma").setLevel(level)
    if not getattr(args, "func", None):
        parser.print_help()
        sys.exit(2)
    try:
        args.func(args)
    except PumaError as exc:  # errors for people: the message, no traceback
        print(f"puma: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C while starting: what had started is stopped
        print("puma: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="puma", description="Run a Python app as Envoy-routed, autoscaled micro-services.")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                   help="how much PUMA logs (default info: lifecycle events such as instances starting "
                        "and scaling decisions; other libraries log only warnings unless debug)")
    sub = p.add_subparsers(title="commands")

    run = sub.add_parser("run", help="start an app's services behind Envoy and block until Ctrl-C",
                         description="Run APP.py (which calls puma_config and puma_service) as a PUMA deployment.")
    run.add_argument("app", type=Path, help=APP_HELP)
    run.add_argument("--host", help="listener address (default from config: 127.0.0.1)")
    run.add_argument("--port", type=int, help="listener port (default from config: 8080; 0 picks one)")
    run.set_defaults(func=cmd_run)

    render = sub.add_parser("render", help="print the Envoy config for an app (validates with envoy --mode validate)",
                            description="Print the Envoy bootstrap config APP.py's services render to: one "
                                        "self-contained YAML file (static clusters), e.g. for docker-compose; "
                                        "or, with --target kubernetes, manifests for `kubectl apply -f DIR`.")
    render.add_argument("app", type=Path, help=APP_HELP)
    render.add_argument("--target", choices=["local", "compose", "kubernetes"], default="local",
                        help="local: instances on 127.0.0.1 ports; compose: one DNS name per service (port 8000); "
                             "kubernetes: manifests for `kubectl apply -f DIR` (see --out)")
    render.add_argument("--out", type=Path, help="write to this file instead of stdout (kubernetes: a "
                                                 "directory, one file per component, or one FILE.yaml)")
    _add_kubernetes_options(render)
    render.set_defaults(func=cmd_render)

    status = sub.add_parser("status", help="services, instances, in-flight, requests/s, p50/p99 and errors of a running deployment",
                            description="Print what GET URL/_puma/status answers: per service its instances, "
                                        "in-flight, requests/s, p50/p99, server errors (start-up failures apart) "
                                        "and recent events. Prometheus reads the same at URL/_puma/metrics.")
    status.add_argument("--url", default="http://127.0.0.1:8080", help="the deployment's listener URL")
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.set_defaults(func=cmd_status)

    serve = sub.add_parser("serve", help="serve one service of an app on HOST:PORT, without Envoy (one container)",
                           description="Run one instance of one service, e.g. in a container behind a separate Envoy "
                                       "(see docker-compose.yml and `puma render --target compose`).")
    serve.add_argument("app", type=Path, help=APP_HELP)
    serve.add_argument("--service", required=True, metavar="NAME",
                       help="which of the app's services to serve (a name from its puma_services)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0, for containers)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000, as the "
                       "compose Envoy config expects)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run instances of a service on this host for a PUMA deployment elsewhere",
                            description="Join a running deployment: its Envoy routes to the instances started here.")
    worker.add_argument("--join", required=True, metavar="URL", help="the deployment's URL, e.g. http://10.0.0.1:8080")
    worker.add_argument("--service", required=True, help="which service to serve")
    worker.add_argument("--instances", type=int, default=1, help="how many instances (default 1)")
    worker.add_argument("--host", default="127.0.0.1", help="address of this host the core can reach")
    worker.add_argument("--token", help="the deployment's secret (default $PUMA_SECRET)")
    worker.set_defaults(func=cmd_worker)

    bench = sub.add_parser("bench", help="benchmarks (write JSON/CSV and PNG plots)")
    bench_sub = bench.add_subparsers(title="benchmarks")
    proxy = bench_sub.add_parser("proxy", help="latency/throughput of a trivial service direct vs through Envoy")
    proxy.add_argument("--out", type=Path, required=True, help="directory for JSON and PNG")
    proxy.add_argument("--requests", type=int, default=5000, help="requests per measured series")
    proxy.add_argument("--concurrency", type=int, default=8, help="clients for the throughput series")
    proxy.set_defaults(func=cmd_bench_proxy)

    bmap = bench_sub.add_parser("map", help="the paper's Figure 7: builtin map vs Pool.map vs puma_map vs map_reduce")
    bmap.add_argument("--out", type=Path, required=True, help="directory for CSV, JSON and PNG plots")
    bmap.add_argument("--quick", action="store_true", help="small sizes and one repetition (under a minute)")
    bmap.add_argument("--instances", type=int, default=os.cpu_count() or 2, help="PUMA instances = Pool processes")
    bmap.add_argument("--repeats", type=int, default=5, help="repetitions per point (median and spread)")
    bmap.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                      help="data sizes of Figure 7a (default 100,1000,...,1000000; --quick: 100,1000,10000)")
    bmap.add_argument("--factorials", type=_int_list, default=None, metavar="K,K,...",
                      help="factorial inputs of Figure 7b (default 100,500,1000,1500; '' skips 7b)")
    bmap.set_defaults(func=_lazy("puma.bench.map"))

    auto = bench_sub.add_parser("autoscale", help="a bounded load step against a CPU-bound service; instances over time")
    auto.add_argument("--out", type=Path, required=True, help="directory for JSON and the PNG timeline")
    auto.add_argument("--quick", action="store_true", help="a shorter step")
    auto.set_defaults(func=_lazy("puma.bench.autoscale"))

    bremote = bench_sub.add_parser("remote", help="a call through puma.remote beside puma.call (latency, caller CPU)")
    bremote.add_argument("--out", type=Path, required=True, help="directory for remote.json and remote.png")
    bremote.add_argument("--requests", type=int, default=5000, help="calls per way (default 5000)")
    bremote.set_defaults(func=_lazy("puma.bench.remote"))

    faults = bench_sub.add_parser("faults", help="requests lost when instances are scaled down or killed under load")
    faults.add_argument("--out", type=Path, required=True, help="directory for faults.json and faults.png")
    faults.add_argument("--baseline", type=Path, help="faults.json of another run (e.g. an older revision) to plot beside")
    faults.set_defaults(func=_lazy("puma.bench.faults"))

    scale = bench_sub.add_parser("scale", help="start-up, idle CPU, memory and latency as a deployment grows to 1,000 instances",
                                 description="Deployments of 3, 10, 50, 250 and 1,000 trivial instances (beyond 250 on "
                                             "worker hosts in network namespaces), each measured from outside: start to "
                                             "all healthy, idle CPU and memory per component, p50/p99 of a trivial "
                                             "request, autoscale reaction, kill -9 to Envoy. Writes scale.json, "
                                             "scale.csv and scale*.png.")
    scale.add_argument("--out", type=Path, required=True, help="directory for scale.json, scale.csv and the PNG figures")
    scale.add_argument("--quick", action="store_true", help="two small deployments, short windows (about a minute)")
    scale.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                       help="instance counts (default 3,10,50,250,1000; --quick: 3,8)")
    scale.add_argument("--baseline", metavar="REV", help="also measure this git revision (exported), alternating with this one")
    scale.add_argument("--baseline-max", type=int, default=0, metavar="N",
                       help="measure the baseline only up to N instances (default: every size)")
    scale.add_argument("--workers", type=int, default=3,
                       help="worker hosts (network namespaces) for the instances beyond 250 (default 3; 0: all local)")
    scale.add_argument("--idle-s", type=float, default=10.0, help="seconds of idle CPU measured per deployment (default 10)")
    scale.add_argument("--settle-s", type=float, default=3.0, help="seconds after all healthy before the idle window (default 3)")
    scale.add_argument("--requests", type=int, default=2000, help="sequential requests for p50/p99 (default 2000)")
    scale.set_defaults(func=_lazy("puma.bench.scale"))

    loc = sub.add_parser("loc-report", help="lines of code added, retained and removed between two versions",
                         description="Compare two versions of a program (files or directories) by lines of "
                                     "code: no blanks, comments or docstrings; matched in order with difflib. "
                                     "With --whole, compare two deployments of one application as wholes: "
                                     "OLD and NEW are their entry points (a script, or a package with "
                                     "__main__.py), and every line under --root either one reaches counts.")
    loc.add_argument("old", type=Path, help="the program before (a file or a directory); with --whole, the "
                     "old deployment's entry point, e.g. legacy_socket_server")
    loc.add_argument("new", type=Path, help="the program after; with --whole, the new deployment's entry "
                     "point, e.g. chatbot/puma_app.py")
    loc.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    loc.add_argument("--pattern", default="*.py", help="which files of a directory to count (default *.py)")
    loc.add_argument("--whole", action="store_true", help="compare what each deployment's code reaches, in "
                     "every file (glue in shared modules included), rather than the two paths' own lines")
    loc.add_argument("--root", type=Path, default=Path("."), help="with --whole: the application's source "
                     "root (default: the current directory)")
    loc.add_argument("--framework", action="append", default=None, metavar="PACKAGE",
                     help="with --whole: a package that is the framework, not the application (not read; "
                          "default: puma); repeat for several")
    loc.add_argument("--apart", action="append", default=[], metavar="LABEL=NAME,...",
                     help="with --whole: count these new-only definitions (modules or module:qualname "
                          "prefixes) on their own line as a feature the old deployment has not, e.g. "
                          "'web UI=chatbot.webapp'; repeat for several")
    loc.add_argument("--details", action="store_true", help="with --whole: list each added definition")
    loc.set_defaults(func=cmd_loc_report)
    return p


def _lazy(module: str) -> Any:
    """A command whose implementation (and its heavy imports) loads only when it runs."""

    def run(args: argparse.Namespace) -> None:
        import importlib

        importlib.import_module(module).main(args)

    return run


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole numbers separated by commas, e.g. 100,1000") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: every number must be at least 1")
    return values


def load_app(path: Path) -> App:
    """The app the script declares (run as __main__ with puma_start() only recording)."""
    return App.load(path)


def _listener_overrides(app: App, args: argparse.Namespace) -> dict[str, Any]:
    listener = dict(app.config_data.get("listener", {}))
    if args.host:
        listener["host"] = args.host
    if args.port is not None:
        listener["port"] = args.port
    return {"listener": listener} if listener else {}


def cmd_run(args: argparse.Namespace) -> None:
    app = load_app(args.app)
    jobs = [" ".join(job.get("command", [])) for job in app.config_data.get("jobs", [])]
    if jobs:  # said, not silently skipped
        log.info("the config's jobs run on container targets only; run them yourself first: %s", "; ".join(jobs))
    app.run(**_listener_overrides(app, args))


def cmd_serve(args: argparse.Namespace) -> None:
    config = load_app(args.app).resolved_config()
    if args.service not in config.puma_services:
        raise PumaError(f"no service {args.service!r} in {args.app}; services: {sorted(config.puma_services)}")
    from .client import ENV_SERVICES
    from .worker import serve_standalone

    # Instances reach other services through the front Envoy ($PUMA_URL) by these prefixes.
    os.environ.setdefault(ENV_SERVICES, json.dumps({n: s.prefix for n, s in config.puma_services.items()}))

    serve_standalone(args.service, config.puma_services[args.service], args.host, args.port,
                     drain_timeout_s=config.http_connection_manager.drain_timeout)


def cmd_worker(args: argparse.Namespace) -> None:
    from .workers import run_worker

    run_worker(args.join, args.service, args.instances, args.host, args.token)


def cmd_render(args: argparse.Namespace) -> None:
    config = _with_marks(load_app(args.app).resolved_config())
    if args.target == "kubernetes":
        return _render_kubernetes(args, config)
    given = [f"--{key.replace('_', '-')}" for key in _KUBERNETES_OPTIONS if getattr(args, key) is not None]
    if given:
        raise PumaError(f"{', '.join(given)} only apply to --target kubernetes")
    if args.target == "compose":
        listener = config.listener.model_copy(update={"host": "0.0.0.0",
                                                      "internal_port": config.listener.internal_port or 8081})
        config = config.model_copy(update={"listener": listener})
        endpoints = {name: [(name, 8000)] for name in config.puma_services}
        # The internal listener on the compose network: containers call each other there
        # (PUMA_URL: http://envoy:8081); publish only the public port.
        doc = envoy.bootstrap_static(config, endpoints, dns=True, admin_port=9901, internal_host="0.0.0.0")
    else:
        doc = envoy.bootstrap_static(config, {}, admin_port=config.admin_port or 9901)
    text = "# Rendered by `puma render` - do not edit by hand.\n" + envoy.to_yaml(doc)
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)


def _with_marks(config: Any) -> Any:
    """`config` with the methods its targets mark `@puma.idempotent` (as a zygote reports them)."""
    from .endpoints import marks

    for name, service in config.puma_services.items():
        if service.target is None or service.retries_all:
            continue
        try:
            found = marks(service.target)
        except Exception as exc:  # noqa: BLE001 - rendering must not need every service's dependencies
            log.warning("cannot import %s to read its @idempotent marks (%s); config's marks only", service.target, exc)
            continue
        config = config.replace_service(name, service.with_idempotent(found))
    return config


_KUBERNETES_OPTIONS = ("image", "namespace", "secret", "autoscale_on", "envoy_replicas", "cluster_domain")


def _add_kubernetes_options(render: argparse.ArgumentParser) -> None:
    from .kubernetes import AUTOSCALE_ON, Options

    default = Options(app="")
    k8s = render.add_argument_group("kubernetes target")
    k8s.add_argument("--image", help=f"the app's container image, for Envoy, services and jobs "
                                     f"(default {default.image})")
    k8s.add_argument("--namespace", help=f"Kubernetes namespace of every object (default {default.namespace})")
    k8s.add_argument("--secret", help=f"Secret holding PUMA_SECRET and the app's settings, read by every "
                                      f"pod (default {default.secret})")
    k8s.add_argument("--autoscale-on", choices=AUTOSCALE_ON,
                     help="what each HorizontalPodAutoscaler scales on: cpu (default), or in-flight "
                          "requests at Envoy (needs a metrics adapter; see README)")
    k8s.add_argument("--envoy-replicas", type=int, metavar="N", help=f"front Envoy pods (default {default.envoy_replicas})")
    k8s.add_argument("--cluster-domain", metavar="DOMAIN", help=f"the cluster's DNS domain (default {default.cluster_domain})")


def _render_kubernetes(args: argparse.Namespace, config: Any) -> None:
    from . import kubernetes

    app = args.app.resolve()
    try:
        app_in_image = app.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        app_in_image = args.app.as_posix()
        log.warning("%s is outside the current directory: the image must hold it at that path", args.app)
    given = {key: getattr(args, key) for key in _KUBERNETES_OPTIONS if getattr(args, key) is not None}
    manifests = kubernetes.render(config, kubernetes.Options(app=app_in_image, **given))
    files = kubernetes.files(manifests)
    if manifests.not_mapped:
        print(f"puma: {len(manifests.not_mapped)} config key(s) not mapped to Kubernetes:", file=sys.stderr)
        for path, why in manifests.not_mapped:
            print(f"  {path}: {why}", file=sys.stderr)
    stream = "---\n".join(files.values())
    if args.out is None:
        sys.stdout.write(stream)
    elif args.out.suffix in (".yaml", ".yml") and not args.out.is_dir():
        args.out.write_text(stream)  # one multi-document file
        print(f"wrote {len(manifests.objects)} objects to {args.out} (kubectl apply -f {args.out})", file=sys.stderr)
    else:
        _write_manifests(args.out, files)


def _write_manifests(out: Path, files: dict[str, str]) -> None:
    from .kubernetes import HEADER

    if out.exists() and not out.is_dir():
        raise PumaError(f"--out {out} is a file; give a directory (one file per component) or a .yaml "
                        "file name (one multi-document file)")
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.glob("*.yaml")):  # a service removed from the config leaves no file behind
        if old.name not in files and old.read_text().startswith(HEADER):
            old.unlink()
    for name, text in files.items():
        (out / name).write_text(text)
    print(f"wrote {len(files)} files to {out}/ (kubectl apply -f {out})", file=sys.stderr)


def cmd_status(args: argparse.Namespace) -> None:
    status = _fetch_status(args.url)
    if args.json:
        print(json.dumps(status, indent=2))
        return
    print(format_status(status))


def _fetch_status(base: str) -> dict[str, Any]:
    """The status JSON of the deployment at `base`, or `PumaError` saying what answered instead."""
    parts = urllib.parse.urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PumaError(f"--url {base!r} is not a deployment's URL; write it like http://127.0.0.1:8080")
    url = base.strip().rstrip("/") + "/_puma/status"
    secret = os.environ.get("PUMA_SECRET")  # shows pids and ports of a deployment on another host
    request = urllib.request.Request(url, headers={"x-puma-token": secret} if secret else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - user-given deployment URL
            status = json.loads(resp.read(4 << 20))
    except urllib.error.HTTPError as exc:
        raise PumaError(f"{url} answered HTTP {exc.code}, not a PUMA status; is {base} the URL "
                        "`puma run` printed (without a path)?") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PumaError(f"no PUMA deployment answers at {url}: {reason}; start one with `puma run APP.py`") from None
    except (http.client.HTTPException, ValueError) as exc:  # not HTTP, or not JSON
        raise PumaError(f"the server at {base} is not a PUMA deployment (it answered "
                        f"{type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(status, dict) or not isinstance(status.get("services"), dict):
        raise PumaError(f"{url} answered JSON that is not a PUMA status; is {base} the URL `puma run` printed?")
    return status


def format_status(status: dict[str, Any]) -> str:
    envoy = status.get("envoy") or {}
    where = f"envoy pid {envoy['pid']}, admin {envoy['admin']}" if "pid" in envoy else "public view: no pids or ports"
    lines = [f"PUMA at {status.get('url', '(this deployment)')}  ({where})", ""]
    header = (f"{'service':<14}{'prefix':<14}{'ready':>7}{'in-flight':>11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'5xx':>7}  instances")
    lines.append(header)
    for name, s in status["services"].items():
        insts = " ".join(f"{i.get('pid', '#' + str(i['id']))}{':' + str(i['port']) if 'port' in i else ''}"
                         f"{'' if i['healthy'] else '!'}" for i in s["instances"] if i["state"] == "ready")
        p50 = "-" if s["p50_ms"] is None else f"{s['p50_ms']:.1f}"
        p99 = "-" if s["p99_ms"] is None else f"{s['p99_ms']:.1f}"
        lines.append(f"{name:<14}{s['prefix']:<14}{s['ready']:>4}/{s['max_instances']:<2}{s['in_flight']:>11}"
                     f"{s['requests_per_s']:>9.1f}{p50:>9}{p99:>9}{s.get('errors_5xx', 0):>7}  {insts}")
    startup = {n: s["startup_failures"] for n, s in status["services"].items() if s.get("startup_failures")}
    if startup:
        lines += ["", "answered 503 while starting (not counted as 5xx): "
                  + ", ".join(f"{n} {c}" for n, c in startup.items())]
    if status.get("events"):
        lines += ["", "recent events:"]
        for e in status["events"][-10:]:
            lines.append(f"  {e['service']}: {e['message']}")
    return "\n".join(lines)


def cmd_bench_proxy(args: argparse.Namespace) -> None:
    from .bench.proxy import run

    run(args.out, requests=args.requests, concurrency=args.concurrency)


def cmd_loc_report(args: argparse.Namespace) -> None:
    from . import locreport

    if args.whole:
        _whole_loc_report(args)
        return
    try:
        rows = locreport.report(args.old, args.new, pattern=args.pattern)
    except OSError as exc:
        raise PumaError(str(exc)) from None
    print(locreport.to_json(rows) if args.json else locreport.to_markdown(rows))


def _whole_loc_report(args: argparse.Namespace) -> None:
    from . import locreport, reach

    try:
        apart = tuple(locreport.Apart.parse(text) for text in args.apart)
        lines = reach.whole(args.root, old=args.old, new=args.new, framework=args.framework or ["puma"])
    except (OSError, ValueError) as exc:
        raise PumaError(str(exc)) from None
    doc = locreport.whole_report(lines, str(args.old), str(args.new), apart)
    print(json.dumps(doc, indent=2) if args.json else locreport.whole_markdown(doc, details=args.details))


if __name__ == "__main__":
    main()
