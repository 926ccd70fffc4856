"""Functions the puma_map tests send to workers by import path, and a pickle gadget."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def square(x: int) -> int:
    return x * x


def _negate(x: int) -> int:
    """Private (a leading '_'): what README tells a script to name a map-only function, so that
    `puma_service(__name__)` does not serve it as a route. The map loads it all the same."""
    return -x


def slow_square(x: int) -> int:
    time.sleep(0.02)
    return x * x


def fail_on_13(x: int) -> int:
    if x == 13:
        raise ValueError(f"unlucky {x}")
    return x


def touch_marker(path: str) -> str:
    """Creates `path`: the side effect that proves a payload was unpickled (or a function run)."""
    Path(path).touch()
    return path


class Gadget:
    """Unpickling this calls `touch_marker(path)` — what an attacker's payload would do."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return touch_marker, (self.path,)


def pid(_: Any) -> int:
    """Which instance computed the item."""
    return os.getpid()


def pid_after(seconds: float) -> int:
    """Which instance computed the item, after `seconds` of (sleeping) work."""
    time.sleep(seconds)
    return pid(seconds)


def cube(x: int) -> int:
    return x * x * x


def slow_on(item: tuple[int, int]) -> int:
    """`(slow_pid, x)`: 30 ms of work on the instance whose pid is slow_pid, 1 ms elsewhere; returns the pid."""
    time.sleep(0.03 if os.getpid() == item[0] else 0.001)
    return os.getpid()


def never_returns_on(item: tuple[int, int]) -> int:
    """`(bad, x)`: x, except that item x == bad never returns (it waits for an event nobody sets)."""
    bad, x = item
    if x == bad:
        import threading

        threading.Event().wait()
    return x


def spins_on(item: tuple[int, int]) -> int:
    """`(bad, x)`: x, except that item x == bad loops forever, computing (holds the CPU, not only a thread)."""
    bad, x = item
    while x == bad:
        x = (x * 7 + 1) % 1_000_003 if x != bad else bad
    return x


def exits_on_7(x: int) -> int:
    """SystemExit on item 7 (a library calling sys.exit), else x."""
    if x == 7:
        raise SystemExit(3)
    return x


def interrupted_on_5(x: int) -> int:
    if x == 5:
        raise KeyboardInterrupt
    return x


def lock_on_11(x: int) -> object:
    """A result pickle cannot carry for item 11 (a lock), else x."""
    import threading

    return threading.Lock() if x == 11 else x


def add_pair(a: object, b: object) -> object:
    """A reducer that makes an unpicklable value once it meets one."""
    import threading

    return threading.Lock() if 9 in (a, b) else (a if isinstance(a, int) else 0) + (b if isinstance(b, int) else 0)
