"""Wishes about a film's standing: critics' praise ("critics gotta like it", "well reviewed")
and fame ("something less famous", "an obscure one", "a hidden gem"). Pure; no IO.

The catalogue holds both figures: ``critics_meter`` (% of reviews positive) and ``votes``
(how many people rated the film). Praise is ``{"slot": "critics", "range": [75, None]}``;
"less famous" is relative to the film on the table (``"relative": "lesser"``, resolved by
``chatbot.wishes``: fewer ratings than it has), else a fixed bound
(``LESSER_KNOWN_VOTES``). A denial before the words takes them back ("not some obscure
thing"). Example::

    standing_wishes("critics gotta like it".split())
    # [{'slot': 'critics', 'range': [75, None], 'exclude': False}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.acts import PhraseTable

CRITICS_LIKED = 75  # % of reviews positive: the catalogue's "critics liked" line
LESSER_KNOWN_VOTES = 20  # rated by at most this many people (about 93% of the catalogue)
_PRAISE = PhraseTable((
    "critics", "critic", "critically acclaimed", "acclaimed", "well reviewed", "good reviews",
    "great reviews", "reviewed well", "reviews are good", "rotten tomatoes", "certified fresh",
    "reviewers"))
_PRAISE_VERBS = frozenset("""like liked likes love loved loves approve approved rated rate
    praised praise acclaimed good great well fresh high""".split())
_LESSER = PhraseTable((
    "obscure", "less famous", "lesser known", "less known", "lesser-known", "not famous",
    "hidden gem", "hidden gems", "underrated", "under the radar", "less popular",
    "not so famous", "not as famous", "less obvious", "not so obvious", "not the obvious",
    "deep cut", "deep cuts", "not mainstream", "less mainstream", "little known",
    "little-known", "unknown one", "nobody has seen", "no one has seen", "not well known",
    "not very famous", "not too famous",
    # "I've seen everything, try me": a film buff, so the well-known ones are out
    "seen everything", "seen every film", "seen every movie", "seen all the films",
    "seen all the movies", "seen all the classics", "seen all the famous", "seen all the big",
    "seen all the popular", "seen most films", "seen most movies", "watched everything",
    "watched every film", "watched every movie", "seen pretty much everything"))
_DENIALS = frozenset("not no nothing never dont without havent hasnt hadnt".split())


def standing_wishes(tokens: Sequence[str]) -> list[dict[str, Any]]:
    """The critics' and fame wishes of folded ``tokens`` (see the module's text)."""
    words = list(tokens)
    found: list[dict[str, Any]] = []
    if not _asks_figure(words) and any(not _denied(words, at) and (
            len(phrase) > 1 or phrase[0] == "acclaimed" or set(words) & _PRAISE_VERBS)
            for at, phrase in _PRAISE.all(words)):
        found.append({"slot": "critics", "range": [CRITICS_LIKED, None], "exclude": False})
    if any(not _denied(words, at) or phrase[0] == "not" for at, phrase in _LESSER.all(words)):
        found.append({"slot": "votes", "range": [None, LESSER_KNOWN_VOTES], "exclude": False,
                      "relative": "lesser"})
    return found


def _asks_figure(words: Sequence[str]) -> bool:
    """"what's the rating on rotten tomatoes?", "how did critics rate it": a question about a
    figure, answered from the catalogue, never a wish ("what's a film critics loved?" is one)."""
    opens = [i for i, w in enumerate(words) if w in _ASKING and words[i + 1 : i + 2] != ["about"]]
    return bool(opens) and bool(_FIGURES & set(words[opens[0]:])) and not _FILM_WORDS & set(words)


_ASKING = frozenset("what whats how hows which".split())
_FIGURES = frozenset("rating rated rate score scores percentage percent meter say said think thought "
                     "verdict".split())
_FILM_WORDS = frozenset("movie movies film films something one ones flick".split())


def _denied(words: Sequence[str], at: int) -> bool:
    """A denial in the three words before, in the same clause ("no. a lesser-known one": none)."""
    window = words[max(0, at - 3) : at]
    window = window[max((i + 1 for i, w in enumerate(window) if w == ","), default=0) :]
    return bool(_DENIALS & set(window))
