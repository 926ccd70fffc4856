"""Throwaway hosts for multi-host tests and benchmarks: network namespaces joined by a bridge, made
and removed here (needs root and iproute2's `ip`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def available() -> str | None:
    """Why namespaces can't be used here, or None if they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "the 'ip' command (iproute2) is missing"
    probe = f"puma-probe-{uuid.uuid4().hex[:6]}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "this machine does not allow creating network namespaces"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@contextmanager
def hosts(names: list[str], subnet: str = "10.213.77") -> Iterator[dict[str, tuple[str, str]]]:
    """Namespaces `names` on one bridge; yields name -> (namespace, address). Removed on exit."""
    tag = uuid.uuid4().hex[:5]
    hub = f"puma-{tag}-hub"
    made = [hub]
    result: dict[str, tuple[str, str]] = {}
    try:
        _ip("netns", "add", hub)
        _ip("-n", hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", hub, "link", "set", "br0", "up")
        for n, name in enumerate(names, start=1):
            ns, address = f"puma-{tag}-{name}", f"{subnet}.{n}"
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", hub, "link", "add", f"v{n}", "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("-n", hub, "link", "set", f"v{n}", "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            result[name] = (ns, address)
        yield result
    finally:
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def in_ns(ns: str, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]
