"""The `puma` command: run, render, status, bench, loc-report."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from . import envoy, runs
from .app import App
from .client import ENV_URL
from .cliparse import SuggestingParser
from .config import MAX_INSTANCES
from .errors import PumaError
from .running import DEFAULT_URL, cmd_scale, cmd_status, format_status  # noqa: F401 - format_status: re-exported
from .suggest import did_you_mean

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
        parser.print_help(sys.stderr)
        parser.error("a command is required (puma COMMAND --help explains each)")
    try:
        args.func(args)
    except BrokenPipeError:  # output piped into `head` and the like (an OSError: caught first)
        sys.stderr.close()
    except (PumaError, OSError) as exc:  # errors for people: the message, no traceback
        # (OSError: a path that cannot be read or written, a port that cannot be bound...)
        log.debug("the error's traceback", exc_info=True)
        reason = getattr(exc, "reason", None)  # urllib's URLError: "<urlopen error X>" says less than X
        print(f"puma: error: {exc if reason is None or isinstance(exc, PumaError) else reason}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 1))  # 3: a change sent but not confirmed (PumaNotConfirmed)
    except KeyboardInterrupt as exc:  # Ctrl-C (or SIGTERM) while starting: what had started is stopped
        if exc.args and exc.args[0] != "Ctrl-C":  # a signal from elsewhere ("SIGTERM"): not a normal end
            print(f"puma: interrupted ({exc.args[0]})", file=sys.stderr)
            sys.exit(130)
        # Ctrl-C is a stop the user asked for: a normal end, not an error (`make run` would say "Error 130").
        print("puma: stopped before start-up finished; nothing is left running", file=sys.stderr)


class HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default (unless its help already says it) and never breaks a line at a
    hyphen, so names like `puma-app:latest` stay whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (not action.option_strings or "default" in text or action.default in (None, False, argparse.SUPPRESS)
                or isinstance(action.default, list)):
            return text
        return text + " (default: %(default)s)"


def _command(sub: Any, name: str, summary: str, description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand: `summary` in its parent's list, `description` (else the summary) atop its --help."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=description or summary[0].upper() + summary[1:] + ".",
        formatter_class=HelpFormatter)
    return parser


def _synonyms(parser: argparse.ArgumentParser, synonyms: dict[str, str]) -> None:
    """Options another command takes under another name, answered with this one's (`SuggestingParser`)."""
    if isinstance(parser, SuggestingParser):
        parser.synonyms.update(synonyms)


