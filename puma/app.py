"""The three calls of the paper — `puma_config`, `puma_service`, `puma_start` — on an `App` registry.

    puma_config({"puma_services": {"agent": "/agent", "policy": "/policy"}})
    puma_service({"agent": agent, "policy": policy})
    if __name__ == "__main__":
        puma_start()
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import signal
import sys
import time
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import discovery, guard, runs, stalls, stopping, targetchecks, targets, unstarted, wakeups
from .client import ENV_WORKER
from .clock import process_age_s
from .config import PumaConfig, parse_config
from .configproblems import target_conflicts, unregistered_problems
from .containers import ContainerSpec
from .errors import PumaConfigError, PumaError, PumaStartError
from .interrupts import EXIT_INTERRUPTED
from .jobs import local_jobs, run_jobs
from .lines import fill
from .services import Service
from .sharedglobals import warn as warn_shared_globals
from .states import all_ready_line, serving_lines
from .supervisor import Deployment
from .waiting import StartupProgress

ENV_AWS_DYNAMODB_ENDPOINT = "AWS_ENDPOINT_URL_DYNAMODB"  # the AWS SDKs' own name for it

log = logging.getLogger(__name__)


class App:
    """What an application declared: its config and which function serves each service."""

    def __init__(self) -> None:
        self.config_data: dict[str, Any] = {}
        self._registered: list[dict[str, str] | discovery.ModuleServices] = []  # in puma_service's order
        self.deployment: Deployment | None = None
        self.collect_only = False  # set by `puma run/render`: puma_start() only records
        self._config_problems: list[tuple[str, str]] = []  # puma_config's, kept while collecting
        self._service_problems: list[tuple[str, str]] = []  # puma_service's, kept while collecting
        self._refused_names: set[str] = set()  # what a refused module would have served
        self.import_paths: tuple[str, ...] = ()  # a loaded script's directory: its processes import from it

    @classmethod
    def load(cls, script: str | Path) -> App:
        """The app a script declares with `puma_config` and `puma_service`, not started: what
        `puma run SCRIPT` would run. Example: `puma.App.load("chatbot/puma_app.py").start()`."""
        path = Path(script)
        if path.is_dir():
            raise PumaError(f"{path} is a directory; give the app's script in it, e.g. {path / 'app.py'}")
        if not path.is_file():
            raise PumaError(f"no such app script: {path}")
        global default_app
        app, previous = cls(), default_app
        app.collect_only = True
        app.import_paths = (str(path.resolve().parent),)
        default_app = app  # the script's puma_config/puma_service/puma_start calls reach `app`
        sys.path.insert(0, str(path.resolve().parent))
        try:
            _run_script(path)
        finally:
            default_app = previous
            sys.path.remove(str(path.resolve().parent))
            app.collect_only = False
        return app

    def configure(self, conf: Mapping[str, Any] | str | PumaConfig) -> PumaConfig:
        """Set the configuration (dict or JSON string); validated now, so mistakes show at once."""
        self._not_started("puma_config")
        try:
            # partial: a rate limit may name a service only puma_service registers (checked at start)
            config = parse_config(conf if isinstance(conf, str | PumaConfig) else dict(conf), partial=True)
        except PumaConfigError as exc:
            if not self.collect_only or isinstance(conf, PumaConfig):
                raise
            # `puma run/render`: kept, to be reported with what the rest of the script gets wrong
            # (a configured service no function is registered for) in one list (`resolved_config`).
            raw = _config_object(conf)
            if raw is None:
                raise
            self.config_data, self._config_problems = raw, exc.problems
            return PumaConfig.model_construct()
        self.config_data, self._config_problems = config.model_dump(exclude_unset=True), []
        return config

    def add_services(self, services: Mapping[str, Callable[..., Any] | str] | str | types.ModuleType) -> None:
        """Register the function (or import path) that serves each named service: a dict of name ->
        function, class or import path, its JSON text, or a module (its name, or the module) whose
        public functions and classes are the services (`puma.discovery`)."""
        self._not_started("puma_service")
        if isinstance(services, types.ModuleType) or (isinstance(services, str) and not services.lstrip().startswith("{")):
            try:
                self._registered.append(discovery.discover(services))
            except PumaConfigError as exc:
                if not self.collect_only:
                    raise
                # `puma run/render`: reported with every other problem of the app, in one list; the
                # services it would have served are not also "no function registered".
                self._service_problems += exc.problems
                self._refused_names |= discovery.names_of(services)
            return
        if isinstance(services, str):
            services = json.loads(services)
        if not isinstance(services, Mapping):
            raise PumaConfigError([("puma_service", "pass a dict of service name -> function")])
        # A function or class given itself is checked now, as a named module's are: a parameter no
        # request can carry is refused before anything starts (a string path is its zygote's to import).
        refused = [(f"puma_service.{name}", why) for name, fn in services.items()
                   if (why := discovery.unsendable(fn))]
        if refused:
            if not self.collect_only:
                raise PumaConfigError(refused)
            self._service_problems += refused
            self._refused_names |= {path.removeprefix("puma_service.") for path, _ in refused}
            return
        paths = {name: targets.import_path(fn, where=f"puma_service.{name}") for name, fn in services.items()}
        known = self.targets
        twice = [(f"puma_service.{name}", f"{name!r} is registered twice, as {known[name]!r} and then "
                  f"{path!r}: one service, two functions; register it once, or give the other its own name")
                 for name, path in paths.items() if known.get(name, path) != path]
        if twice:
            if not self.collect_only:
                raise PumaConfigError(twice)
            self._service_problems += twice  # `puma run/render`: with every other problem, in one list
            return
        self._registered.append(paths)

    @property
    def targets(self) -> dict[str, str]:
        """Service name -> import path of what serves it. A named module's functions are one service
        (`"shop.parts:*"`), except those `puma_services` names and all of them with config
        `"module_functions": "apart"` (`puma.discovery`)."""
        apart = self.config_data.get("module_functions") == "apart"
        configured = self.config_data.get("puma_services", {})
        found: dict[str, str] = {}
        for registered in self._registered:
            if isinstance(registered, dict):
                found.update(registered)
            else:
                found.update(registered.services(apart=apart, own=configured if isinstance(configured, Mapping) else ()))
        return found

    def service(self, prefix: str, *, name: str | None = None, **settings: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: `@puma.service("/agent")` routes `/agent` to the function below."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            service_name = name or fn.__name__
            configured = self.config_data.get("puma_services", {})
            services = dict(configured) if isinstance(configured, Mapping) else {}
            services[service_name] = {"prefix": prefix, **settings}
            self.configure({**self.config_data, "puma_services": services})
            self.add_services({service_name: fn})
            return fn

        return register

    def resolved_config(self, *, check_imports: bool = False, **overrides: Any) -> PumaConfig:
        """The config with each service's function filled in, plus `overrides` of top-level keys;
        `PumaConfigError` listing every problem at once: the config's, and each configured service
        no function is registered for (a misspelt name), so `puma run`, `puma render` and
        `App.start` refuse the same configs in the same words. With `check_imports` (a deployment
        on this machine), every target, warm-up and readiness check too: its module's file, its
        syntax and the name it defines (`puma.targetchecks`), before anything starts."""
        data = {**self.config_data, **overrides}
        raw = data.get("puma_services", {})
        services, odd = _service_specs(raw)
        conflicts = target_conflicts(services, self.targets)
        for name, target in self.targets.items():  # a service puma_config does not name: at /<name>
            if name not in odd:
                services[name] = {**services.get(name, {}), "target": target}
        if isinstance(data.get("dynamodb"), Mapping):
            data["dynamodb"] = dynamodb_from_env(data["dynamodb"])
        unregistered = [*self._service_problems, *conflicts,
                        *unregistered_problems({n: s.get("target") for n, s in services.items()
                                                if n not in self._refused_names})]
        if check_imports:
            unregistered += targetchecks.problems(services, self.import_paths) + \
                targetchecks.job_problems(data.get("jobs"))
        try:
            # A value of a form no service takes is passed as written: the config's check names it.
            config = parse_config({**data, "puma_services": {**services, **odd} if isinstance(raw, Mapping) else raw})
        except PumaConfigError as exc:
            problems = [*self._config_problems, *(p for p in exc.problems if p not in self._config_problems)]
            raise PumaConfigError([*problems, *unregistered]) from None
        if unregistered:
            raise PumaConfigError(unregistered)
        return config

    def start(self, **overrides: Any) -> Deployment:
        """Start the deployment and return its handle (a context manager); does not block."""
        config = self.resolved_config(check_imports=True, **overrides)
        warn_shared_globals(config, self.import_paths)
        self.deployment = Deployment(config, import_paths=self.import_paths).start()
        return self.deployment

    def run(self, *, app_path: str = "", containers: ContainerSpec | None = None, **overrides: Any) -> None:
        """Run the config's jobs, start, then block until SIGINT/SIGTERM, then shut down cleanly.

        While it runs, a run file (`puma.runs`) lets `puma status` and `puma scale` find it. With
        `containers`, Envoy and every instance run in containers (`puma.containers`).
        """
        if os.environ.get(ENV_WORKER):
            return  # imported inside a worker: the supervisor is already running
        if self.collect_only:
            return
        started = time.monotonic()
        # Targets are checked here, on this machine, unless they run in containers (their image's).
        config = self.resolved_config(check_imports=containers is None, **overrides)
        warn_shared_globals(config, self.import_paths)
        deployment = self.deployment = Deployment(config, import_paths=self.import_paths, containers=containers)
        stop = wakeups.SignalEvent()  # set by on_stop, a signal handler (see puma.wakeups)
        deployment.on_failure = lambda _reason: stop.set()  # e.g. Envoy kept exiting: stop, exit code 1
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        run_file: list[Path] = []  # recorded as soon as Envoy listens (state "starting"): `puma status` finds it

        def record(state: str) -> None:
            in_flight_s, uploads_s = stopping.windows(deployment)
            run_file[:] = [runs.record(deployment.url, app=app_path or sys.argv[0], state=state, started=began,
                                       token=deployment.status_server.token,
                                       drain={"in_flight_s": in_flight_s, "uploads_s": uploads_s})]
            stalls.beat(run_file[0])  # touched while it runs: `puma status` says how long it has been silent

        began = time.time()
        stopped_by: list[int] = []  # the signal that ended serving: Ctrl-C ends with 130 then too
        served = False  # a start that failed or was interrupted says its own stop (not a drain plan)
        deployment.on_listening = lambda: record("starting")
        try:
            # While starting, Ctrl-C or SIGTERM interrupt the start (which undoes what it began).
            _on_stop_signals(_interrupt)
            _run_jobs(deployment)
            with StartupProgress(deployment):
                deployment.start()
            def on_stop(signum: int, _frame: object) -> None:
                stopped_by.append(signum)
                stop.set_from_signal()

            _on_stop_signals(on_stop)
            record("serving")
            served = True
            lines = serving_lines(deployment, time.monotonic() - started, process_age_s())
            print("\n".join(lines), flush=True)
            if any(line.startswith("not ready yet:") for line in lines):  # say once when every one is
                guard.thread(_say_when_all_ready, deployment, stop, name="puma-all-ready", retry=False).start()
            print(fill(f"logs: {deployment.run_dir / 'logs'}/<service>.log (kept after the stop if the run had "
                       "errors: a 5xx, a traceback or ERROR line, a failed service)"), flush=True)
            # Not stop.wait(): a SIGTERM another thread took would never end it. A gap in its own
            # clock (stopped, starved) is said as such: what it reports next may have happened meanwhile.
            wakeups.wait(stop, on_gap=lambda seconds: _say_paused(deployment, seconds))
            if deployment.failure is not None:  # not a signal: the deployment can no longer serve
                raise PumaError(f"the deployment stopped: {deployment.failure}")
        finally:
            # The stop waits for requests in progress, saying so; a second Ctrl-C or SIGTERM ends it at once.
            stopping.on_second_signal(deployment, stopped_by[0] if stopped_by else None)
            stalls.beat(None)
            for path in run_file:
                runs.forget(path)
            try:
                with stopping.StopProgress(deployment, served=served, after_ctrl_c=stopped_by[:1] == [signal.SIGINT]):
                    deployment.stop()
            finally:
                self.deployment = None
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        # A Ctrl-C exits as one during start-up does (130, what shells report for SIGINT), whichever
        # phase it landed in; SIGTERM (`make stop`, `puma stop`) is a stop asked for: a normal end.
        if stopped_by[:1] == [signal.SIGINT]:
            raise SystemExit(EXIT_INTERRUPTED)

    def _not_started(self, what: str) -> None:
        if self.deployment is not None and not self.deployment.stopping:
            raise PumaError(f"{what}() after puma_start(): the deployment is running; stop it first, "
                            "or change it live with deployment.add_service() / scale()")


def _run_jobs(deployment: Deployment) -> None:
    """The config's jobs for this machine, before anything starts; a failed one keeps its log."""
    jobs = local_jobs(deployment.config.jobs)
    if not jobs:
        return
    try:
        run_jobs(jobs, env=deployment.child_env(), log_dir=deployment.run_dir / "logs")
    except PumaStartError:
        deployment.keep_logs = True
        raise


