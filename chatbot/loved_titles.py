"""One-word titles named as loved ("i loved heat", "i loved se7en"): the cue "i loved" makes
an everyday word a title, as it does inside a list ("i loved se7en and heat"), unless the word
is one people say for anything ("i loved it", "i loved her"). Pure. Example::

    loved_word("heat", {"heat": 4.6})   # True
    loved_word("it", {"it": 7.2})       # False
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
