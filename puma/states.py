"""One definition of "starting" and "not ready", for `/_puma/status`, `/_puma/ready`, `puma status`,
`puma run`'s serving line and the dashboard.

A service that needs an instance (its `instances.min` is above 0, or it is public) and has no
instance Envoy routes to is, in this order:

- *not ready* when an instance of it runs but its readiness check fails (what it needs is down, or
  still loading): whatever the deployment is doing, PUMA's start-up is not what it waits for, and
  the reason is the instance's own (e.g. "the legacy socket server is unreachable ...");
- *starting* while the deployment has not finished starting (`Deployment.started_at` is None):
  it is importing, warming up, or its first instance is on its way;
- *not ready* once the deployment has started (it serves, and `puma run` said so): a replacement
  instance starting, or none running; never "starting" again.

- *not ready* when it has failed (`pool.failed`: its zygote kept dying past the restart budget, or
  could not be started again): nothing will serve it until an operator starts it again, so a load
  balancer probing `/_puma/ready` must stop sending users to a deployment whose requests need it.

>>> # states(deployment, {"web": 1, "legacy": 0, "agent": 0})
>>> # -> (["agent"], {"legacy": "instance 1: the legacy socket server is unreachable ..."})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .lines import wrap

if TYPE_CHECKING:
    from .interfaces import DeploymentView


def needs_instance(pool: Any) -> bool:
    """Whether `pool`'s service holds readiness back while it has no ready instance."""
    return bool(pool.service.instances.min > 0 or pool.service.visibility == "public")


def passes(pool: Any, instance: Any) -> bool:
    """Whether `instance` serves: it runs (ready) and its readiness check passes — for a service
    with a check, it has passed at least once (Envoy routes to it only then)."""
    if instance.state != "ready" or getattr(instance, "not_ready", None):
        return False
    return getattr(instance, "ever_ready", True) or getattr(pool.service, "readiness", None) is None


def instance_words(instance: Mapping[str, Any], said: Sequence[str] = ()) -> str:
    """An instance's state in words (`/_puma/status`'s instance, its service's `not_ready` lines as
    `said`), from the readiness the headline counts: "ready" only for one that serves; one that runs
    while its readiness check fails is "up, not ready: <reason>" ("ready" would contradict the
    service's "not ready" beside it). Example: ``instance_words({"id": 1, "state": "ready",
    "not_ready": "the database is unreachable"})`` -> 'up, not ready: the database is unreachable'."""
    state = str(instance.get("state", "?"))
    if state not in ("ready", "up"):
        return state
    # Not yet in Envoy's endpoints (status says "up"), or Envoy's health checks fail it: Envoy routes around it.
    if instance.get("in_envoy") is False:
        return "up (not yet in Envoy)"
    mine = f"instance {instance.get('id')}: "
    why = instance.get("not_ready") or next((line[len(mine):] for line in said if str(line).startswith(mine)), None)
    if why:
        return f"up, not ready: {why}"
    return "up (not yet in Envoy)" if state == "up" or instance.get("healthy") is False else "ready"


def _why(pool: Any, instance: Any, ask: bool) -> str | None:
    if instance.state != "ready" or passes(pool, instance):
        return None
    if instance.not_ready:
        return f"instance {instance.id}: {instance.not_ready}"
    # Imported here: `puma status` imports this module, and puma.health the config (pydantic).
    from .health import not_ready_reason

    said = not_ready_reason(instance.address) if ask else None  # ~1 ms: the instance's own answer
    return f"instance {instance.id}: {said or 'waiting for its first readiness check to pass'}"


def _not_ready_reason(pool: Any, started: bool, ask: bool = False) -> str | None:
    """Why a service with no routed instance is not ready, or None while it is starting."""
    with pool.lock:
        instances = [i for i in pool.instances.values() if i.state in ("starting", "ready")]
    why = next((text for i in instances if (text := _why(pool, i, ask))), None)
    if why is not None or not started:
        return why
    starting = sum(1 for i in instances if i.state == "starting")
    if starting:
        return f"no instance ready: {starting} starting (replacing one that stopped)"
    if instances:  # they run, yet Envoy routes to none: its health checks fail (stopped, hung, dead)
        return (f"Envoy routes to none of its {len(instances)} running instance(s): not checked yet, or "
                "failing its health checks (hung, stopped or gone)")
    return "no instance running" + (" (scaled to 0)" if pool.service.instances.min == 0 else "")


def states(deployment: DeploymentView, ready: Mapping[str, int], *, ask: bool = False
           ) -> tuple[list[str], dict[str, str]]:
    """`(starting, not_ready)` of `deployment`'s services given each one's instances routed to
    (`ready`): the names still starting, sorted, and each not-ready service -> why (see the module).
    `ask`: an instance not checked yet is asked why it is not ready (else "waiting for its first ...")."""
    started = getattr(deployment, "started_at", None) is not None
    starting, not_ready = [], {}
    for name, pool in list(deployment.pools.items()):
        if ready.get(name, 0) > 0 or not needs_instance(pool):
            continue
        failed = getattr(pool, "failed", None)
        why = (f"failed, not restarted ({failed}); the operator can start it again" if failed
               else _not_ready_reason(pool, started, ask))
        if why is None:
            starting.append(name)
        else:
            not_ready[name] = why
    return sorted(starting), not_ready