def _say_when_all_ready(deployment: Deployment, stop: wakeups.SignalEvent) -> None:
    since = time.monotonic()
    while not stop.wait(0.5) and not deployment.stopping:
        line = all_ready_line(deployment, since, time.monotonic())
        if line is not None:
            print(fill(line), flush=True)  # a terminal's width at most (80 columns: 83 characters)
            return


def _on_stop_signals(handler: Any) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def _say_paused(deployment: Any, seconds: float) -> None:
    """The supervisor did not run for `seconds` (SIGSTOP, or starved of CPU): said in its log and events."""
    since = time.strftime("%H:%M:%S", time.localtime(time.time() - seconds))
    message = (f"the supervisor did not run for {seconds:.0f} s (since {since}: stopped by SIGSTOP, or starved of "
               "CPU); deaths and failures it reports now may have happened meanwhile (their times say when)")
    log.warning("%s", message)
    deployment.record("supervisor", message, kind="paused")


def _interrupt(signum: int, _frame: object) -> None:
    """Ctrl-C or SIGTERM while starting: say so at once, then undo the start (a second signal then
    kills what had started: see `puma.stopping`)."""
    _on_stop_signals(signal.SIG_IGN)
    how = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    print("\n" + fill(f"puma: stopping ({how}): stopping what had started ({how} again to force)"),
          file=sys.stderr, flush=True)
    raise KeyboardInterrupt(how)  # the CLI ends a Ctrl-C as a normal stop, another signal as an interruption


