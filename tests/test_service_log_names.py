"""Service logs show what the app wrote as it wrote it, and no routine noise as warnings
(newcomer 63): an app module's log line keeps its logger's name (not PUMA's), and waitress's "Task
queue depth is 1", said whenever requests overlap before a thread is free, is no WARNING."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import puma
from puma import warmup
from puma.dispatcher import GrowingDispatcher
from puma.logs import SERVICE_LOG_FORMAT, NamedSource


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[_Kept]:
    root, handler = logging.getLogger(), _Kept()
    before = root.level, logging.getLogger("puma").level
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("puma").setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(before[0])
    logging.getLogger("puma").setLevel(before[1])


@pytest.mark.parametrize("logger", ["sensorhub.calibration", "sensorhub", "shop.prices.tables"])
def test_service_log_names_an_apps_import_line_keeps_its_loggers_name(kept: _Kept, logger: str) -> None:
    own = frozenset({logger.split(".")[0]})
    with warmup.announced("importing it to find its services", own, first_s=60):
        logging.getLogger(logger).info("loading calibration tables")
    mine = [r for r in kept.records if "loading calibration tables" in r.getMessage()]
    assert mine and all(r.name == logger and r.levelname == "INFO" for r in mine), [(r.name, r.msg) for r in mine]


@pytest.mark.parametrize(("logger", "shown"), [
    ("sensorhub.calibration", "WARNING sensorhub.calibration: tables stale"),
    ("urllib3.connectionpool", "WARNING urllib3.connectionpool: tables stale"),
    ("puma.serving", "WARNING tables stale"), ("root", "WARNING tables stale"),
])
def test_service_log_names_each_line_names_the_logger_unless_it_is_pumas(logger: str, shown: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(SERVICE_LOG_FORMAT.format(service="hub")))
    handler.addFilter(NamedSource())
    record = logging.LogRecord(logger, logging.WARNING, __file__, 1, "tables stale", None, None)
    assert handler.filter(record)
    assert handler.format(record).endswith(f"] {shown}")


class _Task:
    def __init__(self, done: threading.Event) -> None:
        self.done = done

    def service(self) -> None:
        self.done.wait(2)

    def cancel(self) -> None:
        pass


def test_service_log_names_overlapping_requests_say_no_queue_warning(kept: _Kept) -> None:
    dispatcher, done = GrowingDispatcher(2), threading.Event()
    try:
        for _ in range(6):
            dispatcher.add_task(_Task(done))
    finally:
        done.set()
        dispatcher.shutdown(timeout=5)
    # (Not every waitress line: on a loaded machine its shutdown may still cancel pending tasks.)
    queued = [r.getMessage() for r in kept.records if r.name.startswith("waitress") and "queue depth" in r.getMessage()]
    assert not queued, queued


@pytest.fixture(scope="module")
def noisy() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "threads": 2}}})
    app.add_services({"echo": "tests.apps.noisy:slow_echo"})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_service_log_names_a_real_services_log(noisy: puma.Deployment) -> None:
    with httpx.Client(base_url=noisy.url, timeout=30) as http, ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda i: http.post("/echo", json={"text": str(i)}).status_code, range(12)))
    assert replies == [200] * 12
    text = (noisy.run_dir / "logs" / "echo.log").read_text()
    assert "WARNING tests.apps.noisy: calibration table v2 is stale" in text, text[-2000:]
    assert "Task queue depth" not in text, text[-2000:]
