"""The words of an utterance its tone is read from (``chatbot.sentiment``): those that carried
no entity, without swear words that only intensify an agreement ("hell yeah") and without a
hedging "like" before a count ("watched it like ten times"). Pure; no IO. Example::

    untoned("hell yeah", agreeing=True)   # 'yeah'
"""

from __future__ import annotations

import re

from chatbot.cues import BOUNDARY
from chatbot.text import fold, fold_utterance


def sentiment_words(text: str, entity_tokens: set[str]) -> str:
    """``text`` without the words that carried entities (for sentiment)."""
    if not entity_tokens:
        return " ".join(w for w in text.split() if w != BOUNDARY)
    words = [w for w in text.split() if not set(fold_utterance(w).split()) <= entity_tokens
             or not fold_utterance(w)]
    return " ".join(w for w in words if w != BOUNDARY)


_INTENSIFIERS = frozenset("""hell hells heck fuck fucking fuckin fucken damn darn bloody freaking
    frickin friggin effing sodding""".split())


def untoned(rest: str, agreeing: bool) -> str:
    """``rest`` without swear words that only intensify an agreement: "hell yeah", "bloody
    brilliant" are a yes, not a sour tone."""
    rest = _HEDGE_LIKE.sub("", rest)  # "watched it like ten times": no liking in it
    if not agreeing:
        return rest
    return " ".join(w for w in rest.split() if fold(w) not in _INTENSIFIERS)


# "like" before a count is a hedge ("like ten times", "like a million times"), not a liking
_HEDGE_LIKE = re.compile(
    r"\blike\s+(?=(?:\d+|once|twice|one|two|three|four|five|six|seven|eight|nine|ten|twenty|"
    r"fifty|a hundred|a thousand|a million|a billion|a zillion|a dozen|a few|a couple|a bunch|"
    r"a ton|loads|hundreds|thousands|forever)\b)", re.I)
