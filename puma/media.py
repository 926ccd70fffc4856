"""The request content types a service accepts unless its config lists others.

Its own module, so a service process (which needs it) does not load the config models (which
use it as the default of `puma.services.Service.content_types`).
"""

from __future__ import annotations

DEFAULT_CONTENT_TYPES = (
    "application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