def _parser() -> argparse.ArgumentParser:
    # SuggestingParser: a mistyped option is reported by its subcommand, with the closest one.
    p = SuggestingParser(prog="puma", description="Run a Python app as Envoy-routed, autoscaled micro-services.",
                         formatter_class=HelpFormatter)
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                   help="how much PUMA logs (default info: lifecycle events such as instances starting "
                        "and scaling decisions; other libraries log only warnings unless debug)")
    sub = p.add_subparsers(title="commands")

    run = _command(sub, "run", "start an app's services behind Envoy and block until Ctrl-C",
                   "Run APP.py (which calls puma_config and puma_service) as a PUMA deployment: first the "
                   "config's jobs (except those marked local: false), then Envoy and every service, saying what "
                   "it waits for; the URL is printed once every service is ready. While it runs, `puma status` "
                   "and `puma scale` find it without --url.")
    run.add_argument("app", type=Path, help=APP_HELP)
    run.add_argument("--host", help="listener address (default from config: 127.0.0.1)")
    run.add_argument("--port", type=int, help="listener port (default from config: 8080; 0 picks one)")
    run.add_argument("--backend", choices=["process", "docker"], default="process",
                     help="process: instances forked on this host; docker: Envoy and every instance in a "
                          "container of --image (see README: Containers)")
    run.add_argument("--image", help="--backend docker: the image holding PUMA and the app's dependencies "
                                     "(the app's directory is mounted into each container)")
    run.add_argument("--env", action="append", default=[], metavar="NAME",
                     help="--backend docker: pass this host variable to every instance (repeatable), e.g. DATABASE_URL")
    run.set_defaults(func=cmd_run)

    _add_render(sub)
    _add_status_and_scale(sub)
    _add_autoscale(sub)

    serve = _command(sub, "serve", "serve one service of an app on HOST:PORT, without Envoy (one container)",
                     "Run one instance of one service, e.g. in a container behind a separate Envoy "
                     "(see docker-compose.yml and `puma render --target compose`).")
    serve.add_argument("app", type=Path, help=APP_HELP)
    serve.add_argument("--service", required=True, metavar="NAME",
                       help="which of the app's services to serve (a name from its puma_services)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (0.0.0.0: every interface, for containers)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (the compose Envoy config expects 8000)")
    serve.set_defaults(func=cmd_serve)

    worker = _command(sub, "worker", "run instances of a service on this host for a PUMA deployment elsewhere",
                      "Join a running deployment: its Envoy routes to the instances started here. Needs the "
                      "deployment's secret (--token or $PUMA_SECRET).")
    worker.add_argument("--join", required=True, metavar="URL", help="the deployment's URL, e.g. http://10.0.0.1:8080")
    worker.add_argument("--service", required=True, help="which service to serve")
    worker.add_argument("--instances", type=int, default=1, help="how many instances to run here")
    worker.add_argument("--host", default="127.0.0.1", help="address of this host the core can reach")
    worker.add_argument("--token", help="the deployment's secret (default $PUMA_SECRET)")
    worker.set_defaults(func=cmd_worker)

    _add_bench(sub)

    loc = _command(sub, "loc-report", "lines of code added, retained and removed between two versions",
                   "Compare two versions of a program (files or directories) by lines of "
                   "code: no blanks, comments or docstrings; matched in order with difflib. "
                   "With --whole, compare two deployments of one application as wholes: "
                   "OLD and NEW are their entry points (a script, or a package with "
                   "__main__.py), and every line under --root either one reaches counts.")
    loc.add_argument("old", type=Path, help="the program before (a file or a directory); with --whole, the "
                     "old deployment's entry point, e.g. legacy_socket_server")
    loc.add_argument("new", type=Path, help="the program after; with --whole, the new deployment's entry "
                     "point, e.g. chatbot/puma_app.py")
    loc.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    loc.add_argument("--pattern", default="*.py", help="which files of a directory to count")
    loc.add_argument("--whole", action="store_true", help="compare what each deployment's code reaches, in "
                     "every file (glue in shared modules included), rather than the two paths' own lines")
    loc.add_argument("--root", type=Path, default=Path("."), help="with --whole: the application's source "
                     "root")
    loc.add_argument("--old-root", type=Path, default=None, metavar="DIR",
                     help="with --whole: the old deployment's own source tree, when the port was made on a copy "
                          "(another checkout, a branch): each reached line is then matched against its file in DIR, "
                          "so a line the port edited in a module both have counts as added (default: --root)")
    loc.add_argument("--framework", action="append", default=None, metavar="PACKAGE",
                     help="with --whole: a package that is the framework, not the application (not read; "
                          "default: puma); repeat for several")
    loc.add_argument("--apart", action="append", default=[], metavar="LABEL=NAME,...",
                     help="with --whole: count these new-only definitions (modules or module:qualname "
                          "prefixes) on their own line as a feature the old deployment has not, e.g. "
                          "'web UI=chatbot.webapp'; repeat for several (default: the lists in --root's "
                          "pyproject.toml, [tool.puma.loc-report.apart])")
    loc.add_argument("--details", action="store_true", help="with --whole: list each added definition")
    loc.set_defaults(func=cmd_loc_report)
    return p