default_app = App()


def dynamodb_from_env(key: Mapping[str, Any]) -> dict[str, Any]:
    """The `dynamodb` key with what it leaves out taken from the AWS SDKs' standard variables:
    `endpoint` from `AWS_ENDPOINT_URL_DYNAMODB` (else none: a local moto server), `region` from
    `AWS_REGION` or `AWS_DEFAULT_REGION`. A deployment then needs only `"dynamodb": {}`.
    Example: with `AWS_REGION=eu-west-1`, `dynamodb_from_env({})` -> `{"region": "eu-west-1"}`."""
    found = dict(key)
    endpoint = os.environ.get(ENV_AWS_DYNAMODB_ENDPOINT, "").strip()
    region = os.environ.get("AWS_REGION", "").strip() or os.environ.get("AWS_DEFAULT_REGION", "").strip()
    if endpoint and "endpoint" not in found and not found.get("local"):
        found["endpoint"] = endpoint
    if region and "region" not in found:
        found["region"] = region
    return found


def _config_object(conf: Mapping[str, Any] | str) -> dict[str, Any] | None:
    """`conf` as a dict (JSON text decoded), or None when it is not a JSON object."""
    if isinstance(conf, str):
        try:
            conf = json.loads(conf)
        except json.JSONDecodeError:
            return None
    return dict(conf) if isinstance(conf, Mapping) else None


