"""``chatbot chat``: a conversation on text streams."""

from __future__ import annotations

import io

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.terminal import converse
from tests.chatbot_helpers import components_for


def test_terminal_converse_until_bye(chatbot_db_url: str, catalog: Catalog) -> None:
    bot = Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)
    lines = iter(["comedy", "no", "no", "no", "no", "yes"])
    out = io.StringIO()
    assert converse(bot, input_fn=lambda _prompt: next(lines), out=out) == 0
    text = out.getvalue()
    assert text.startswith("Chatbot: Hi, I'm Chatbot.") and "Chatbot: How about " in text
    assert text.rstrip().splitlines()[-1].startswith("Chatbot: Bye!")


def test_terminal_converse_stops_at_end_of_input(chatbot_db_url: str, catalog: Catalog) -> None:
    bot = Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)

    def no_more(_prompt: str) -> str:
        raise EOFError

    assert converse(bot, input_fn=no_more, out=io.StringIO()) == 0
