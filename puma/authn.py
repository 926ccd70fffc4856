"""Who asks the status server, and whether they are trusted (Kubernetes' authentication, before
any authorisation): the full view, and changes such as `POST /_puma/scale`, are for them only.

A client on this machine (Envoy passes the connection's real peer address, its downstream remote
address, in `x-puma-peer`: loopback, or the very address it connected to) that also names this
deployment in its Host header (a loopback name or address, this machine's name, the listener's
address: see `names_this_deployment`), or one holding the deployment's secret (`x-puma-token`),
is trusted (`"view": "full"`); anyone else gets the public view (`puma.visibility`). The Host
check is what stops DNS rebinding: a page of `attacker.example` whose name is made to resolve to
127.0.0.1 is a local peer, but its requests carry `Host: attacker.example`.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from email.message import Message
from typing import TYPE_CHECKING

from .errors import HTTPError

if TYPE_CHECKING:
    from .interfaces import DeploymentView

PEER_HEADER = "x-puma-peer"  # set by Envoy's status route to the connection's peer address
LOCAL_HEADER = "x-puma-local"  # ... and to the address the peer connected to


def trusted(deployment: DeploymentView, headers: Message[str, str], peer: str) -> bool:
    """The secret, or this machine (Envoy says who the peer was; direct callers are local, `peer`
    is the connection's) asking by a name of this deployment (not a rebound foreign name)."""
    from . import workers

    try:
        workers.check_token(deployment, headers.get(workers.TOKEN_HEADER))
        return True
    except HTTPError:
        pass
    peer = headers.get(PEER_HEADER) or peer
    local = headers.get(LOCAL_HEADER)
    backend = getattr(deployment, "backend", None)  # its containers: on a network of its own
    if not (_is_local(peer) or peer == local or (backend is not None and backend.holds(peer))):
        return False
    own = {a for a in (local, deployment.config.listener.host) if a}
    return names_this_deployment(headers.get("host"), own)


def check_control_token(expected: str, given: str | None) -> None:
    """`HTTPError` 401 unless `given` is the deployment's control token (constant-time compare)."""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPError(401, "missing or wrong x-puma-token header: give the deployment's secret "
                             "($PUMA_SECRET), or run `puma scale` as the user who started it")


def _is_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def names_this_deployment(host_header: str | None, own_addresses: set[str]) -> bool:
    """Whether a Host header names this deployment: a loopback name or address (`localhost`,
    `*.localhost`, 127.0.0.1, [::1]), this machine's name, or one of `own_addresses` (the
    listener's, the one the client connected to); any port. Example:
    ``names_this_deployment("localhost:8080", set())`` -> True; ``("rebind.example", set())`` -> False.
    """
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost") or _is_local(host):
        return True
    return host in own_addresses or host in _machine_names()


def _machine_names() -> set[str]:
    name = socket.gethostname().lower()
    return {name, socket.getfqdn(name).lower()}