def _add_render(sub: Any) -> None:
    render = _command(sub, "render", "print the Envoy config for an app, or its Kubernetes manifests or Swarm stack",
                      "Print the configuration for the services of APP.py. --target local: the Envoy "
                      "bootstrap `puma run` starts Envoy with, as one static file; its clusters have no "
                      "endpoints, because `puma run` learns the instances' addresses only as they start and "
                      "hands them to Envoy through endpoint (EDS) files at run time. --target compose: one "
                      "self-contained Envoy config, one DNS name per service on port 8000, for "
                      "docker-compose. --target kubernetes: manifests for `kubectl apply -f DIR`. --target swarm: "
                      "DIR/stack.yml and DIR/envoy.yaml for `docker stack deploy`. "
                      "`envoy --mode validate -c FILE` accepts the Envoy configs.")
    render.add_argument("app", type=Path, help=APP_HELP)
    render.add_argument("--target", choices=["local", "compose", "kubernetes", "swarm"], default="local",
                        help="local: what `puma run` gives Envoy, endpoints left empty (filled at run time); "
                             "compose: one DNS name per service (port 8000); kubernetes: manifests (see --out); "
                             "swarm: DIR/stack.yml and DIR/envoy.yaml for `docker stack deploy -c DIR/stack.yml NAME`")
    render.add_argument("--out", type=Path, help="write to this file instead of stdout (kubernetes: a "
                                                 "directory, one file per component, or one FILE.yaml)")
    _add_kubernetes_options(render)
    swarm = render.add_argument_group("swarm target")
    swarm.add_argument("--publish", type=int, metavar="PORT",
                       help="the port of every swarm node that reaches the front Envoy (default 8080; 0: not "
                            "published, reach it from an attached container)")
    swarm.add_argument("--reserve-cpu", action="store_true",
                       help="reserve each service's resources.cpu per task (a task waits until a node has it "
                            "unreserved); default: memory reserved, CPU limited only by resources.cpu_limit")
    swarm.add_argument("--env-file", metavar="FILE", help="the app's settings, read by every service and job "
                                                          "(a path relative to the stack file)")
    render.set_defaults(func=cmd_render)


def _add_autoscale(sub: Any) -> None:
    scaler = _command(sub, "autoscale", "scale the services of an app deployed on an engine (Docker Swarm)",
                      "Run PUMA's autoscaler against APP.py deployed by `docker stack deploy` (see `puma render "
                      "--target swarm`): the same policy, signal (in-flight requests at the front Envoy) and "
                      "decision log as `puma run`; each decision sets the service's replica count through the "
                      "Docker engine. Runs until Ctrl-C; replica counts stay as they are when it stops.")
    scaler.add_argument("app", type=Path, help=APP_HELP)
    scaler.add_argument("--backend", choices=["swarm"], required=True, help="the engine the app runs on")
    scaler.add_argument("--stack", required=True, help="the stack's name, as given to `docker stack deploy`")
    scaler.add_argument("--tick-s", type=float, default=1.0, metavar="SECONDS",
                        help="how often to read the front Envoy's in-flight requests")
    scaler.set_defaults(func=cmd_autoscale)


def cmd_autoscale(args: argparse.Namespace) -> None:
    from . import swarmscale

    if args.tick_s <= 0:
        raise PumaError(f"--tick-s {args.tick_s:g} must be above 0 seconds, e.g. 1")
    swarmscale.run(load_app(args.app).resolved_config(), args.stack, tick_s=args.tick_s)


def _add_status_and_scale(sub: Any) -> None:
    url_help = (f"the deployment's address: a URL, HOST:PORT or a port (default: ${ENV_URL}, else the `puma run` "
                "of this user started from this directory or one above it, else the only one running (run files "
                f"in {runs.runs_dir()}), else {DEFAULT_URL}; when several run and none was started here, status "
                "shows the newest and says so, scale refuses)")
    status = _command(sub, "status", "services, instances, in-flight, requests/s, p50/p99 and errors of a running deployment",
                      "Print what GET URL/_puma/status answers: per service its instances, "
                      "in-flight, requests/s, p50/p99, server errors (start-up failures apart) "
                      "and recent events. Prometheus reads the same at URL/_puma/metrics.")
    status.add_argument("--url", help=url_help)
    # `make run` takes PORT=, `puma run` --port: what a user tries first here (`did you mean --url 8090?`).
    _synonyms(status, dict.fromkeys(("--port", "--host", "--address", "--addr"), "--url"))
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.set_defaults(func=cmd_status)

    scale = _command(sub, "scale", "set how many instances serve a service of a running deployment",
                     "Start or stop instances of SERVICE until N serve it (new ones join Envoy once healthy; "
                     "removed ones finish their requests first), and wait until they do. An autoscaled "
                     "service takes N within its bounds and holds it at least its downscale_delay_s from "
                     "the scale (more load may raise it sooner); then the autoscaler follows the load. Exits "
                     "1 if another decision changed the count while waiting, or N were not ready in time; 3 if the change was "
                     "sent but not confirmed (the supervisor did not answer within 5 s: stopped or busy; it may "
                     "still apply it when it resumes). Authorised by the deployment's secret "
                     "($PUMA_SECRET) or, for the user who started it, its run file.")
    scale.add_argument("service", help="the service's name, as in `puma status`")
    scale.add_argument("instances", type=int, metavar="N", help=f"how many instances should serve it: 1 to "
                       f"{MAX_INSTANCES} for a service with a fixed count; within its instances.min and "
                       "instances.max (its config) for an autoscaled one")
    scale.add_argument("--url", help=url_help)
    _synonyms(scale, dict.fromkeys(("--port", "--host", "--address", "--addr"), "--url"))
    scale.add_argument("--wait-s", type=float, default=30.0, metavar="SECONDS", help="how long to wait for the instances (default 30; 0: do not wait)")
    scale.set_defaults(func=cmd_scale)