def verdict(body: Mapping[str, Any]) -> str:
    """The deployment's one state, from a `/_puma/ready` or a `/_puma/status` body: "stopping",
    "starting", "not ready", "degraded" (serving, but a part a service needs, or a duty of the
    supervisor such as writing Envoy's endpoints, keeps failing: a full disk) or "ready". Both
    bodies carry it as "state", and `puma status` says it, so they never disagree. Example:
    ``verdict({"waiting_for": [], "not_ready": {}, "supervisor_failing": [...]})`` -> 'degraded'."""
    if body.get("stopping"):
        return "stopping"
    if body.get("waiting_for"):
        return "starting"
    if body.get("not_ready"):
        return "not ready"
    services = [s for s in (body.get("services") or {}).values() if isinstance(s, dict)]
    if body.get("degraded") or body.get("supervisor_failing") or any(s.get("degraded") for s in services):
        return "degraded"
    return "ready"


def headline(status: Mapping[str, Any]) -> str | None:
    """The one line saying what the deployment does, from a status snapshot (`/_puma/status`), or
    None when it simply serves. Example: ``headline({"waiting_for": [], "not_ready": {"legacy": "..."}})``
    -> 'serving; not ready: legacy (see below)'."""
    if status.get("stopping"):
        return "stopping: instances finish their requests, then everything stops"
    waiting = list(status.get("waiting_for") or ())
    not_ready = list(status.get("not_ready") or ())
    if waiting:
        also = f"; not ready: {', '.join(not_ready)} (see below)" if not_ready else ""
        return (f"starting: waiting for {', '.join(waiting)} (no instance ready yet; `puma run` prints the URL "
                f"once it has started){also}")
    services = [(n, s) for n, s in (status.get("services") or {}).items() if isinstance(s, dict)]
    degraded = [n for n, s in services if s.get("degraded")]
    # Counted ready while Envoy routes to it, yet answering nothing (puma.silence): said first thing.
    silent = "".join(f"; not answering: {', '.join(names)} (see below: requests to it wait)"
                     for names in [[n for n, s in services if s.get("silent")]] if names)
    if not_ready:
        also = f"; degraded: {', '.join(degraded)}" if degraded else ""
        return f"serving; not ready: {_not_ready_said(not_ready, dict(services))}{also}{silent}"
    if degraded:
        return f"serving; degraded: {', '.join(degraded)} (see below: a part it needs fails every request){silent}"
    if status.get("supervisor_failing"):  # as /_puma/ready says it: "state": "degraded"
        return f"serving; degraded: the supervisor is failing (see below: it retries){silent}"
    return f"serving{silent}" if silent else None


def _not_ready_said(not_ready: list[str], services: Mapping[str, Any]) -> str:
    """Who is hurt: a public service's clients get 503; an internal one is called only by the
    deployment's own services (users may see nothing: a caller may retry, or answer from its cache)."""
    internal = [n for n in not_ready if (services.get(n) or {}).get("visibility") == "internal"]
    public = [n for n in not_ready if n not in internal]
    said = [f"{', '.join(public)} (see below: their requests get 503)"] if public else []
    if internal:
        said.append(f"{', '.join(internal)} (internal, see below: the services that call it get 503 for those "
                    "calls meanwhile, which they may retry or answer from a cache; clients are not sent to it)")
    return "; ".join(said)


def routed_now(deployment: DeploymentView) -> dict[str, int]:
    """Each service's instances that run and pass their readiness check (what `puma status` counts)."""
    found = {}
    for name, pool in list(deployment.pools.items()):
        with pool.lock:
            found[name] = sum(1 for i in pool.instances.values() if passes(pool, i))
    return found


def serving_lines(deployment: DeploymentView, elapsed_s: float, command_s: float | None = None) -> list[str]:
    """What `puma run` prints once its deployment has started, each line at most ~100 characters
    (`puma.lines`): the URL with how many services are ready. "PUMA is serving" only when every
    public service is (its pages and the requests they send are answered); while one is not (still
    warming up, or what it needs is still loading), "PUMA answers at", which ones are not ready yet
    and why, one a line, and that a line follows once they are (`all_ready_line`). The time is the
    user's wait: `command_s` since the process started (Python, reading the app); without it,
    `elapsed_s` starting the mesh, said as such. Example::

        ['PUMA answers at http://127.0.0.1:8080 (6 of 8 services ready in 35.8 s; Ctrl-C to stop)',
         'not ready yet: agent, legacy; their requests get 503 until they are:',
         '  agent: instance 1: waiting for its first readiness check to pass', ...,
         'a line says when every service is ready ("PUMA is serving")']
    """
    total = len(deployment.pools)
    starting, not_ready = states(deployment, routed_now(deployment), ask=True)
    late = {**{name: "starting" for name in starting}, **not_ready}
    count = (f"{total} service{'' if total == 1 else 's'} ready" if not late
             else f"{total - len(late)} of {total} services ready")
    took = f"in {command_s:.1f} s" if command_s is not None else f"after {elapsed_s:.1f} s starting them"
    public_late = [name for name in late if deployment.pools[name].service.visibility == "public"]
    head = "PUMA answers at" if public_late else "PUMA is serving at"
    lines = wrap(f"{head} {deployment.url} ({count} {took}; Ctrl-C to stop)")
    if late:
        lines += wrap(f"not ready yet: {', '.join(late)}; their requests get 503 until they are:")
        for name, why in late.items():
            lines += wrap(f"{name}: {why}", first="  ")
        lines.append('a line says when every service is ready ("PUMA is serving")' if public_late
                     else "a line says when every service is ready")
    return lines


def all_ready_line(deployment: DeploymentView, since: float, now: float) -> str | None:
    """The line saying every service is ready now (after `serving_lines` named some that were not),
    or None while one is still not. `since`/`now`: monotonic seconds."""
    starting, not_ready = states(deployment, routed_now(deployment))
    if starting or not_ready:
        return None
    return f"PUMA is serving at {deployment.url} (every service is ready now, {now - since:.1f} s later)"
