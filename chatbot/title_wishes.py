"""Films or franchises excluded by title ("not pirates", "nothing like the Saw movies", "not
Titanic again", "no more Harry Potter"). Pure; no IO. Used by ``chatbot.nlu``.

A title exclusion is a run of words inside a negation's scope that is a catalogue title or the
start of some (``chatbot.titles.TitleIndex.known``), on words no other wish took, and that is
plainly a title: it ends the clause or comes before a film word or "again" ("the Saw
movies", "Titanic again"), and it has a word rarer than everyday English (several words, or one
after "the": one less common than the most common words) or comes before a film word. The wish is
``{"slot": "title", "values": [key], "exclude": True}``: no film whose title has those words
(``chatbot.catalog``), so "not pirates" leaves out every Pirates of the Caribbean film. Example::

    tokens = "something funny but not pirates".split()
    title_exclusions(tokens, negation_mask(tokens), set(), index, common)
    # [(4, 5, {"slot": "title", "values": ["pirates"], "exclude": True, "_fixed": True})]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from chatbot.cues import names_a_date, period_at
from chatbot.franchises import fully_known, subject
from chatbot.lexicon import GENRE_SYNONYMS
from chatbot.plainwords import pointing_words

MAX_WORDS = 6
RARE_ZIPF = 4.2  # one word that is a title counts when rarer than this (wordfreq zipf)
MIN_WORD_LEN = 4  # a shorter lone word is a title only before a film word ("the Saw movies")
FRANCHISE_ZIPF = 5.0  # ... or when they start several titles and one is rarer than this
FRANCHISE_MAX_ZIPF = 6.0  # ... and none is as common as this ("thank you": not a franchise)
PHRASE_ZIPF = 4.7  # ... several words when one is rarer than this ("star wars"; not "thank you")
_LEADING = frozenset("the a an another more any other".split())
# a run opening with these is a phrase, not a title ("not in the mood for", "not a fan of")
_NOT_OPENING = frozenset("in of on to for at with by from into about as like so too very".split())
_AFTER = frozenset("movie movies film films one ones again franchise series sequel sequels "
                   "anymore".split())
_CONTENT_CUES = frozenset("with about where has have featuring".split())
# a title ends the clause: "not pirates", "not Titanic, please", "not the matrix but ..."
_ENDS = frozenset(["", ",", "please", "pls", "plz", "thanks", "but", "and", "or", "though",
                   "tonight", "lol", "this", "time", "for", "i", "we", "im", "obviously",
                   "either", "too", "also"])  # "and no star trek either"
_PLACED_ENDS = _ENDS - {"for", "this", "time", "i", "we", "im", "tonight"}
_NEVER = frozenset("it that this them one ones something anything film movie her him he she "
                   "they his hers".split())
# a word after these is an adjective of degree ("nothing too crude", "not overly dark"), no title
_DEGREE = frozenset("too so very overly super really that extremely excessively particularly "
                    "especially terribly crazy way".split())


class _Titles(Protocol):
    def known(self, said: str) -> bool: ...

    def franchise(self, key: str) -> bool: ...


def title_exclusions(tokens: Sequence[str], negated: Sequence[bool], used: set[int],
                     titles: _Titles, common: Mapping[str, float],
                     is_genre: Callable[[str], bool] = lambda _w: False,
                     is_name: Callable[[Sequence[str]], bool] = lambda _w: False,
                     placed: frozenset[str] = frozenset(),
                     shared_first_name: Callable[[str], bool] = lambda _w: False,
                     approximated: Callable[[str], bool] = lambda _w: False,
                     ) -> list[tuple[int, int, dict[str, Any]]]:
    """``(start, end, wish)`` for each title excluded; its tokens become used. A lone word
    of another wish (``is_genre``: "no aliens", "not romance", "no superhero film") is its, a person's name ("anything but Jackie
    Chan") the person's, never a title. A word in ``placed`` is a title the sentence gives a
    title's place ("not alien", "not Alien"), however everyday the word. A lone period word
    ("no modern films", "nothing classic") is a release date, and a phrase the catalogue
    approximates (``approximated``: "black and white") that wish, never a title's first word."""
    found: list[tuple[int, int, dict[str, Any]]] = []
    i = 0
    while i < len(tokens):
        if not negated[i] or i in used or tokens[i] in _LEADING or tokens[i] in _NOT_OPENING or (
                i and tokens[i - 1] in _DEGREE) or (
                _dated(tokens, i)) or described(tokens, i) or (
                set(tokens[max(0, i - 2) : i]) & _CONTENT_CUES  # "not the one with the shark"
                and not _franchise_at(tokens, i, used)):  # "nothing with james bond in it"
            i += 1
            continue
        end = _title_end(tokens, i, used, titles, common, is_genre, placed)
        if end is not None and not _placed(tokens, i, end, placed) and (
                period_at(tokens, i) == end or approximated(" ".join(tokens[i:end]))):
            i = end  # "don't care for the modern films": a date; "black and white": a look
            continue
        if end is not None and not fully_known(" ".join(tokens[i:end])) and any(is_name(tokens[a:b]) for a, b in (
                (i, end), (i, end + 1), (i - 1, end)) if 0 <= a and b <= len(tokens) and b - a > 1):
            end = None  # "anything but jackie chan": his, not the film Jackie's
        if end == i + 1 and shared_first_name(tokens[i]):
            end = None  # "no colin": Firth, Farrell..., not the film *Colin*
        if end is not None and pointing_words(tokens[i:end]) and not _placed(tokens, i, end, placed):
            end = None  # "haven't seen the first ones": no film called First
        if end is None:
            i += 1
            continue
        key = " ".join(tokens[i:end])
        found.append((i, end, {"slot": "title", "values": [key], "exclude": True, "_fixed": True}))
        used.update(range(i, end))
        i = end
    return sorted(found + _listed_beside(tokens, negated, used, titles, found), key=lambda f: f[0])


