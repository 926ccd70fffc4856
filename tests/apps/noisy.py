"""A service module that logs as a monolith's modules do (tests/test_service_log_names.py)."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)
log.warning("calibration table v2 is stale; using v1")


def slow_echo(text: str) -> str:
    time.sleep(0.2)
    return text
