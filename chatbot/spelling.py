"""Words of a vocabulary within one or two typos of a word, found through a deletion index
(symmetric delete): each vocabulary word is filed under itself and its one-letter deletions,
so a typo costs a handful of dict look-ups, not a scan; candidates are then measured with
``rapidfuzz``'s optimal-string-alignment distance. Pure. Used by ``chatbot.names``.

Example::

    near = NearWords(["hanks", "banks", "carrey"])
    near.near("hankz")    # [('hanks', 1)]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from rapidfuzz.distance import OSA

MIN_FUZZY_LEN = 3  # shorter words are never typos of anything
LONG_WORD_LEN = 8  # words this long may carry two typos
_CACHE_LIMIT = 4096


class NearWords:
    """The words of ``vocabulary`` near a given word, cached per word."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._vocabulary = set(vocabulary)
        self._deletions = _deletion_index(self._vocabulary)
        self._longest_word = max(map(len, self._vocabulary), default=0)
        self._cache: dict[str, list[tuple[str, int]]] = {}

    def near(self, token: str) -> list[tuple[str, int]]:
        """``(word, distance)`` of the vocabulary words within 1 edit of ``token`` (2 for
        words of ``LONG_WORD_LEN`` letters or more), nearest first; never ``token`` itself."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        limit = 2 if len(token) >= LONG_WORD_LEN else 1
        if len(token) > self._longest_word + limit:
            # No word is within `limit` edits, and the search below grows with len(token) ** 3:
            # a 2,000-letter "word" cost a turn minutes (a CPU denial of service).
            return []
        keys = {token} | _deletions(token)
        if limit == 2:
            keys |= {d2 for d1 in _deletions(token) for d2 in _deletions(d1)}
        words = {w for key in keys for w in self._deletions.get(key, ())}
        words |= {key for key in keys if key in self._vocabulary}
        found = sorted(
            (d, w) for w in words
            if w != token and (d := OSA.distance(token, w, score_cutoff=limit)) <= limit
        )
        result = [(w, d) for d, w in found]
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = result
        return result


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _deletion_index(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for word in sorted(vocabulary):
        if len(word) >= MIN_FUZZY_LEN:
            for key in itertools.chain((word,), _deletions(word)):
                index.setdefault(key, []).append(word)
    return index
