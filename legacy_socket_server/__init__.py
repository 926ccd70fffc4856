"""The chatbot as a monolith: one threading socket server process (the paper's Listing 1).

Start it with ``chatbot legacy [debug] [--port N]`` or ``python -m legacy_socket_server``;
the PUMA port of the same application is ``chatbot/puma_app.py``. The names below are imported
on first use, so reading the command-line options (``legacy_socket_server.options``) does not
load the chatbot.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legacy_socket_server.server import LegacyServer, answer, chatbox_socket

__all__ = ["LegacyServer", "answer", "chatbox_socket"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'legacy_socket_server' has no attribute {name!r}")
    return getattr(importlib.import_module("legacy_socket_server.server"), name)