_JOINS = frozenset("or and nor".split())


def _listed_beside(tokens: Sequence[str], negated: Sequence[bool], used: set[int], titles: _Titles,
                   found: Sequence[tuple[int, int, dict[str, Any]]]) -> list[tuple[int, int, dict[str, Any]]]:
    """Titles of everyday words joined by "or"/"and" to a title refused ("that isn't pretty
    woman or notting hill", "not Notting Hill nor Pretty Woman"): the list makes them titles
    too, when they are a catalogue title of two words or more."""
    more: list[tuple[int, int, dict[str, Any]]] = []
    for start, end, _wish in found:
        if start >= 2 and tokens[start - 1] in _JOINS:  # the title before the join
            run = next((a for a in range(max(0, start - 1 - MAX_WORDS), start - 2) if _listable(
                tokens, a, start - 1, negated, used, titles)), None)
            if run is not None:
                more.append((run, start - 1, _excluded(tokens[run : start - 1])))
                used.update(range(run, start - 1))
        if end < len(tokens) - 1 and tokens[end] in _JOINS:  # the title after it
            stop = next((b for b in range(min(len(tokens), end + 1 + MAX_WORDS), end + 2, -1) if (
                b == len(tokens) or tokens[b] in _ENDS) and _listable(tokens, end + 1, b, negated, used, titles)), None)
            if stop is not None:
                more.append((end + 1, stop, _excluded(tokens[end + 1 : stop])))
                used.update(range(end + 1, stop))
    return more


def _listable(tokens: Sequence[str], start: int, end: int, negated: Sequence[bool], used: set[int],
              titles: _Titles) -> bool:
    words = tokens[start:end]
    return (len(words) >= 2 and all(negated[start:end]) and not used.intersection(range(start, end))
            and "," not in words and words[0] not in _LEADING and titles.known(" ".join(words)))


def _excluded(words: Sequence[str]) -> dict[str, Any]:
    return {"slot": "title", "values": [" ".join(words)], "exclude": True, "_fixed": True}


def _dated(tokens: Sequence[str], i: int) -> bool:
    """A release date opens at ``i`` ("nothing before 2000", "not older than 10 years"): no title."""
    word, following = tokens[i], tokens[i + 1 : i + 3]
    return (word in _DATE_WORDS and names_a_date(following)) or (
        word.isdigit() and following[:1] in (["years"], ["year"], ["yrs"], ["decades"])) or (
        word in ("older", "newer") and following[:1] == ["than"] and names_a_date(tokens[i + 2 : i + 4]))


