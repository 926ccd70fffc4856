"""Misspelt words of the dialog itself ("no preferance on directer", "rateing dosent matter")
spelt right before anything looks for names in them, so that a typo of "director" is never
read as a person ("Did you mean Ed Decter?"). Pure; no IO. Example::

    speller = SlotSpeller(common={"on", "no"}, is_name_word=lambda w: w == "decter")
    speller("no preferance on directer")   # 'no preference on director'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from chatbot.spelling import NearWords

# Words a user types to answer or waive a question: long enough that one typo (two in long
# words) still leaves them unmistakable.
DIALOG_WORDS = frozenset("""preference director rating actress actor doesnt matter whatever
    whoever favourite particular anything anyone anybody bothered genre certificate runtime
    length something another thanks recap recommend recommendation suggestion movie
    movies hello howdy greetings""".split())  # "helo", "helllo": a greeting
# The words of questions about a film and of comparing films ("wich year?", "hw long", "did the
# critcs like it beter than Heat?", "whats the runing time"): spelt right before anything reads
# the question, so a typo never turns it into "I can't tell that" or a person ("beter": Jeter).
QUESTION_WORDS = frozenset("""which what when where long critics critic reviews review reviewed
    running release released starring stars actors cast year minutes rated better
    worse popular liked longer shorter older newer more than successful acclaimed famous higher
    lower""".split())
# Genre words: spelt right only while the genre is asked for ("comdy" to "Which actor?" stays
# unread, as ``chatbot.genres`` reads genre typos)
GENRE_WORDS = frozenset("""funny comedy horror thriller western romance romantic documentary
    animated animation action adventure fantasy mystery musical family history scary scifi
    science fiction""".split())  # "scfi", "sciene fiction"
# Their other forms, each read as the word it is a form of: a typo between two forms of
# one word ("directer": director or directed) is still that word.
_FORMS = {"preferences": "preference", "prefer": "preference", "directors": "director",
          "directed": "director", "directs": "director", "ratings": "rating",
          "actresses": "actress", "actors": "actor", "matters": "matter",
          "favorite": "favourite", "genres": "genre"}
_GENRE_FORMS = {"comedies": "comedy", "thrillers": "thriller", "westerns": "western",
          "documentaries": "documentary", "musicals": "musical", "mysteries": "mystery",
          "romances": "romance", "cartoons": "animated", "cartoon": "animated"}
MIN_TYPO_LEN = 5  # shorter words are too close to too many others...
DROPPED_LETTER_LEN = 4  # ...but for a letter left out of a longer word ("funy": funny)
_WORD = re.compile(r"[A-Za-z']+")


class SlotSpeller:
    """Spells the dialog's own words right when a token is no English word, no word of a name
    in the catalogue, and one typo (two in long words) from exactly one dialog word."""

    def __init__(self, common: Container[str], is_name_word: Callable[[str], bool]) -> None:
        said = DIALOG_WORDS | QUESTION_WORDS | set(_FORMS)
        self._near = NearWords(said)
        self._near_genres = NearWords(said | GENRE_WORDS | set(_GENRE_FORMS))
        self._common = common
        self._is_name_word = is_name_word

    def __call__(self, text: str, genre_asked: bool = False) -> str:
        near = self._near_genres if genre_asked else self._near
        return _WORD.sub(lambda m: self._spelt(m.group(0), near), text)

    def _spelt(self, word: str, words: NearWords) -> str:
        token = word.lower().replace("'", "")
        if len(token) < DROPPED_LETTER_LEN or token in DIALOG_WORDS or token in GENRE_WORDS \
                or token in QUESTION_WORDS \
                or token in _FORMS or token in _GENRE_FORMS or token in self._common \
                or self._is_name_word(token):
            return word
        near = words.near(token)
        if len(token) < MIN_TYPO_LEN:  # a letter left out or two swapped ("wich", "lnog")
            near = [(w, d) for w, d in near if len(w) == len(token) + 1 or sorted(w) == sorted(token)]
        if not near:
            return word
        best = {_FORMS.get(w, _GENRE_FORMS.get(w, w)) for w, d in near if d == near[0][1]}
        return best.pop() if len(best) == 1 else word
