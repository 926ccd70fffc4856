"""Genres in what people say: genre words and their synonyms, by word and by stem ("music"
and "musical"), weak words only where they name a kind of film ("a movie for the kids", not
"I love it"), and misspelt genre words where a genre was asked for or beside a film word
("comdy", "a thriler movie"). Pure; no IO. Used by ``chatbot.nlu``.

Example::

    reader = GenreReader(["comedy", "romance", "horror"])
    reader.find("a romcom please".split(), asked=False, used=set())
    # [(1, 2, {"slot": "genre", "values": ["comedy"], ...}), (1, 2, {... ["romance"] ...})]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from chatbot.lexicon import CONTENT_WORDS, GENRE_SYNONYMS, WEAK_GENRE_SYNONYMS
from chatbot.names import STOPWORDS
from chatbot.text import fold

_WEAK_BEFORE = frozenset("for about with some a an in more something anything bit little "
                         "really very".split())
_WEAK_AFTER = frozenset("movie movies film films flick flicks friendly story stories stuff "
                        "themed one ones show shows".split())
_VERB_BEFORE = frozenset("i we you they really just so do totally absolutely also both "
                         "all".split())  # "I love movies": a verb, not a kind of film
_DETERMINERS = frozenset("the my our your his her their little young".split())
# "a fun action movie": praise of the genre after it, no comedy beside it
_ONLY_PRAISE = frozenset({"fun"})
_ROMCOM = frozenset({("romcom",), ("romcoms",), ("rom", "com"), ("rom", "coms"),
                     ("chick", "flick"), ("chick", "flicks"), ("chickflick",)})  # comedy and romance
_LOOSE_SUFFIXES = ("ish", "ey", "y")  # "adventurey", "actiony", "dramaish"
_LOOSE_BASE_MIN = 4  # "wary" is no war film
FILM_WORDS = frozenset("film films movie movies flick flicks picture joint".split())


class GenreReader:
    """Genre phrases of one catalogue's genres (``known``: its genre names)."""

    def __init__(self, known: Iterable[str], common: Mapping[str, float] | None = None) -> None:
        self.known = {fold(g).replace(" ", "-") for g in known}
        strong = {k: v for k, v in GENRE_SYNONYMS.items() if v in self.known}
        strong |= {g.replace("-", " "): g for g in self.known}
        weak = {k: v for k, v in WEAK_GENRE_SYNONYMS.items() if v in self.known}
        self.words = set(strong)  # never part of a person's name
        # Exact words first, then stems: "music" and "musical" share the stem "music".
        self._strong = {tuple(fold(k).split()): v for k, v in strong.items()}
        self._strong |= {_stem_phrase(k): v for k, v in strong.items()
                         if _stem_phrase(k) not in self._strong}
        self._weak: dict[tuple[str, ...], str] = {(fold(k),): v for k, v in weak.items()}
        self._fuzzy_words = {k: v for k, v in strong.items() if " " not in k and len(k) >= 5}
        self._common = common or {}

    def is_genre(self, words: tuple[str, ...], stemmed: bool = False) -> bool:
        """``words`` (folded) are a genre phrase; with ``stemmed``, also by their stems."""
        return words in self._strong or (stemmed and tuple(map(_stem, words)) in self._strong)

    def find(self, tokens: list[str], asked: bool, used: set[int]) -> list[tuple]:
        """``(start, end, constraint)`` of each genre said in ``tokens`` outside ``used``
        (which then holds them too); ``asked``: the genre question is open (typos read)."""
        free = [self._base(t) if i not in used else "\0" for i, t in enumerate(tokens)]
        stems = [_stem(t) for t in free]
        found = _phrase_hits(free, stems, self._strong)
        found += [h for h in _phrase_hits(free, free, self._weak)
                  if (_weak_fits(tokens, h[0]) or _modifies_content(tokens, stems, h[0] + h[1]))
                  and not any(h[0] < s + n and s < h[0] + h[1] for s, n, _g in found)
                  and not (tokens[h[0]] in _ONLY_PRAISE and any(s == h[0] + h[1] for s, _n, _g in found))]
        found = _content_of_modifier(found, stems)
        taken = {i for s, n, _g in found for i in range(s, s + n)}
        found += self._fuzzy(free, taken, asked)
        hits = []
        for start, size, genre in sorted(found):
            used.update(range(start, start + size))
            hits.append((start, start + size, {"slot": "genre", "values": [genre], "exclude": False}))
            if tuple(tokens[start : start + size]) in _ROMCOM and "romance" in self.known:
                hits.append((start, start + size,
                             {"slot": "genre", "values": ["romance"], "exclude": False}))
        return hits

    def _base(self, token: str) -> str:
        """A genre word made loose with "-y" or "-ish" ("adventurey", "actiony", "comedyish",
        "cartoonish"): the genre word itself; any other word unchanged ("wary", "childish")."""
        if (token,) in self._strong or (_stem(token),) in self._strong:
            return token
        for suffix in _LOOSE_SUFFIXES:
            base = token.removesuffix(suffix)
            if base != token and len(base) >= _LOOSE_BASE_MIN and (
                    (base,) in self._strong or (_stem(base),) in self._strong):
                return base
        return token

    def _fuzzy(self, tokens: list[str], taken: set[int], asked: bool) -> list[tuple[int, int, str]]:
        """Misspelt genre words ("comdy"): where a genre was asked for, or beside a genre or
        film word ("romantic comdy", "a thriler movie"); never an everyday word."""
        found = []
        for i, token in enumerate(tokens):
            if len(token) < 5 or token in STOPWORDS or i in taken or token in self._common:
                continue
            beside = {i - 1, i + 1} & taken or {tokens[j] for j in (i - 1, i + 1)
                                                if 0 <= j < len(tokens)} & FILM_WORDS
            if not (asked or beside):
                continue
            limit = 2 if len(token) >= 8 else 1
            best = process.extractOne(token, self._fuzzy_words.keys(), scorer=OSA.distance,
                                      score_cutoff=limit)
            if best is not None:
                found.append((i, 1, self._fuzzy_words[best[0]]))
        return found


