"""Errors the chatbot raises; each subclasses ``ChatbotError`` and the matching built-in.

Each carries the HTTP status it maps to as ``status_code``: a PUMA service that raises one answers
that status with the error's message (any other ``KeyError`` or ``ValueError`` a service raises is
a bug of its own: 500, its text kept from the client)."""

from __future__ import annotations

from collections.abc import Iterable

FIELDS_NAMED = 20  # as puma.binding.MAX_PROBLEMS: a 400 names this many unknown fields and counts the rest


def unknown_fields_text(unknown: Iterable[str]) -> str:
    """The unknown field names a 400 shows: the first `FIELDS_NAMED` in order (each cut to 60
    characters), and how many more, so the reply stays small whatever the request held.

    Example: ``unknown_fields_text({"b", "a"})`` -> ``"['a', 'b']"``; 30,000 of them end
    ``"... (and 29980 more)"``.
    """
    names = sorted(unknown)
    shown = [name if len(name) <= 60 else name[:57] + "..." for name in names[:FIELDS_NAMED]]
    more = len(names) - len(shown)
    return f"{shown}" + (f" (and {more} more)" if more else "")


class ChatbotError(Exception):
    """Base class of the chatbot's own errors."""


class UnknownSession(ChatbotError, KeyError):
    """No conversation has this id (never started, expired or deleted). Map to HTTP 404."""

    status_code = 404

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id

    def __str__(self) -> str:
        return (f"unknown session id {self.session_id!r}: start a new conversation with id \"-1\" (the "
                "reply names its id), or send this id with turn_no 1 to start one under it (from Python: "
                "Chatbot.turn(None, text))")


class SessionConflict(ChatbotError, RuntimeError):
    """Another writer changed the session first (optimistic version check failed). Map to 409."""

    status_code = 409


class TurnOutOfOrder(ChatbotError, ValueError):
    """``turn_no`` is neither the last turn (a retry) nor the next one. Map to HTTP 409."""

    status_code = 409


class InvalidRequest(ChatbotError, ValueError):
    """A request or survey answer with a missing or wrong field. Map to HTTP 400."""

    status_code = 400


class NotFound(ChatbotError, LookupError):
    """A request names a record that does not exist (a film id, say). Map to HTTP 404."""

    status_code = 404


class UnknownFilm(NotFound, KeyError):
    """No film has this id in the catalogue (a ``KeyError`` too, as a mapping's lookup). HTTP 404."""
