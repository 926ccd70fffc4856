"""A stop signal always stops: a handler that sets the stop event never waits for a lock its own
(interrupted) thread holds. A legacy server sent SIGTERM while its main thread was inside the stop
event's own lock hung so for good, holding its port (`make run`'s next start found it taken)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from puma import wakeups

ROOT = Path(__file__).parents[1]

# The two moments a handler can land at with the event's lock held by its own thread: inside the
# waiter's `with` (between its checks) and inside an earlier handler's set (a second signal).
SCRIPT = """
import signal, sys
from puma import wakeups
stop = wakeups.SignalEvent()
stops = []
def on_signal(signum, _frame):
    stops.append(signum)
    if sys.argv[1] == "nested" and len(stops) == 1:
        with stop._cond:  # as if the first handler were inside set() when the second signal came
            signal.raise_signal(signal.SIGTERM)
    stop.set_from_signal()
signal.signal(signal.SIGTERM, on_signal)
if sys.argv[1] == "held":
    with stop._cond:  # as if the main thread were inside stop.wait() when the signal came
        signal.raise_signal(signal.SIGTERM)
else:
    signal.raise_signal(signal.SIGTERM)
wakeups.wait(stop)
print("stopped", len(stops))
"""


@pytest.mark.parametrize("moment", ["held", "nested"])
def test_signal_event_a_stop_landing_while_its_lock_is_held_still_stops(moment: str) -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), moment], cwd=ROOT,
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stopped"), done.stdout


def test_signal_event_wakes_a_waiting_thread_at_once_and_times_out_as_an_event() -> None:
    event = wakeups.SignalEvent()
    assert event.wait(0.05) is False and not event.is_set()
    woke: list[float] = []
    waiter = threading.Thread(target=lambda: woke.append(time.monotonic()) if event.wait(10) else None)
    waiter.start()
    time.sleep(0.1)
    set_at = time.monotonic()
    event.set_from_signal()  # the lock is free: the waiter is woken now, not at its next check
    waiter.join(5)
    assert woke and woke[0] - set_at < wakeups.SIGNAL_CHECK_S / 2
    event.clear()
    assert not event.is_set()


def test_stop_handlers_of_puma_run_and_the_legacy_server_never_call_event_set() -> None:
    """The handlers that stop `make run`'s two servers set their events without waiting for a lock."""
    for path, handler in (("puma/app.py", "def on_stop("), ("legacy_socket_server/running.py", "def on_signal(")):
        text = (ROOT / path).read_text()
        body = text.split(handler, 1)[1].split("\n\n", 1)[0]
        assert ".set_from_signal()" in body and ".set()" not in body, (path, body)
