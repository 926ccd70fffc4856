"""`puma render`: the Envoy config of an app for `puma run` or docker-compose, its Kubernetes
manifests, or its Swarm stack, printed or written to --out."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .cliparse import APP_HELP, command
from .errors import PumaConfigError, PumaError
from .targets import misspelt

log = logging.getLogger("puma")


def add_render(sub: Any) -> None:
    render = command(sub, "render", "print the Envoy config for an app, or its Kubernetes manifests or Swarm stack",
                      "Print the configuration for the services of APP.py. --target local: the Envoy "
                      "bootstrap `puma run` starts Envoy with, as one static file; its clusters have no "
                      "endpoints, because `puma run` learns the instances' addresses only as they start and "
                      "hands them to Envoy through endpoint (EDS) files at run time; its admin is on a Unix "
                      "socket in the run directory, as `puma run`'s (admin_port: a loopback port). --target "
                      "compose: the front Envoy's config for docker-compose (one DNS name per service on port "
                      "8000), which the compose file's envoy service runs; not a compose file (docker-compose.yml "
                      "runs the containers and mounts it). --target kubernetes: manifests for `kubectl apply -f DIR`. --target swarm: "
                      "DIR/stack.yml and DIR/envoy.yaml for `docker stack deploy`. "
                      "`envoy --mode validate -c FILE` accepts the Envoy configs.")
    render.add_argument("app", type=Path, help=APP_HELP)
    render.add_argument("--target", choices=["local", "compose", "kubernetes", "swarm"], default="local",
                        help="local: what `puma run` gives Envoy, endpoints left empty (filled at run time); "
                             "compose: the front Envoy's config for docker-compose, one DNS name per service (port "
                             "8000), not a compose file; kubernetes: manifests (see --out); "
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


def cmd_render(args: argparse.Namespace) -> None:
    from . import (  # here, not above: `puma --help` builds this command's parser without them
        envoy,
        rundirs,
    )
    from .app import load_app

    app = load_app(args.app)
    config = _with_marks(app.resolved_config(), app.import_paths)
    if args.target != "kubernetes":  # what `puma run` refuses (its HPA floors at 1 pod: a note there)
        _check_startable(config)
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
    else:  # the admin where `puma run` puts it: a Unix socket in its run directory, unless admin_port is set
        socket = None if config.admin_port else Path(tempfile.gettempdir()) / f"{rundirs.PREFIX}RUN" / "envoy-admin.sock"
        doc = envoy.bootstrap_static(config, {}, admin_socket=socket)
    text = "# Rendered by `puma render` - do not edit by hand.\n" + NOTES[args.target] + envoy.to_yaml(doc)
    if args.out:
        args.out.write_text(text)
        print(f"wrote {WHAT[args.target]} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


NOTES = {
    "local": "# Every cluster's endpoints are empty: `puma run` learns the instances' addresses as they start\n"
             "# and gives them to Envoy through endpoint (EDS) files while it runs. Its admin is on a Unix socket\n"
             "# in the run directory each `puma run` makes (puma-RUN stands for it); admin_port: 127.0.0.1:PORT.\n",
    "compose": "# The front Envoy's config for docker-compose, not a compose file: docker-compose.yml runs the\n"
               "# services' containers and an envoy container that runs `envoy -c` on this file.\n",
}
WHAT = {"local": "the Envoy bootstrap `puma run` starts Envoy with",
        "compose": "the front Envoy's config for docker-compose (not a compose file: docker-compose.yml mounts it)"}


def _check_startable(config: Any) -> None:
    """`PumaConfigError` for what `puma run` refuses to start (`configproblems.unstartable_problems`),
    so a rendered config is one PUMA would run, as `puma run` checks it."""
    from .configproblems import unstartable_problems
    from .errors import PumaConfigError

    problems = unstartable_problems(config.puma_services)
    if problems:
        raise PumaConfigError(problems)


def _with_marks(config: Any, import_paths: tuple[str, ...] = ()) -> Any:
    """`config` with the methods its targets mark `@puma.idempotent` (as a zygote reports them).
    A target that does not exist (a misspelt module or attribute: `targets.TargetNotFound`) is a
    `PumaConfigError`, as `puma run` fails on it; one whose module fails to import (a dependency
    this machine lacks) only loses its marks: rendering must not need every service's dependencies.
    The app's own directory is importable meanwhile (`import_paths`), as it is to its services."""
    with _importable(import_paths):
        return _marked(config)


@contextlib.contextmanager
def _importable(paths: tuple[str, ...]) -> Iterator[None]:
    added = [p for p in paths if p not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for path in added:
            sys.path.remove(path)


def _marked(config: Any) -> Any:
    from .endpoints import marks, unmarked_methods

    missing = []
    for name, service in config.puma_services.items():
        missing += _named_paths(name, service)
        if service.target is None:
            continue
        try:
            found = marks(service.target)
            unmarked = unmarked_methods(service.target, service.idempotent_methods)
        except Exception as exc:  # noqa: BLE001 - rendering must not need every service's dependencies
            if misspelt(exc, service.target.removesuffix("()")):
                missing.append((f"puma_services.{name}.target", f"cannot import {service.target!r}: {exc}"))
                continue
            log.warning("cannot import %s to read its @idempotent marks (%s); config's marks only", service.target, exc)
            continue
        if unmarked:  # as `puma run` refuses it when the service starts
            missing.append((f"puma_services.{name}.idempotent", unmarked))
        if not service.retries_all:
            config = config.replace_service(name, service.with_idempotent(found))
    if missing:
        raise PumaConfigError(missing)
    return config


def _named_paths(name: str, service: Any) -> list[tuple[str, str]]:
    """The service's warm-up and readiness check, each an import path that must name a function (as
    its start would fail on a misspelt one); a dependency missing here only goes unchecked."""
    from .targets import load

    problems = []
    for key, path in (("warmup", service.warmup), ("readiness.check", service.readiness and service.readiness.check)):
        try:
            if path:
                load(path)
        except Exception as exc:  # noqa: BLE001 - as for targets: only a misspelling is the config's fault
            if misspelt(exc, path):
                problems.append((f"puma_services.{name}.{key}", f"cannot import {path!r}: {exc}"))
    return problems


_KUBERNETES_OPTIONS = ("image", "namespace", "secret", "autoscale_on", "envoy_replicas", "cluster_domain")


def _add_kubernetes_options(render: argparse.ArgumentParser) -> None:
    from .kubeoptions import AUTOSCALE_ON, Options

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
