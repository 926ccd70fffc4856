"""waitress's task dispatcher as PUMA's instances use it: threads started as requests overlap."""

from __future__ import annotations

import logging
from typing import Any

from waitress.task import ThreadedTaskDispatcher


class GrowingDispatcher(ThreadedTaskDispatcher):
    """waitress's task dispatcher, whose threads start when work needs them, up to `max_threads`.

    waitress starts all of an instance's threads at once; started one by one as requests overlap,
    an instance starts in a third of the time and an idle one holds one thread, not `threads`.
    """

    def __init__(self, max_threads: int) -> None:
        super().__init__()
        self.max_threads = max_threads
        self.queue_logger = _QueueLog()  # type: ignore[assignment]  # what waitress calls: .warning(...)

    def add_task(self, task: Any) -> None:
        with self.lock:
            idle = len(self.threads) - self.stop_count - self.active_count
            grow = len(self.queue) >= idle and len(self.threads) < self.max_threads
        if grow:
            self.set_thread_count(len(self.threads) - self.stop_count + 1)
        super().add_task(task)


class _QueueLog:
    """waitress's "Task queue depth is 1", said whenever a request arrives before a thread is free:
    routine here, where threads start as requests overlap (and Envoy queues the rest), so it is a
    DEBUG line of `waitress.queue`, not a WARNING in every busy service's log."""

    log = logging.getLogger("waitress.queue")

    def warning(self, message: str, *args: Any) -> None:
        self.log.debug(message, *args)
