"""The chatbot as a monolith: one threading socket server process (the paper's Listing 1).

Start it with ``chatbot legacy [debug] [--port N]`` or ``python -m legacy_socket_server``;
the PUMA port of the same application is ``chatbot/puma_app.py``.
"""

from __future__ import annotations

from legacy_socket_server.server import LegacyServer, answer, chatbox_socket

__all__ = ["LegacyServer", "answer", "chatbox_socket"]
