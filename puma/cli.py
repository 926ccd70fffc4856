"""The `puma` command: run, serve, worker, status, scale, autoscale, loc-report; `puma stop` is
`puma.stopcmd`, `puma render` is `puma.rendering`, `puma bench` is `puma.bench.commands`."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import interrupts, runs
from .bench.commands import add_bench
from .cliparse import APP_HELP, LOG_LEVELS, HelpFormatter, SuggestingParser, add_synonyms, command
from .defaults import DEFAULT_URL, ENV_URL, MAX_INSTANCES
from .errors import PumaError
from .lines import WrappingFormatter
from .rendering import add_render
from .stopcmd import add_stop
from .suggest import did_you_mean

if TYPE_CHECKING:
    from .app import App

# Only light modules above: `puma --help` (and each command's) builds every parser, so what a
# command needs to run (pydantic, Flask, the supervisor: seconds on a busy machine) is imported
# inside it. tests/test_cli_help.py holds the help to a fraction of a second.

log = logging.getLogger("puma")


def __getattr__(name: str) -> Any:
    if name == "format_status":  # re-exported, loaded on first use
        from .running import format_status

        return format_status
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    level = getattr(logging, args.log_level.upper())
    # PUMA's own lifecycle at the chosen level; other libraries only when they warn (or at debug).
    # Wrapped at 100 columns on a terminal (puma.lines); whole records when piped to a file.
    handler = logging.StreamHandler()
    handler.setFormatter(WrappingFormatter("%(asctime)s %(name)s %(levelname)s %(message)s", "%H:%M:%S", sys.stderr))
    logging.basicConfig(level=min(level, logging.WARNING) if level == logging.DEBUG else logging.WARNING,
                        handlers=[handler])
    logging.getLogger("puma").setLevel(level)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        parser.error("a command is required (puma COMMAND --help explains each)")
    if args.func is not cmd_run:  # `run` keeps stopping at once until App.run handles Ctrl-C itself
        interrupts.restore()
    try:
        args.func(args)
    except BrokenPipeError:  # output piped into `head` and the like (an OSError: caught first)
        sys.stderr.close()
    except (PumaError, OSError) as exc:  # errors for people: the message, no traceback
        # (OSError: a path that cannot be read or written, a port that cannot be bound...)
        log.debug("the error's traceback", exc_info=True)
        reason = getattr(exc, "reason", None)  # urllib's URLError: "<urlopen error X>" says less than X
        said = exc if reason is None or isinstance(exc, PumaError) else reason
        print(f"puma: error: {said}{_disk_full_hint(exc)}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 1))  # 3: a change sent but not confirmed (PumaNotConfirmed)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (`make stop`): what had started is stopped
        if args.func is cmd_run or not exc.args or exc.args[0] == "Ctrl-C":
            # A start-up stopped: the same line and code as a stop before anything started
            # (`puma.interrupts`), whichever signal asked for it.
            print(interrupts.STOPPED_LINE, file=sys.stderr)
        else:  # another command (a benchmark) ended by a signal from elsewhere: not a normal end
            print(f"puma: interrupted ({exc.args[0]})", file=sys.stderr)
        sys.exit(interrupts.EXIT_INTERRUPTED)


def _disk_full_hint(exc: BaseException) -> str:
    """Where a full disk or quota was met and what to do: a write to an open file says neither."""
    if not (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or exc.filename:
        return ""
    import tempfile

    return (f" (PUMA writes its run directory, logs and Envoy's files under {tempfile.gettempdir()}: "
            "free space there, or point TMPDIR at a directory with room)")


def _parser() -> argparse.ArgumentParser:
    # SuggestingParser: a mistyped option is reported by its subcommand, with the closest one.
    p = SuggestingParser(prog="puma", description="Run a Python app as Envoy-routed, autoscaled micro-services.",
                         formatter_class=HelpFormatter)
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS,
                   help="how much PUMA logs (default info: lifecycle events such as instances starting "
                        "and scaling decisions; other libraries log only warnings unless debug)")
    sub = p.add_subparsers(title="commands")

    _add_run(sub)
    add_render(sub)
    _add_status_and_scale(sub)
    add_stop(sub)
    _add_autoscale(sub)

    _add_serve_and_worker(sub)
    add_bench(sub)

    _add_loc_report(sub)
    return p


def _add_run(sub: Any) -> None:
    run = command(sub, "run", "start an app's services behind Envoy and block until Ctrl-C",
                   "Run APP.py (which calls puma_config and puma_service) as a PUMA deployment: first the "
                   "config's jobs (except those marked local: false), then Envoy and every service, saying what "
                   "it waits for; the URL is printed once it answers (\"PUMA is serving\" once every public "
                   "service is ready). While it runs, `puma status` and `puma scale` find it without --url. "
                   "Exit status: 130 after Ctrl-C (SIGINT), whenever it comes; 0 after SIGTERM (make stop, "
                   "puma stop); 1 on an error.")
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


def _add_serve_and_worker(sub: Any) -> None:
    serve = command(sub, "serve", "serve one service of an app on HOST:PORT, without Envoy (one container)",
                     "Run one instance of one service, e.g. in a container behind a separate Envoy "
                     "(see docker-compose.yml and `puma render --target compose`).")
    serve.add_argument("app", type=Path, help=APP_HELP)
    serve.add_argument("--service", required=True, metavar="NAME",
                       help="which of the app's services to serve (a name from its puma_services)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (0.0.0.0: every interface, for containers)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (the compose Envoy config expects 8000)")
    serve.add_argument("--busy-dir", type=Path, default=None, help="where to publish this instance's busy threads "
                       "for a supervisor on the same machine (`puma run --backend docker` sets it)")
    serve.add_argument("--instance-id", type=int, default=1, help="this instance's number in its supervisor's pool "
                       "(`puma run --backend docker` sets it)")
    serve.set_defaults(func=cmd_serve)

    worker = command(sub, "worker", "run instances of a service on this host for a PUMA deployment elsewhere",
                      "Join a running deployment: its Envoy routes to the instances started here. Needs the "
                      "deployment's secret (--token or $PUMA_SECRET).")
    worker.add_argument("--join", required=True, metavar="URL", help="the deployment's URL, e.g. http://10.0.0.1:8080")
    worker.add_argument("--service", required=True, help="which service to serve")
    worker.add_argument("--instances", type=int, default=1, help="how many instances to run here")
    worker.add_argument("--host", default="127.0.0.1", help="address of this host the core can reach")
    worker.add_argument("--token", help="the deployment's secret (default $PUMA_SECRET)")
    worker.set_defaults(func=cmd_worker)


def _add_loc_report(sub: Any) -> None:
    loc = command(sub, "loc-report", "lines of code added, retained and removed between two versions",
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


def _add_autoscale(sub: Any) -> None:
    scaler = command(sub, "autoscale", "scale the services of an app deployed on an engine (Docker Swarm)",
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
    from .app import load_app

    if args.tick_s <= 0:
        raise PumaError(f"--tick-s {args.tick_s:g} must be above 0 seconds, e.g. 1")
    swarmscale.run(load_app(args.app).resolved_config(), args.stack, tick_s=args.tick_s)


def _add_status_and_scale(sub: Any) -> None:
    url_help = (f"the deployment's address: a URL, HOST:PORT or a port (default: ${ENV_URL}, else the `puma run` "
                "of this user started from this directory or one above it, else one started in this checkout, else the "
                "only one running, said to be another checkout's (run files "
                f"in {runs.runs_dir()}, written as soon as a run's Envoy listens), else {DEFAULT_URL}; a load "
                f"test's own run (${runs.ENV_HARNESS}) only when no other fits; status names the one it shows and "
                "the others; when several of this checkout's fit, status shows the newest, scale refuses; when several "
                "run and none is this checkout's, both list them and ask for --url)")
    port_help = "the listener port of a deployment on this machine, as `puma run --port` and `puma stop --port` take it (the same as --url PORT)"
    status = command(sub, "status", "services, instances, in-flight, requests/s, p50/p99 and errors of a running deployment",
                      "Print what GET URL/_puma/status answers: per service its instances, "
                      "in-flight, requests/s, p50/p99, server errors (start-up failures apart) "
                      "and recent events. Prometheus reads the same at URL/_puma/metrics.")
    status.add_argument("--url", help=url_help)
    # `make run` takes PORT=, `puma run` and `puma stop` --port: the same form works here.
    status.add_argument("--port", type=int, help=port_help)
    add_synonyms(status, dict.fromkeys(("--host", "--address", "--addr"), "--url"))
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.set_defaults(func=cmd_status)

    scale = command(sub, "scale", "set how many instances serve a service of a running deployment",
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
    scale.add_argument("--port", type=int, help=port_help)
    add_synonyms(scale, dict.fromkeys(("--host", "--address", "--addr"), "--url"))
    scale.add_argument("--wait-s", type=float, default=30.0, metavar="SECONDS", help="how long to wait for the instances (default 30; 0: do not wait)")
    scale.set_defaults(func=cmd_scale)


def _listener_overrides(app: App, args: argparse.Namespace) -> dict[str, Any]:
    """`--host`/`--port` over the config's listener, in any form it takes ("host:port" too). A
    listener of no form it takes is left as written, for the config's check to name with the rest."""
    if not args.host and args.port is None:
        return {}
    from .config import listener_fields

    written = app.config_data.get("listener", {})
    try:
        listener = listener_fields(written)
    except ValueError:
        return {}
    if args.host:
        listener["host"] = args.host
    if args.port is not None:
        listener["port"] = args.port
    return {"listener": listener} if listener else {}


