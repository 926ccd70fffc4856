"""A `puma run` app whose handlers wait without using CPU, like a call to a dependency that is down:
`wait(seconds)` sleeps, `quick()` answers at once, `leave(kind)` raises SystemExit or
KeyboardInterrupt (what argparse or a stray Ctrl-C handler would). Timeouts come from $STUCK_TIMEOUT_S."""

import os
import time

from puma import puma_config, puma_service


def wait(seconds: float = 1.0) -> dict:
    time.sleep(seconds)
    return {"waited": seconds, "pid": os.getpid()}


def quick() -> dict:
    return {"pid": os.getpid()}


def leave(kind: str = "exit") -> dict:
    if kind == "exit":
        raise SystemExit(3)
    if kind == "exit-text":
        raise SystemExit("usage: leave --kind")
    if kind == "interrupt":
        raise KeyboardInterrupt
    return {"stayed": True}


_TIMEOUT_S = float(os.environ.get("STUCK_TIMEOUT_S", "4"))
puma_config({"puma_services": {
    "wait": {"instances": int(os.environ.get("STUCK_INSTANCES", "1")), "threads": 2, "timeout_s": _TIMEOUT_S},
    "quick": {}, "leave": {}},
    "http_connection_manager": {"drain_timeout": float(os.environ.get("STUCK_DRAIN_S", "2"))}})
puma_service({"wait": wait, "quick": quick, "leave": leave})