def _add_bench(sub: Any) -> None:
    bench = _command(sub, "bench", "benchmarks (write JSON/CSV and PNG plots)",
                     "Benchmarks of PUMA on this machine; each writes JSON (or CSV) and a PNG plot to --out, "
                     "with the git revision and the machine.")
    bench_sub = bench.add_subparsers(title="benchmarks")
    proxy = _command(bench_sub, "proxy", "latency/throughput of a trivial service direct vs through Envoy",
                     "Latency (sequential requests) and throughput (concurrent clients) of a trivial service, "
                     "called directly and through Envoy, side by side; and the start-up time to every "
                     "service healthy. Writes proxy.json and proxy.png.")
    proxy.add_argument("--out", type=Path, required=True, help="directory for JSON and PNG")
    proxy.add_argument("--requests", type=int, default=5000, help="requests per measured series")
    proxy.add_argument("--concurrency", type=int, default=8, help="clients for the throughput series")
    proxy.set_defaults(func=cmd_bench_proxy)

    bmap = _command(bench_sub, "map", "the paper's Figure 7: builtin map vs Pool.map vs puma_map vs map_reduce",
                    "The paper's Figure 7: builtin map, multiprocessing Pool.map, puma_map (Pool-like and "
                    "sqrt(n) chunks) and map_reduce over growing data sizes (7a) and factorial inputs (7b), "
                    "beside forked processes that exchange only their sums. Writes CSV, JSON and PNG plots.")
    bmap.add_argument("--out", type=Path, required=True, help="directory for CSV, JSON and PNG plots")
    bmap.add_argument("--quick", action="store_true", help="small sizes and one repetition (under a minute)")
    bmap.add_argument("--instances", type=int, default=os.cpu_count() or 2,
                      help="PUMA instances = Pool processes (this machine's CPUs)")
    bmap.add_argument("--repeats", type=int, default=5, help="repetitions per point (median and spread)")
    bmap.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                      help="data sizes of Figure 7a (default 100,1000,...,1000000; --quick: 100,1000,10000)")
    bmap.add_argument("--factorials", type=_int_list, default=None, metavar="K,K,...",
                      help="factorial inputs of Figure 7b (default 100,500,1000,1500; '' skips 7b)")
    bmap.set_defaults(func=_lazy("puma.bench.map"))

    auto = _command(bench_sub, "autoscale", "a bounded load step against a CPU-bound service; instances over time",
                    "A load step (1 to 32 closed-loop clients, bounded in time) against an autoscaled CPU-bound "
                    "service, with the control loop's former settings and its current ones alternating: "
                    "instances over time, how long until a new instance answered and what that time is made "
                    "of (detection, start, routing). Writes autoscale.json and autoscale.png.")
    auto.add_argument("--out", type=Path, required=True, help="directory for JSON and the PNG timeline")
    auto.add_argument("--quick", action="store_true", help="shorter steps, one run of each setting")
    auto.add_argument("--rounds", type=_rounds, default=None,
                      help="runs of each setting, alternating ABBA (default 2; quick 1)")
    auto.set_defaults(func=_lazy("puma.bench.autoscale"))

    bremote = _command(bench_sub, "remote", "a call through puma.remote beside puma.call (latency, caller CPU)",
                       "The same call made through puma.remote and through puma.call, alternating, against a "
                       "small deployment: latency and the caller's CPU per call. Writes remote.json and remote.png.")
    bremote.add_argument("--out", type=Path, required=True, help="directory for remote.json and remote.png")
    bremote.add_argument("--requests", type=int, default=5000, help="calls per way")
    bremote.set_defaults(func=_lazy("puma.bench.remote"))

    bfeat = _command(bench_sub, "envoy-features", "Envoy CPU per request and latency of PUMA's per-request Envoy "
                     "features, each on against off, in pairs",
                     "The rendered Envoy config as shipped beside the same config with one feature removed (the "
                     "stats access logger counting answers by service, the map cluster's connection pool per "
                     "client connection, the per-service 413 mappers), two Envoys routing to one upstream Envoy, "
                     "sides alternating pair by pair. Writes envoy-features.json, .csv and .png.")
    bfeat.add_argument("--out", type=Path, required=True, help="directory for the JSON, CSV and PNG")
    bfeat.add_argument("--pairs", type=_whole(1, 100, "pairs", 6), default=6, help="pairs per feature, sides alternating (default 6)")
    bfeat.add_argument("--requests", type=_whole(20, 100_000, "requests", 3000), default=3000,
                       help="sequential requests per side of a pair (a quarter with a new connection each)")
    bfeat.set_defaults(func=_lazy("puma.bench.envoyfeatures"))

    backends = _command(bench_sub, "backends", "the process backend beside the Docker backend (start, latency, "
                        "server CPU, autoscaling)", "The same small app on `puma run`'s processes and on its Docker "
                        "backend in turn (ABBA): start to ready, sequential latency and server CPU per request, "
                        "and a load step's time to a second instance. Writes backends.json and backends.png.")
    backends.add_argument("--out", type=Path, required=True, help="directory for backends.json and backends.png")
    backends.add_argument("--image", default="puma-chatbot:latest", help="an image with PUMA (see Containers)")
    backends.add_argument("--rounds", type=int, default=2, help="runs of each backend, alternating")
    backends.add_argument("--requests", type=int, default=1000, help="sequential requests per run")
    backends.set_defaults(func=_lazy("puma.bench.backends"))

    bclients = _command(bench_sub, "clients", "this checkout's mesh client beside a baseline revision's, in pairs",
                        "puma.call, puma.acall and puma_map (2-chunk and large maps) with this checkout's client "
                        "and with a baseline revision's (git archive), alternating in pairs against one deployment: "
                        "client CPU per request, Envoy's and the instances' CPU, latency. Writes clients.json, "
                        "clients.csv and clients.png.")
    bclients.add_argument("--out", type=Path, required=True, help="directory for clients.json, .csv and .png")
    bclients.add_argument("--baseline", required=True, help="git revision whose client is measured beside this one")
    bclients.add_argument("--pairs", type=int, default=5, help="pairs of runs per phase (each side leads every other pair)")
    bclients.add_argument("--calls", type=int, default=2000, help="calls per call/acall run")
    bclients.add_argument("--maps", type=int, default=300, help="2-chunk maps per map-small run")
    bclients.add_argument("--large-items", type=int, default=200_000, help="items of a map-large map")
    bclients.add_argument("--large-maps", type=int, default=3, help="maps per map-large run")
    bclients.set_defaults(func=_lazy("puma.bench.clients"))

    faults = _command(bench_sub, "faults", "requests lost when instances are scaled down or killed under load",
                      "Requests lost (a 5xx or no complete answer) when instances are scaled down or killed "
                      "with SIGKILL under a bounded closed-loop load, per scenario. Writes faults.json and "
                      "faults.png.")
    faults.add_argument("--out", type=Path, required=True, help="directory for faults.json and faults.png")
    faults.add_argument("--baseline", type=Path, help="faults.json of another run (e.g. an older revision) to plot beside")
    faults.set_defaults(func=_lazy("puma.bench.faults"))

    scale = _command(bench_sub, "scale", "start-up, idle CPU, memory and latency as a deployment grows to 1,000 instances",
                                 "Deployments of 3, 10, 50, 250 and 1,000 trivial instances (beyond 250 on "
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

    peers = _command(bench_sub, "peers", "PUMA beside Ray Serve, and puma_map beside Ray's and Dask's maps",
                     "Against the peers, in one run: the same trivial JSON service on PUMA and on Ray Serve (at "
                     "its defaults and at its fastest documented settings) with the same client: start-up, "
                     "p50/p99 latency, throughput, server CPU per request and a load step with autoscaling; and "
                     "puma_map and map_reduce beside multiprocessing, Ray's and Dask's maps with equal worker "
                     "counts. The peers are an optional extra: `make peers`, `pip install -e '.[peers]'` or "
                     "--install. Writes peers.json, peers_serve.csv, peers_map.csv and peers.png.")
    peers.add_argument("--out", type=Path, required=True, help="directory for JSON, CSV, the PNG and the hosts' logs")
    peers.add_argument("--quick", action="store_true",
                       help="short windows, small sizes, Ray Serve tuned only and no load step on it: that every part runs "
                            "(1-4 minutes: each Ray start takes 10-60 s on a busy 2-core machine)")
    peers.add_argument("--install", action="store_true", help="pip-install the missing peers into this Python first")
    peers.add_argument("--skip-missing", action="store_true",
                       help="benchmark only the peers installed (else a missing peer is an error)")
    peers.add_argument("--only", choices=["serve", "map"], help="run one half only (default: both)")
    peers.add_argument("--requests", type=int, default=0, metavar="N",
                       help="sequential requests for latency (default 3000; --quick: 300)")
    peers.add_argument("--clients", type=int, default=16, help="concurrent clients for throughput and the load step")
    peers.add_argument("--step-s", type=float, default=0.0, metavar="SECONDS",
                       help="length of the load step (default 45, beyond Ray Serve's default 30 s upscale delay; "
                            "--quick: 4)")
    peers.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                       help="map sizes (default 1000,10000,100000,1000000; --quick: 100,1000)")
    peers.add_argument("--repeats", type=int, default=3, help="rounds of the map phases (median and spread)")
    peers.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                       help="workers of every map (PUMA instances, pool processes, Ray and Dask workers)")
    peers.set_defaults(func=_lazy("puma.bench.peers"))


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


