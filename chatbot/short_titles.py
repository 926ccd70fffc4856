"""Short catalogue titles that are everyday words, said inside ordinary phrases or inside a
longer title the catalogue lacks: "i loved the way it ended" names no *The Way*; "something
like gone with the wind" names no *Gone*. A short title needs a title-like cue (capitals,
quotes, the end of the clause) and must not be the start of a longer title said. Pure; used
by ``chatbot.titles``. Example::

    noun_with_clause("The Way", "the way", "it ended")   # True: no title
    longer_title("gone with the wind, please")            # 'gone with the wind'
"""

from __future__ import annotations

import re

# subjects that open a clause describing the noun before them ("the way *it* ended")
_CLAUSE_SUBJECTS = frozenset("it he she they we you i everyone everybody people things".split())
EVERYDAY_ZIPF = 5.0  # wordfreq zipf at or above which a one-word title is an everyday word
# an everyday word, then a joining word, an article and a word that ends the clause: a title
# the catalogue may lack ("gone with the wind", "Up in the Air" when only *Up* were known)
_LONGER = re.compile(r"^(?P<title>(?:the\s+|a\s+)?(?P<word>[A-Za-z']+)\s+(?:with|of|in|on|from|to|at|for|and)"
                     r"\s+(?:the|a|an|my|your|his|her|our|their)\s+[A-Za-z']+)(?=\s*(?:[,.;!?)]|$|please\b|pls\b))",
                     re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w']+", " ", text.lower()).split()


def _everyday(word: str) -> bool:
    from wordfreq import zipf_frequency  # its word lists load on first use

    return zipf_frequency(word, "en") >= EVERYDAY_ZIPF


def noun_with_clause(title: str, said: str, after: str) -> bool:
    """``title`` (one word besides an article) said in lower case, with a clause about it
    following ("the way it ended", "the game they played"): an everyday noun, no title."""
    content = [w for w in _words(title) if w not in ("the", "a", "an")]
    following = _words(after)[:1]
    return len(content) == 1 and not any(c.isupper() for c in said) and bool(following) and (
        following[0] in _CLAUSE_SUBJECTS)


def longer_title(text: str) -> str | None:
    """The longer title ``text`` opens with when it opens with an everyday word that a short
    catalogue title could be, carried on as a title ("gone with the wind"), else None."""
    found = _LONGER.match(text.strip())
    return found["title"] if found and _everyday(found["word"].lower()) else None
