"""Films listed beside an answer about the film on the table: "seen it, also Inception and
Interstellar", "loved it, and Looper too", "yes, plus Heat and Ronin, loved both". Each is a
film the user has seen (and liked, when the answer says so), never to be proposed; the rest
of the message ("anything shorter?") is read as usual. Pure: titles are found by the
``titles_at`` given (``chatbot.titles.TitleIndex``, known titles only). Example::

    listed_with_answer("seen it, also Heat and Ronin. anything shorter?", titles_at)
    # (['Heat', 'Ronin'], 'seen it , anything shorter?', False)
"""

from __future__ import annotations

import re
from collections.abc import Callable

TitlesAt = Callable[[str], tuple[list[str], str]]

# the answer first: a yes, or a verb of watching or liking about the film on the table
_ANSWER = re.compile(
    r"^\W*(?P<answer>(?:[\w']+\W+){0,3}?"
    r"(?:(?:seen|saw|watched|loved|liked|enjoyed|adored|know)\s+(?:it|that|this|that\s+one|this\s+one)"
    r"|yes|yeah|yea|yep|yup|ya|yh|sure|of\s+course|i\s+(?:have|did)|(?:i\s+)?(?:have|did)\s+indeed)"
    r"(?:\s+(?:already|before|too|twice|ages\s+ago|a\s+while\s+ago|as\s+a\s+kid|yes))?)"
    r"(?:\s*[,;.!]+\s*|\s+(?=(?:and|also|plus|as\s+well\s+as|along\s+with)\b))"
    r"(?P<cue>(?:(?:and\s+)?(?:also|plus|as\s+well\s+as|along\s+with)|and)\s+)?"
    r"(?P<list>.+)$", re.IGNORECASE | re.DOTALL)
_LISTING_CUE = re.compile(r"\b(?:also|plus|as\s+well\s+as|along\s+with)\b", re.IGNORECASE)
_WATCH_VERB = re.compile(r"\b(?:seen|saw|watched)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|never|no|nope|nah|haven'?t|havent|didn'?t|didnt)\b|n't\b", re.IGNORECASE)
# "... too", "... as well": the list adds to the answer
_ADDED_AFTER = re.compile(r"^\W*(?:too|as\s+well|aswell|also|both)\b", re.IGNORECASE)
_LIKED = re.compile(r"\b(?:lov(?:e|ed|es)|liked|enjoyed|adored|great|amazing|awesome|brilliant"
                    r"|fantastic|favou?rites?|classics?|10/10)\b", re.IGNORECASE)
# a word with the film as its object ("hated it", "loved that"): a verb, never a title
_VERB_ON_IT = re.compile(r"\W*[\w']+\s+(?:it|that|this|them|both)\b(?!\s*[\w']*\s*(?:too|as\s+well)\b)",
                         re.IGNORECASE)
# someone liking the film ("twins love it", "my kids liked that"): a clause with a subject and
# a verb on the film, never a list of films *Twins* and *Love*
_SUBJECT_ON_IT = re.compile(r"\W*(?:[\w']+\s+){1,3}(?:lov(?:e|es|ed)|lik(?:e|es|ed)|enjoy(?:s|ed)?|ador(?:e|es|ed)"
                            r"|hat(?:e|es|ed)|dig|digs|rate|rates|rated|watch(?:es|ed)?)\s+(?:it|that|this|them)\b",
                            re.IGNORECASE)
_SENTENCES = re.compile(r"[.!?;]+|,")


def listed_with_answer(text: str, titles_at: TitlesAt,
                       everyday: Callable[[str], bool] = lambda said: False
                       ) -> tuple[list[str], str, bool] | None:
    """``(titles, the rest of the text, liked)`` when ``text`` answers about the film on the
    table and lists more films it goes for too; None otherwise ("haven't seen it, Heat?",
    "yes, something shorter"). A first item that is everyday words as written (``everyday``:
    "seen it and love it", "saw it and up for more") goes on the answer's sentence, unless
    "also", "plus" or "too" make the rest a list of films."""
    match = _ANSWER.match(text)
    if match is None or _NEGATED.search(match["answer"]) or _VERB_ON_IT.match(match["list"]) or (
            _SUBJECT_ON_IT.match(match["list"])):  # "seen it, twins love it": who, no *Twins*
        return None  # "saw that and hated it": a verb about the film, no *Hated* listed
    titles, rest = titles_at(match["list"])
    if not titles:
        return None
    listing = bool(_LISTING_CUE.search(match["cue"] or "")) or bool(_ADDED_AFTER.match(rest))
    if everyday(titles[0]) and not listing:
        return None
    added = bool(match["cue"]) or bool(_ADDED_AFTER.match(rest))
    if not added and not (_WATCH_VERB.search(match["answer"]) and len(titles) > 1):
        return None  # "yes, Heat": no list of films seen besides this one
    liked = bool(_LIKED.search(match["answer"])) or any(
        _LIKED.search(part) for part in _first_clauses(rest))
    return titles, f"{match['answer']} , {rest}", liked


def _first_clauses(rest: str) -> list[str]:
    """The short clauses right after the list ("too. all great", ", loved both"): what they
    say goes for the films listed; a longer one is a new thought."""
    parts = [p.strip() for p in _SENTENCES.split(rest) if p.strip()][:2]
    return [p for p in parts if len(p.split()) <= 4]
