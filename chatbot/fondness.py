"""People named in passing as liked: "i adore hanks", "big fan of nolan", "i'm into tarantino",
"that kubrick guy", "hitchcock is a genius". Such words say the name is a person wished for,
as at a person's question, though no cue ("with", "by") stands beside it.

Used by ``chatbot.mentions`` to mark the words where a name may stand; the name index decides
whether one does, so "i adore it" or "into the wild" names nobody. Pure; no IO. Example::

    fond_of("i adore hanks".split())                  # {2}
    fond_of("that kubrick guy love his stuff".split())   # {1}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Words and phrases of liking right before a name. "into" only after a form of "be" or an
# adverb ("i'm into X", "really into X"): "turn into", "get into" name no taste. Refusals
# ("not into X", "no more X") name the person as surely; their polarity is the negation's.
_BEFORE = tuple(tuple(p.split()) for p in """adore|adores|adored|love|loves|loved|loving|worship|
    worships|idolise|idolize|fan of|fans of|fanboy of|fangirl of|am into|are into|is into|really into|
    so into|big into|obsessed with|crazy about|mad about|nuts about|wild about|keen on|partial to|
    sucker for|enough of|dig|digging|really like|really likes|anything with|anything by|stuff by|
    stuff with|something with|more of|not into|no more|not a fan of|not big on|not keen on""".replace("\n", " ").split("|"))
# (a bare "like" is left out: "I like Hanks" inside a sentence still needs a cue, and "like"
# compares as often as it likes)
# "that kubrick guy", "the nolan dude": a person's noun after a lone surname
PERSON_NOUNS = frozenset("""guy guys dude dudes man fella fellow bloke chap lady woman gal girl
    director filmmaker actor actress""".split())
_POINTING = frozenset("that this the".split())
# "hitchcock is a genius", "tarantino rocks": praise said of the name before it
_PRAISE = frozenset("""great genius legend goat best awesome amazing brilliant fantastic the
    king queen master fave favourite favorite underrated incredible""".split())
_PRAISE_VERBS = frozenset("rocks rules slaps".split())
_BE = frozenset("is s was".split())
# words of liking that are never a person's first name ("adore hanks" is no Adore Hanks)
LIKING_WORDS = frozenset(w for p in _BEFORE if len(p) == 1 for w in p)


def fond_of(tokens: Sequence[str]) -> set[int]:
    """Positions where a liked person's name may start: after a word of liking, inside "that
    X guy", or before praise ("X is a genius"). Example: ``fond_of(["big", "fan", "of",
    "nolan"])`` is ``{3}``."""
    words = list(tokens)
    at = {i + len(p) for p in _BEFORE for i in range(len(words) - len(p))
          if tuple(words[i : i + len(p)]) == p}
    at |= {i for i in range(1, len(words) - 1)
           if words[i - 1] in _POINTING and words[i + 1] in PERSON_NOUNS}
    at |= {i for i in range(len(words) - 1) if _praised(words, i)}
    return at


def _praised(words: list[str], i: int) -> bool:
    after = words[i + 1 : i + 4]
    if after[:1] and after[0] in _PRAISE_VERBS:
        return True
    return bool(after[:1]) and after[0] in _BE and any(w in _PRAISE for w in after[1:3])


_PRONOUNS = frozenset("he him his she her hes shes".split())


def points_back(tokens: Sequence[str]) -> int | None:
    """Where words first point back at a person ("him", "his", "that man", "this guy"), if
    anywhere: a name before it is that person, never a film of the same title ("Hitchcock?
    love that man")."""
    for i, word in enumerate(tokens):
        if word in _PRONOUNS or word in _POINTING and i + 1 < len(tokens) and tokens[i + 1] in PERSON_NOUNS:
            return i
    return None


def pointed_back(tokens: Sequence[str], person: Mapping[str, Any]) -> bool:
    """Words after ``person`` (a reading with its position ``at``) point back at them."""
    at = int(person.get("at", -1))
    after = points_back(tokens[at + 1 :]) if at >= 0 else None
    return after is not None


# the liking phrases as a regular expression, for text not yet split into words ("i love him")
LIKING_PATTERN = "|".join(r"\s+".join(map(re.escape, p)) for p in sorted(_BEFORE, key=len, reverse=True))
