"""Films named in passing or alone: their words are the film's, never wishes of their own. Pure.

"i first saw star wars in 1977" names a film; "wars" in it is no wish for war films, nor
"dead" in "shaun of the dead" one for horror. ``title_spans`` finds such runs of words, so the
understanding leaves them to no other wish. ``lone_title`` reads an answer that is nothing but a
film ("goodfellas", "oceans 11", "the matrix!"): said where a taste is asked, it is a "something
like it" wish. Example::

    tokens = "i first saw star wars in 1977".split()
    title_spans(tokens, set(), index, common, is_name)    # [(3, 5)]
    lone_title("the matrix!", index.exact, common)         # 'The Matrix'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from rapidfuzz import fuzz

from chatbot.loved_titles import loved_word, spelt_with_digits
from chatbot.text import english_words, fold
from chatbot.titles import normalise_title

MAX_WORDS = 6
PHRASE_ZIPF = 4.7  # a run of words is plainly a title when one is rarer than this ("wars")
EVERYDAY_ZIPF = 6.0  # ... and none is as common as this ("up", "her": no title by themselves)
LONG_TITLE_WORDS = 3  # ... or it is a whole title of this many words or more
LONE_ZIPF = 4.2  # one word alone is a title when rarer than this ("goodfellas"; not "heat")
# a run soon after these is a kind of film ("a love story", "a decent disaster movie"), not a title
_KIND_BEFORE = frozenset("a an some any another more".split())
_FILLERS = frozenset("""please pls plz maybe perhaps probably um umm hmm hm uh er oh ooh ah just
    how about what i guess think say lol haha tbh honestly""".split())
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_ARTICLES = frozenset(("the", "a", "an", "of"))
_FILM_WORDS = frozenset("movie movies film films flick flicks one".split())


class _Titles(Protocol):
    def known(self, said: str) -> bool: ...

    def exact(self, said: str) -> str | None: ...


def title_spans(tokens: Sequence[str], used: set[int], titles: _Titles, common: Mapping[str, float],
                is_name: Callable[[Sequence[str]], bool] = lambda _w: False,
                is_wish: Callable[[str], bool] = lambda _w: False) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of two words or more, taken by no other reading, that is
    a catalogue title or the start of several and plainly one (a word rarer than everyday
    English, none of the most common; or a whole title of three words or more, or after "the":
    "the family stone"), not a person's whole name ("ed wood") nor a kind of
    film after "a" ("a love story") or words that are all wishes ("romantic comedy")."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(tokens):
        end = _span_end(tokens, start, used, titles, common, is_name, is_wish)
        if end is None:
            start += 1
            continue
        spans.append((start, end))
        start = end
    return spans


def _span_end(tokens: Sequence[str], start: int, used: set[int], titles: _Titles,
              common: Mapping[str, float], is_name: Callable[[Sequence[str]], bool],
              is_wish: Callable[[str], bool]) -> int | None:
    if set(tokens[max(0, start - 2) : start]) & _KIND_BEFORE or tokens[start - 1 : start] == ["for"]:
        return None  # "a decent disaster movie", "a film for grown ups": kinds, not titles
    for end in range(min(len(tokens), start + MAX_WORDS), start + 1, -1):
        words = tokens[start:end]
        if "," in words or used.intersection(range(start, end)) or words[-1] in _ARTICLES:
            continue
        content = [w for w in words if w not in _ARTICLES]
        if len(content) < 2 or all(w in _FILM_WORDS or is_wish(w) for w in content) or is_name(
                words) or not titles.known(" ".join(words)):  # "scary movie": a kind of film
            continue
        if is_wish(" ".join(words)):  # "black and white": a look the catalogue approximates
            continue
        zipfs = [common.get(w, 0.0) for w in content if w.isalpha()]  # "before 1960": no title
        if zipfs and min(zipfs) < PHRASE_ZIPF and max(zipfs) < EVERYDAY_ZIPF:
            return end
        if (len(content) >= LONG_TITLE_WORDS or words[0] == "the") and titles.exact(" ".join(words)):
            return end  # "night of the living dead": everyday words, but this many in a row
    return None


def lone_title(text: str, exact: Callable[[str], str | None], common: Mapping[str, float],
               is_wish: Callable[[str], bool] = lambda _w: False) -> str | None:
    """The catalogue title ``text`` is, give or take fillers and punctuation ("goodfellas
    please", "the matrix!"), when it is plainly one: several words, or one rarer than
    everyday English ("goodfellas", not "heat" or "up"), and not only words of a kind of film."""
    words = [_EDGE.sub("", w) for w in text.split()]
    words = [w for w in words if w]
    while words and fold(words[0]) in _FILLERS:
        words = words[1:]
    while words and fold(words[-1]) in _FILLERS:
        words = words[:-1]
    if not words:
        return None
    title = exact(" ".join(words))
    content = [fold(w) for w in words if fold(w) not in _ARTICLES]
    if title is None or all(w in _FILM_WORDS or is_wish(w) for w in content):
        return None  # "scary movie", "romance": a kind of film asked for
    if len(content) == 1:
        return title if common.get(content[0], 0.0) < LONE_ZIPF else None
    return title if min(common.get(w, 0.0) for w in content) < PHRASE_ZIPF else None


CLOSE_TITLE = 85  # rapidfuzz ratio: a whole answer this close to a title is that title misspelt
# what a reading found that makes an answer more than a film named alone
_READ = ("constraints", "people", "titles", "title", "seen_titles", "wanted_title", "question",
         "social", "asked_title", "notes", "correction", "help", "film_ask", "indifferent")


def with_loose_title(understanding: dict, text: str,
                     find_title: Callable[[str], Mapping[str, object] | None]) -> dict:
    """An answer that is nothing but a film misspelt or named by its series ("forest gump",
    "the dark knigth", "star wars", "harry potter lol"), which no other reading took: the
    film liked, as ``lone_title`` reads a title spelt right. ``find_title`` is the
    catalogue's (typos and a series' start tolerated); everyday words alone ("funny",
    "nothing") are never a film so found."""
    if understanding.get("intent") not in ("unknown", "greeting", None) or any(
            understanding.get(k) for k in _READ):
        return understanding
    liked = _LIKED.search(text)  # "hey, i loved the shawshank redemtion and forest gump"
    items = _LIST_JOINS.split(_AMOUNT.sub("", text[liked.end():])) if liked else [text]
    titles = [_loose_title(item, find_title, english_words(), bool(liked)) for item in items]
    if not all(titles) or understanding.get("intent") == "greeting" and not liked:
        return understanding
    found = list(dict.fromkeys(t for t in titles if t))
    return dict(understanding, intent="unknown", title=found[0], titles=found, unknown_person=None)


# "i (really) loved X and Y", "my fav movie is X", "big fan of X": films named as liked
_LIKED = re.compile(r"\b(?:(?:i|we)\s+(?:\w+\s+)?(?:loved?|liked?|enjoyed|adored?|dig)|"
                    r"(?:fav(?:ou?rite)?s?|fave)(?:\s+(?:movies?|films?))?(?:\s+(?:is|are|was|were))?|"
                    r"(?:big|huge)\s+fan\s+of)\s+", re.I)
# "i loved se7en so much", "loved heat a lot": how much, never part of the title
_AMOUNT = re.compile(r"\s+(?:(?:so|very|really|sooo+)\s+much|a\s+lot|to\s+bits|tons)\W*$", re.I)
_LIST_JOINS = re.compile(r"\s*(?:,|&|\band\b|\bor\b|\bplus\b)\s*", re.I)


def _loose_title(text: str, find_title: Callable[[str], Mapping[str, object] | None],
                 common: Mapping[str, float], loved: bool = False) -> str | None:
    words = [w for w in (_EDGE.sub("", w) for w in text.split()) if w]
    while words and fold(words[0]) in _FILLERS:
        words = words[1:]
    while words and fold(words[-1]) in _FILLERS:
        words = words[:-1]
    content = [fold(w) for w in words if fold(w) not in _ARTICLES]
    if not content or len(words) > MAX_WORDS or all(w in _FILM_WORDS for w in content):
        return None
    if len(content) == 1 and common.get(content[0], 0.0) >= LONE_ZIPF and not (
            loved and loved_word(words[-1], common)):
        return None  # "funny": Funny Face is no film a one-word answer names
    said = " ".join(words)
    movie = find_title(said)
    if movie is None:
        return None
    title = str(movie["title"])
    key, found = normalise_title(said), normalise_title(title)
    if found == key or found.startswith(f"{key} "):
        return title  # the whole title, or a series' first words ("star wars")
    if len(content) == 1 and spelt_with_digits(key):
        return title  # "se7en": digits for letters, spelt so on purpose, read by the catalogue
    misspelt = any(common.get(w, 0.0) < LONE_ZIPF for w in content)  # "gump", "knigth"
    return title if misspelt and fuzz.ratio(key, found) >= CLOSE_TITLE else None  # "good ones": no Good News
