"""What `ps` and `top` call each PUMA process: its part, its service, and the deployment it serves.

On a machine running several deployments of one app, every instance read `puma.worker --service
agent`, and one re-parented to init (its zygote died) named no deployment at all: finding one's own
took `pstree` or `/proc/PID/cwd`. So the fork server, each zygote and each instance set their title
(`setproctitle`) to name the deployment by its listener's port (or, on a free port chosen at start,
by its supervisor's pid), which the supervisor passes down in `ENV_DEPLOYMENT`:

    puma.worker --service agent instance 2 port 41234 [puma :18730]

A title fits in the space of the process's own command line (the environment, which /proc shows,
is left alone: `SPT_NOENV`); the fork server's command line keeps room for its zygotes' titles.
"""

from __future__ import annotations

import os

import setproctitle

ENV_DEPLOYMENT = "PUMA_DEPLOYMENT"  # ":18730" (the listener's port) or "supervisor pid 4242"
TITLE_ROOM = 120  # characters of command line a zygote forked by the fork server may use for its title


def deployment_label(port: int, supervisor_pid: int) -> str:
    """How a deployment is named in its processes' titles: `:18730`, or `supervisor pid 4242` on port 0."""
    return f":{port}" if port else f"supervisor pid {supervisor_pid}"


def title(what: str) -> str:
    """`what` with the deployment this process belongs to. Example: ``title("puma.forkserver")`` ->
    ``"puma.forkserver [puma :18730]"``."""
    deployment = os.environ.get(ENV_DEPLOYMENT)
    return f"{what} [puma {deployment}]" if deployment else what


def set_title(what: str) -> None:
    """Show this process in `ps` as `title(what)`."""
    os.environ["SPT_NOENV"] = "1"  # read at setproctitle's first use: keep the environment as it is
    try:
        setproctitle.setproctitle(title(what))
    finally:
        os.environ.pop("SPT_NOENV", None)