def _phrase_hits(
    tokens: list[str], stems: list[str], table: dict[tuple[str, ...], str]
) -> list[tuple[int, int, str]]:
    """``(start, size, genre)`` of each phrase of ``table`` found, by word then by stem."""
    hits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(stems):
        for size in (3, 2, 1):
            genre = table.get(tuple(tokens[i : i + size])) or table.get(tuple(stems[i : i + size]))
            if genre and i + size <= len(stems):
                hits.append((i, size, genre))
                i += size
                break
        else:
            i += 1
    return hits




def _modifies_content(tokens: Sequence[str], stems: Sequence[str], end: int) -> bool:
    """The word before ``end`` modifies a content word after it ("space battles")."""
    return end < len(tokens) and stems[end] in _CONTENT_STEMS


def _content_of_modifier(found: list[tuple[int, int, str]], stems: Sequence[str]
                         ) -> list[tuple[int, int, str]]:
    """A content word right after another genre's word ("space battles", "zombie soldiers")
    takes its fallback genre (action) instead of its own (war): the modifier says the kind."""
    starts = {s + n: g for s, n, g in found}
    return [(s, n, _CONTENT_STEMS[stems[s]]) if n == 1 and stems[s] in _CONTENT_STEMS
            and starts.get(s) not in (None, g) else (s, n, g) for s, n, g in found]


def _weak_fits(tokens: Sequence[str], i: int) -> bool:
    """A weak genre word at ``i`` names a kind of film: "for the kids", "kids movie"."""
    j = i - 1
    while j >= 0 and tokens[j] in _DETERMINERS:
        j -= 1
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if i and tokens[i - 1] in _VERB_BEFORE:  # "I love movies where ...": a verb
        return False
    if "as" in tokens[max(0, i - 2) : i]:  # "I saw it as a kid": a time of life
        return False
    of_film = j >= 1 and tokens[j] == "of" and tokens[j - 1] in FILM_WORDS  # a learner's
    # "a film of terror", "a movie of love": the kind of film
    return (j >= 0 and tokens[j] in _WEAK_BEFORE) or after in _WEAK_AFTER or of_film


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """The Snowball (English) stem of one folded word: the only stemming the NLU does."""
    return _stemmer().stem(word)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from chatbot.stemming import SnowballStemmer

    return SnowballStemmer("english")


def _stem_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in fold(phrase).split())


_CONTENT_STEMS = {_stem(w): g for w, g in CONTENT_WORDS.items()}