def cmd_status(args: argparse.Namespace) -> None:
    from .running import cmd_status as status

    status(_port_as_url(args))


def cmd_scale(args: argparse.Namespace) -> None:
    from .running import cmd_scale as scale

    scale(_port_as_url(args))


def _port_as_url(args: argparse.Namespace) -> argparse.Namespace:
    """`--port N` is `--url N` (this machine's deployment on port N); both at once are refused."""
    if args.port is not None:
        if args.url:
            raise PumaError(f"--port {args.port} and --url {args.url} name the deployment twice: give one of them")
        if not 0 < args.port < 65536:
            raise PumaError(f"--port {args.port}: a port is 1 to 65535, e.g. --port 8080")
        args.url = str(args.port)
    return args


def cmd_run(args: argparse.Namespace) -> None:
    from .app import load_app
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
    from .app import load_app

    app = load_app(args.app)
    # The app's directory last, as a forked instance has it (childenv): its modules importable,
    # none shadowing the standard library's (the chatbot's directory holds a numbers.py).
    sys.path.extend(p for p in app.import_paths if p not in sys.path)
    config = app.resolved_config()
    if args.service not in config.puma_services:
        raise PumaError(f"no service {args.service!r} in {args.app}{did_you_mean(args.service, list(config.puma_services))}; "
                        f"services: {sorted(config.puma_services)}")
    from .client import ENV_SERVICES
    from .worker import serve_standalone

    # Instances reach other services through the front Envoy ($PUMA_URL) by these prefixes.
    os.environ.setdefault(ENV_SERVICES, json.dumps({n: s.prefix for n, s in config.puma_services.items()}))

    serve_standalone(args.service, config.puma_services[args.service], args.host, args.port,
                     drain_timeout_s=config.http_connection_manager.drain_timeout, busy_dir=args.busy_dir,
                     instance_id=args.instance_id)


def cmd_worker(args: argparse.Namespace) -> None:
    from .running import normalise_url
    from .workers import run_worker

    run_worker(normalise_url(args.join, "--join"), args.service, args.instances, args.host, args.token)


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
    if not args.apart:  # pyproject.toml's list names that project's features: only those reached count
        apart = locreport.reached_apart(apart, lines)
    source = "--apart" if args.apart else f"{args.root / 'pyproject.toml'} {locreport.APART_TABLE}"
    doc = locreport.whole_report(lines, str(args.old), str(args.new), apart, source)
    print(json.dumps(doc, indent=2) if args.json else locreport.whole_markdown(doc, details=args.details))


if __name__ == "__main__":
    interrupts.stop_while_starting()  # late (its imports are done), but as `puma.entry` does from then on
    main()