def _whole(low: int, high: int, what: str, example: int) -> Any:
    """An argparse type: a whole number of `what` from `low` to `high` (bounded work), else a precise error."""

    def parse(text: str) -> int:
        digits = text.strip().replace("_", "")
        if not digits.isdigit() or not low <= int(digits) <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of {what} from {low} to {high}, "
                                             f"e.g. {example}")
        return int(digits)

    return parse


def _rounds(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 20:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of rounds from 1 to 20, e.g. 2")
    return int(text)


def load_app(path: Path) -> App:
    """The app the script declares (run as __main__ with puma_start() only recording); a script
    that registers no service is an error naming it (a forgotten puma_service, or the wrong file)."""
    app = App.load(path)
    if not app.targets and not app.config_data.get("puma_services"):
        kind = f" (it is a {path.suffix} file, not a Python app script)" if path.suffix not in ("", ".py") else ""
        raise PumaError(f"{path} registered no services{kind}: an app script calls puma_service({{'name': function}}) "
                        "(or decorates a function with @puma.service('/route')) before puma_start(); "
                        "e.g. examples/parts_app.py")
    return app


def _listener_overrides(app: App, args: argparse.Namespace) -> dict[str, Any]:
    listener = dict(app.config_data.get("listener", {}))
    if args.host:
        listener["host"] = args.host
    if args.port is not None:
        listener["port"] = args.port
    return {"listener": listener} if listener else {}


def cmd_run(args: argparse.Namespace) -> None:
    from .containers import ContainerSpec

    if args.backend != "docker" and (args.image or args.env):
        raise PumaError("--image and --env apply to --backend docker")
    if args.backend == "docker" and not args.image:
        raise PumaError("--backend docker needs --image IMAGE: an image with PUMA and the app's dependencies "
                        "(sh deploy/docker/build-images.sh makes puma-chatbot:latest)")
    containers = ContainerSpec(args.image, args.app, tuple(args.env)) if args.backend == "docker" else None
    app = load_app(args.app)
    app.run(app_path=str(args.app), containers=containers, **_listener_overrides(app, args))


def cmd_serve(args: argparse.Namespace) -> None:
    config = load_app(args.app).resolved_config()
    if args.service not in config.puma_services:
        raise PumaError(f"no service {args.service!r} in {args.app}{did_you_mean(args.service, list(config.puma_services))}; "
                        f"services: {sorted(config.puma_services)}")
    from .client import ENV_SERVICES
    from .worker import serve_standalone

    # Instances reach other services through the front Envoy ($PUMA_URL) by these prefixes.
    os.environ.setdefault(ENV_SERVICES, json.dumps({n: s.prefix for n, s in config.puma_services.items()}))

    serve_standalone(args.service, config.puma_services[args.service], args.host, args.port,
                     drain_timeout_s=config.http_connection_manager.drain_timeout)


def cmd_worker(args: argparse.Namespace) -> None:
    from .running import normalise_url
    from .workers import run_worker

    run_worker(normalise_url(args.join, "--join"), args.service, args.instances, args.host, args.token)


def cmd_render(args: argparse.Namespace) -> None:
    config = _with_marks(load_app(args.app).resolved_config())
    if args.target == "kubernetes":
        return _render_kubernetes(args, config)
    kube_only = [f"--{key.replace('_', '-')}" for key in _KUBERNETES_OPTIONS[1:] if getattr(args, key) is not None]
    swarm_only = [flag for flag, value in (("--publish", args.publish), ("--env-file", args.env_file),
                                           ("--reserve-cpu", args.reserve_cpu or None)) if value is not None]
    if args.target != "swarm" and swarm_only:
        raise PumaError(f"{', '.join(swarm_only)} only apply to --target swarm")
    if args.target == "swarm":
        from . import swarm

        if kube_only:
            raise PumaError(f"{', '.join(kube_only)} only apply to --target kubernetes")
        return swarm.write(config, _app_in_image(args.app), args.out, image=args.image, publish=args.publish,
                           env_file=args.env_file, reserve_cpu=args.reserve_cpu)
    given = [f"--{key.replace('_', '-')}" for key in _KUBERNETES_OPTIONS if getattr(args, key) is not None]
    if given:
        raise PumaError(f"{', '.join(given)} only apply to --target kubernetes (--image: also swarm)")
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
    text = "# Rendered by `puma render` - do not edit by hand.\n" + (LOCAL_NOTE if args.target == "local" else "") \
        + envoy.to_yaml(doc)
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)