def puma_config(conf: Mapping[str, Any] | str) -> PumaConfig:
    """Configure PUMA (the paper's Figure 4 keys) from a dict or a JSON string."""
    unstarted.note(sys._getframe(1).f_globals, default_app)
    return default_app.configure(conf)


def puma_service(services: Mapping[str, Callable[..., Any] | str] | str | types.ModuleType) -> None:
    """Register service functions: `puma_service({"agent": agent, "policy": policy})`, or every
    public function and class of a module, each at /<its name>: `puma_service(__name__)`."""
    unstarted.note(sys._getframe(1).f_globals, default_app)  # `python app.py` without puma_start(): say so
    default_app.add_services(services)


def service(prefix: str, **settings: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator form of `puma_service`: `@puma.service("/agent", instances=2)`."""
    unstarted.note(sys._getframe(1).f_globals, default_app)
    return default_app.service(prefix, **settings)


def _run_script(path: Path) -> None:
    """Run an app script as `__main__`; a file that is no Python script, or one whose import fails,
    is a `PumaError` naming the file, the line and the cause (one line, no traceback)."""
    try:
        runpy.run_path(str(path), run_name="__main__")
    except (PumaError, SystemExit, KeyboardInterrupt):
        raise
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        raise PumaError(f"{path} is not a Python script ({where}{exc.msg}); give the app's .py "
                        "file, which calls puma_config and puma_service") from None
    except (UnicodeDecodeError, ValueError) as exc:
        if not isinstance(exc, UnicodeDecodeError) and "null bytes" not in str(exc):
            raise _script_error(path, exc) from exc
        raise PumaError(f"{path} is not a Python script ({exc}); give the app's .py file") from None
    except ImportError as exc:
        where = (f"is it installed in the image {os.environ['PUMA_IN_CONTAINER']}?" if os.environ.get("PUMA_IN_CONTAINER")
                 else "is the venv the app needs active? e.g. . .venv/bin/activate")
        raise PumaError(f"{path}: {exc} ({where})") from None
    except Exception as exc:  # noqa: BLE001 - the script's own error, shown where it happened
        raise _script_error(path, exc) from exc


def _script_error(path: Path, exc: BaseException) -> PumaError:
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == path.resolve()]
    where = f"{path}, line {frames[-1].lineno}" if frames else str(path)
    return PumaError(f"{where}: {type(exc).__name__}: {exc} (the app script failed while PUMA read it; "
                     "run it with python to see the traceback)")


def puma_start(**overrides: Any) -> None:
    """Start the deployment and block until interrupted (the paper's `puma_start`). In a script run
    as `python app.py`, a config mistake is printed as `puma run app.py` prints it (`puma.unstarted`)."""
    unstarted.started()
    default_app.run(**overrides)


def start(**overrides: Any) -> Deployment:
    """Start the deployment without blocking; use the handle as a context manager."""
    unstarted.started()
    return default_app.start(**overrides)


def _service_specs(raw: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """`puma_services` as written: each service's settings (a prefix written alone is its
    `prefix`), and apart those of no form a service takes (a number, a list), left for the config's
    own check to name in its list of problems rather than fail here."""
    services: dict[str, dict[str, Any]] = {}
    odd: dict[str, Any] = {}
    for name, spec in raw.items() if isinstance(raw, Mapping) else ():
        if isinstance(spec, str):
            services[name] = {"prefix": spec}
        elif isinstance(spec, Mapping):
            services[name] = dict(spec)
        else:
            odd[name] = spec
    return services, odd


def load_app(path: Path) -> App:
    """The app the script declares (run as __main__ with puma_start() only recording); a script
    that registers no service is an error naming it (a forgotten puma_service, or the wrong file)."""
    app = App.load(path)
    if not app.targets and not app.config_data.get("puma_services") and not app._service_problems:
        kind = f" (it is a {path.suffix} file, not a Python app script)" if path.suffix not in ("", ".py") else ""
        raise PumaError(f"{path} registered no services{kind}: an app script calls puma_service({{'name': function}}) "
                        "(or decorates a function with @puma.service('/route')) before puma_start(); "
                        "e.g. examples/parts_app.py")
    return app


__all__ = ["App", "Service", "default_app", "puma_config", "puma_service", "puma_start", "service", "start"]
