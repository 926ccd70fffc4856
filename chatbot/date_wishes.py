"""Release dates that are wishes, not circumstances or titles. Pure; no IO. Used by
``chatbot.nlu``.

"nope 😴 like 2000s" to "Have you watched it?" asks for films of the 2000s, whatever it
says of the film shown ("yes, in the 90s" only tells when they watched it); "something like
90s" names a decade, never a film called "90s". Example::

    asked_for("nope like 2000s".split(), 2)    # True
    date_only("the 90s")                      # True
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.cues import clause_tokens, year_ranges

_WISH_LEADS = frozenset("like something anything smth maybe prefer rather want wanna more".split())


def date_only(said: str) -> bool:
    """``said`` is a release date and nothing else ("90s", "the 2000s", "1995")."""
    tokens = clause_tokens(said)
    tokens = tokens[1:] if tokens[:1] == ["the"] else tokens
    return bool(tokens) and any(s == 0 and e == len(tokens) for s, e, _a, _b in year_ranges(tokens))


def asked_for(tokens: Sequence[str], start: int) -> bool:
    """The date at ``tokens[start]`` is led by a word of wishing ("like 2000s", "more like the
    90s"), not said as a circumstance ("yes, in the 90s")."""
    before = start - 1 if start and tokens[start - 1] == "the" else start
    return before > 0 and tokens[before - 1] in _WISH_LEADS