LOCAL_NOTE = ("# Every cluster's endpoints are empty: `puma run` learns the instances' addresses as they start\n"
              "# and gives them to Envoy through endpoint (EDS) files while it runs.\n")


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
                                     f"(default {default.image}; also for --target swarm)")
    k8s.add_argument("--namespace", help=f"Kubernetes namespace of every object (default {default.namespace})")
    k8s.add_argument("--secret", help=f"Secret holding PUMA_SECRET and the app's settings, read by every "
                                      f"pod (default {default.secret})")
    k8s.add_argument("--autoscale-on", choices=AUTOSCALE_ON,
                     help="what each HorizontalPodAutoscaler scales on: cpu (default), or in-flight "
                          "requests at Envoy (needs a metrics adapter; see README)")
    k8s.add_argument("--envoy-replicas", type=int, metavar="N", help=f"front Envoy pods (default {default.envoy_replicas})")
    k8s.add_argument("--cluster-domain", metavar="DOMAIN", help=f"the cluster's DNS domain (default {default.cluster_domain})")


def _app_in_image(app: Path) -> str:
    """APP.py's path as the image holds it: relative to the current directory (the image's workdir)."""
    try:
        return app.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        log.warning("%s is outside the current directory: the image must hold it at that path", app)
        return app.as_posix()


def _render_kubernetes(args: argparse.Namespace, config: Any) -> None:
    from . import kubernetes

    app_in_image = _app_in_image(args.app)
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
    from . import locreport, reach, reachdiff

    try:
        apart = tuple(locreport.Apart.parse(text) for text in args.apart) or locreport.configured_apart(args.root)
        framework = args.framework or ["puma"]
        if args.old_root is not None:
            if not args.old_root.is_dir():
                raise FileNotFoundError(f"--old-root {args.old_root}: no such directory; give the old deployment's "
                                        "source tree (a checkout of the monolith)")
            lines = reachdiff.whole_trees(args.root, args.old_root, old=args.old, new=args.new, framework=framework)
        else:
            lines = reach.whole(args.root, old=args.old, new=args.new, framework=framework)
    except (OSError, ValueError) as exc:
        raise PumaError(str(exc)) from None
    source = "--apart" if args.apart else f"{args.root / 'pyproject.toml'} {locreport.APART_TABLE}"
    doc = locreport.whole_report(lines, str(args.old), str(args.new), apart, source)
    print(json.dumps(doc, indent=2) if args.json else locreport.whole_markdown(doc, details=args.details))


if __name__ == "__main__":
    main()
