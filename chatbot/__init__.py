"""The movie-recommendation dialog system. Public API: ``Chatbot`` and ``Turn``.

Example::

    from chatbot import Chatbot
    bot = Chatbot(seed=0)
    turn = bot.turn(None, "")
    print(turn.messages)

Imported lazily, so ``import chatbot`` (and its CLI) stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatbot.bot import Chatbot, Turn

__all__ = ["Chatbot", "Turn"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from chatbot import bot

        return getattr(bot, name)
    raise AttributeError(f"module 'chatbot' has no attribute {name!r}")
