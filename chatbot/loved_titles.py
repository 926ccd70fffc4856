"""Films named as loved or as "something like" them. One-word titles named as loved ("i loved heat", "i loved se7en"): the cue "i loved" makes
an everyday word a title, as it does inside a list ("i loved se7en and heat"), unless the word
is one people say for anything ("i loved it", "i loved her"). "something like X instead"
replaces the films liked before. Pure. Example::

    loved_word("heat", {"heat": 4.6})   # True
    loved_word("it", {"it": 7.2})       # False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

LOVED_ZIPF = 6.0  # at or above this wordfreq zipf a word is too common to be a title ("it", "up")
_PRONOUNS = frozenset("""it this that these those them him her they he she us me you one ones
    all everything anything something both""".split())
_DIGITS_FOR_LETTERS = re.compile(r"[a-z]+\d+[a-z]+[a-z0-9]*", re.I)


def loved_word(word: str, common: Mapping[str, float]) -> bool:
    """``word`` after "i loved" can be a film's one-word title: no pronoun, and not of the
    commonest words unless written with a capital ("i loved Up")."""
    folded = word.lower()
    if folded in _PRONOUNS:
        return False
    return common.get(folded, 0.0) < LOVED_ZIPF or word[:1].isupper()


def spelt_with_digits(key: str) -> bool:
    """A one-word title with digits among its letters ("se7en", "m3gan"): a spelling on purpose."""
    return _DIGITS_FOR_LETTERS.fullmatch(key.strip()) is not None


# "something like X instead", "rather like X": the film named replaces the earlier ones
_INSTEAD = re.compile(r"\b(?:instead|rather|(?:change|switch)\s+(?:it|that)\s+to)\b", re.I)


def replaces_likes(text: str) -> bool:
    """``text`` names a film liked *instead* of those named before."""
    return _INSTEAD.search(text) is not None


def unlike_wishes(wishes: Sequence[Mapping[str, Any]], liked: Sequence[int],
                  search: Callable[[list[dict[str, Any]]], list[int]]) -> list[dict[str, Any]]:
    """The genre and people wishes no film liked *instead* has ("action with RDJ", then
    "something like the godfather part 2 instead"): what the new film replaces."""
    def met(wish: Mapping[str, Any]) -> bool:
        found = set(search([dict(wish)]))
        return any(i in found for i in liked)

    return [dict(w) for w in wishes if not w.get("exclude") and w["slot"] in _REPLACEABLE
            and w.get("values") and not met(w)]


_REPLACEABLE = frozenset(("genre", "actor", "director"))
