"""A film already talked about, taken by what the user calls it: "I'll go with the space one"
(a word of its title or genre), "the Tom Hanks one", "the 90s one", "the older one", "I'll go
with 2001 then" (the start of its title), "ok that one then" (the film the last answer singled
out). Pure: the films are given as the dialog shows them (dicts with title, year, genres,
cast, directors). Example::

    films = [{"id": 1, "title": "2001: A Space Odyssey", "year": 1968, "genres": ["sci-fi"]},
             {"id": 2, "title": "Ocean's Eleven", "year": 2001, "genres": ["crime"]}]
    described_pick("ok i'll go with the space one", films)    # 1
    title_start_pick("I'll go with 2001 then", films)         # 1
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatbot.lexicon import GENRE_SYNONYMS, WEAK_GENRE_SYNONYMS
from chatbot.text import fold, fold_utterance, pattern
from chatbot.titles import normalise_title

Film = Mapping[str, Any]
# a verb of taking before the choice, or a word of choosing after it
_TAKE = (r"(?:take|taking|watch|watching|go with|going with|go for|going for|pick|picking|choose|"
         r"settle on|stick with|try|have|do|want|prefer|rather have|gimme|give me|put on|lets do|"
         r"let us do|let us go with|lets go with|ill take|i will take)")
_CHOSEN_AFTER = r"(?:then|it is|its|please|pls|for me|for us|sounds good|works|will do|is fine|wins)"
_DESCRIBED = re.compile(rf"\b(?P<take>{_TAKE} )?the (?P<what>(?:\w+ ){{1,3}}?)(?:one|film|movie|flick)\b"
                        rf"(?P<after> {_CHOSEN_AFTER}\b)?")
_OPENERS = frozenset("ok okay fine alright yeah yes yep sure hmm oh well".split())
_NOT_DESCRIPTIONS = frozenset("first second third last previous other earlier original next same new "
                              "right wrong good best better".split())
_FILLERS = frozenset("a an the with by from of in about and".split())
_COMPARATIVES: dict[str, Callable[[Film], float]] = {
    "older": lambda f: -(f.get("year") or 0), "oldest": lambda f: -(f.get("year") or 0),
    "newer": lambda f: f.get("year") or 0, "newest": lambda f: f.get("year") or 0,
    "recent": lambda f: f.get("year") or 0, "longer": lambda f: f.get("runtime_min") or 0,
    "shorter": lambda f: -(f.get("runtime_min") or 10**4)}
_POINTED = re.compile(rf"^(?:(?:ok|okay|fine|alright|yeah|yes|yep|sure|great|cool|oh) )*(?:{_TAKE} )?"
                      rf"(?:that|this) (?:one|film|movie)(?: {_CHOSEN_AFTER})*(?: (?:thanks|thank you|thx))?$")


# a choice of "that one" inside a longer message: a verb of taking (or of watching again)
# right before it, or "let's do that"; never after a denial ("not that one", "don't want that")
_POINTED_IN = re.compile(rf"\b(?:{_TAKE}|rewatch|re watch|watch again|see|go for|do) (?:that|this)"
                         rf"(?: one| film| movie| again)?\b|\b(?:lets|let us) (?:do|watch|see) (?:that|this|it)\b")
_DENIED_BEFORE = re.compile(r"\b(?:not|never|dont|do not|wont|will not|cant|rather not|no)(?: \w+)?(?: \w+)? $")


def described_pick(text: str, films: Sequence[Film]) -> int | None:
    """The id of the one film of ``films`` that "the <words> one" describes, taken with a verb
    of taking or a word of choosing ("the space one then"); None when none or several fit."""
    said = fold_utterance(text)
    match = _DESCRIBED.search(said)
    if match is None or len(films) < 2:
        return None
    words = [w for w in match["what"].split() if w not in _FILLERS]
    words = [" ".join(words)] if " ".join(words) in GENRE_SYNONYMS else words  # "the sci fi one"
    if not words or set(words) & _NOT_DESCRIPTIONS:
        return None
    alone = all(w in _OPENERS for w in said[: match.start()].split()) and not said[match.end():].strip()
    if not (match["take"] or match["after"] or alone):  # "the space one was dull": no choice
        return None
    if len(words) == 1 and words[0] in _COMPARATIVES:
        key = _COMPARATIVES[words[0]]
        ranked = sorted(films, key=key, reverse=True)
        return int(ranked[0]["id"]) if key(ranked[0]) != key(ranked[1]) else None
    for weak in (False, True):  # "the space one": 2001: A Space Odyssey before every sci-fi film
        fitting = [f for f in films if all(_describes(w, f, weak) for w in words)]
        if fitting:
            return int(fitting[0]["id"]) if len(fitting) == 1 else None
    return None


def title_start_pick(text: str, films: Sequence[Film]) -> int | None:
    """The id of the film whose title starts with what is taken ("I'll go with 2001 then",
    "ok, the matrix it is" for "The Matrix Reloaded" is no start: the whole first word or words
    of one title only, a word of 4 or more characters or a number)."""
    said = f" {fold_utterance(text)} "
    titles = [normalise_title(str(film["title"])) for film in films]
    for film, title in zip(films, titles, strict=True):
        words = title.split()
        for size in range(min(len(words), 3), 0, -1):
            start = " ".join(words[:size])
            if len(start) < 4 and not start.isdigit() or f" {start} " not in said:
                continue  # the pattern reads the start between spaces: not said, not taken
            taken = pattern(rf"\b{_TAKE} (?:the )?{re.escape(start)} (?:(?:{_CHOSEN_AFTER}|instead|thanks|"
                            rf"thank you|thx|movie|film) )*$|^ (?:(?:{'|'.join(_OPENERS)}) )*"
                            rf"(?:the )?{re.escape(start)} {_CHOSEN_AFTER} ").search(said)
            if taken and not any(other is not film and t.startswith(start) for other, t in zip(films, titles, strict=True)):
                return int(film["id"])
    return None


def pointed_pick(text: str) -> bool:
    """Whether ``text`` takes the film pointed at without naming it: "ok that one then",
    "I'll take that one", "that one please", "fine we'll rewatch that one, it's a classic",
    "oh right, let's do that"."""
    said = fold_utterance(text)
    return bool(_POINTED.match(said)) or any(
        not _DENIED_BEFORE.search(said[: m.start()]) for m in _POINTED_IN.finditer(said))


def _describes(word: str, film: Film, weak: bool) -> bool:
    """``word`` names ``film`` by its title, people or year, or (``weak``) by its genre."""
    title_words = set(normalise_title(str(film["title"])).split())
    genre = GENRE_SYNONYMS.get(word) or WEAK_GENRE_SYNONYMS.get(word) or GENRE_SYNONYMS.get(word.removesuffix("s"))
    people = {w for name in [*(film.get("cast") or ()), *(film.get("directors") or ())]
              for w in fold(name).split()}
    year = film.get("year")
    decade = re.fullmatch(r"(?:19)?([0-9])0s", word)
    return (word in title_words or (weak and genre is not None and genre in (film.get("genres") or ()))
            or word in people or word == str(year)
            or (decade is not None and isinstance(year, int) and year // 10 % 10 == int(decade[1])))