_DATE_WORDS = frozenset("before after since until till pre post prior from".split())
_COPULAS = frozenset("is am are was were be been".split())
# what a film's own name may be said of: "as long as it's not Alien", "that one isn't Up"
_FILM_SUBJECTS = frozenset("it its that thats this one film movie which what".split())


def described(tokens: Sequence[str], i: int) -> bool:
    """``tokens[i]`` describes someone or something other than the film after "is not" ("my
    english is not perfect", "the little one is not a fan"): a predicate, never a title
    refused. Said of the film ("as long as it's not Alien") it may be one."""
    j = i - 1
    while j >= 0 and tokens[j] in _LEADING:
        j -= 1
    if j < 1 or tokens[j] not in ("not", "never") or tokens[j - 1] not in _COPULAS:
        return False
    subject = tokens[j - 2] if j >= 2 else ""
    return subject not in _FILM_SUBJECTS


def _placed(tokens: Sequence[str], start: int, end: int, placed: frozenset[str]) -> bool:
    """``tokens[start:end]`` is a title written in a title's place ("not Up", "not Her,"),
    ending the clause ("not Up for it" is no film)."""
    after = tokens[end] if end < len(tokens) else ""
    return " ".join(tokens[start:end]) in placed and after in _PLACED_ENDS


def _franchise_at(tokens: Sequence[str], start: int, used: set[int]) -> bool:
    """A franchise known by name starts at ``start`` ("james bond", "batman"): a character
    or series, never a person's name."""
    return any(fully_known(" ".join(tokens[start:end])) and not used.intersection(range(start, end))
               for end in range(start + 1, min(len(tokens), start + MAX_WORDS) + 1))


def besides_liked(constraints: Sequence[dict[str, Any]], liked: Sequence[str],
                  fold: Callable[[str], str]) -> list[dict[str, Any]]:
    """``constraints`` less the title exclusions whose words all lie in a film the same
    message names as liked ("you didn't get The Notebook? something like The Notebook"):
    a film asked to be like is no film refused."""
    liked_words = [set(fold(t).split()) for t in liked]
    return [c for c in constraints if not (
        c.get("slot") == "title" and c.get("exclude") and any(
            set(" ".join(c.get("values") or ()).split()) <= words for words in liked_words))]


def _title_end(tokens: Sequence[str], start: int, used: set[int], titles: _Titles,
               common: Mapping[str, float], is_genre: Callable[[str], bool],
               placed: frozenset[str] = frozenset()) -> int | None:
    for end in range(min(len(tokens), start + MAX_WORDS), start, -1):
        words = tokens[start:end]
        if used.intersection(range(start, end)) or "," in words or words[-1] in _LEADING:
            continue
        after = tokens[end] if end < len(tokens) else ""
        if len(words) == 1 and after in _AFTER and is_genre(f"{words[0]} {after}"):
            continue  # "not a kids movie": a kind of film, not the film Kids
        if len(words) == 1 and fully_known(words[0]) and words[0] not in GENRE_SYNONYMS:
            return end  # "nothing marvel": the studio's films refused, never a genre wished
        if len(words) == 1 and subject(words[0]):
            return end  # "horror, not zombies": zombie films refused, horror kept
        if len(words) == 1 and not _placed(tokens, start, end, placed) and (words[0] in _NEVER or is_genre(words[0]) or (
                len(words[0]) < MIN_WORD_LEN and after not in _AFTER)):
            continue
        if fully_known(" ".join(words)):
            return end  # "no james bond": a franchise known by name, whatever its titles
        if not titles.known(" ".join(words)):
            continue
        rarest = min(common.get(w, 0.0) for w in words)
        bar = PHRASE_ZIPF if len(words) > 1 or tokens[start - 1 : start] == ["the"] else RARE_ZIPF
        if after not in _AFTER and after not in _ENDS and tokens[end : end + 2] != ["of", "course"]:
            continue  # "I don't want the kids to see it": no film called Kids
        plain = rarest < bar or after in _AFTER  # "not the matrix": "the" says it is a title
        plain = plain or " ".join(words) in placed  # "not alien": the film, in a title's place
        # several everyday words that start several titles: "nothing from mission impossible"
        plain = plain or (len(words) > 1 and rarest < FRANCHISE_ZIPF and titles.franchise(" ".join(words))
                          and max(common.get(w, 0.0) for w in words) < FRANCHISE_MAX_ZIPF)
        if plain:
            return end
    return None
