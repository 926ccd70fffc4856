"""Everyday English words as users type them: inflected ("fussed" from "fuss") or misspelt by
one edit ("neice" for "niece"), which are never a person's unknown name. Pure; the word list
is ``chatbot.text.english_words`` (wordfreq). Used by ``chatbot.mentions``. Example::

    everyday = EverydayWords(english_words(), is_name_word=lambda w: w == "hanks")
    everyday.like("neice")     # True: "niece", one letter swapped
    everyday.like("zendaya")   # False
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

TYPO_BASE_ZIPF = 3.3  # a misspelt word is one edit from a word at least this frequent
_ENDINGS = ("ed", "d", "ing", "s", "es", "ly", "er")


class EverydayWords:
    """Whether a word is an everyday word, inflected or misspelt; name words never are."""

    def __init__(self, common: Mapping[str, float],
                 is_name_word: Callable[[str], bool] = lambda w: False) -> None:
        self._common = common
        self._is_name_word = is_name_word
        self._frequent = [w for w, z in common.items() if z >= TYPO_BASE_ZIPF and len(w) > 3]
        self.like = lru_cache(maxsize=1024)(self._like)

    def _like(self, word: str) -> bool:
        if len(word) < 4 or self._is_name_word(word):
            return False
        if word in self._common:
            return True
        if any(word.endswith(e) and word[: -len(e)] in self._common and len(word) - len(e) > 2
               for e in _ENDINGS):  # "fussed", "bingeing"
            return True
        near = process.extractOne(word, self._frequent, scorer=OSA.distance, score_cutoff=1)
        return near is not None and word[:1] == str(near[0])[:1]  # "neice", "watchign"
