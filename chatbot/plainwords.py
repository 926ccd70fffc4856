"""Plain words that are no name or title unless the phrasing marks them as one. Pure; no IO.

Phones write in lower case, so capitals cannot tell "scary movie" the kind from *Scary Movie*
the film. Structure does:

* **a genre word and a film word** ("scary movie", "heist movies", "a western film") is a
  genre, not a film of that title, unless quotes, "the film ..." or "called ..." mark it;
* **an anaphoric noun phrase** headed by "one" ("the last one", "that other one") names no
  title; a title given after it ("the last one I watched, which was zodiac") is the title;
* **a plural everyday word** ("the parents", "the locals") is no family of that surname, as
  "the Coens" is;
* **a function word or pronoun** as the object of "do you have ...?" ("it", "about") is no
  title asked for;
* **everyday words** ("love", "up", "crash", "seven", "the end") written in lower case are
  a title only in a title's place ("seen crash", "like the film up"), quoted or capitalised
  ("and love it" is a verb, not *Love*; ``everyday_phrase``);
* **words that point back** (pronouns, determiners, quantifiers, answer words, "the first
  ones", "that one": ``pointing_words``) are no title (*It*, *No*, *Those*, *Anything*) unless
  written with a capital where only a title explains it, or quoted.

Example::

    genre_phrase(["scary", "movie"], None, lambda w: w == "scary")        # True
    genre_phrase(["heist"], "movies", lambda w: w == "heist")             # True
    marked_as_title('is "scary movie" any good', "scary movie")          # True
    anaphoric_one("the last one")                                        # True
    title_after_one("i watched which was zodiac")                        # 'zodiac'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

PLURAL_WORD_ZIPF = 3.5  # "singers" 3.8, "hunters" 3.9; "scotts" 2.7, "coens" 1.9
EVERYDAY_TITLE_ZIPF = 4.5  # "love" 5.8, "up" 6.4, "crash" 4.6, "seven" 5.1; "alien" 4.3, "jaws" 3.6
FILM_WORDS = frozenset("film films movie movies flick flicks".split())
_MARKERS = re.compile(r"\b(?:the (?:film|movie|flick)|called|named|titled|film|movie)\s+$", re.I)
_QUOTES = "\"'“”‘’«»"
_ONE_PHRASE = re.compile(  # "the last one", "the new one you mentioned"
    r"^(?:the|that|this|my|your|our|his|her|their)(?:\s+[a-z']+){0,2}\s+ones?\b", re.I)
_TITLE_GIVEN = re.compile(r"\b(?:which|that|it)\s+(?:was|is|were)\s+(?:called\s+)?(?P<title>.+)"
                          r"|\b(?:called|named|titled)\s+(?P<named>.+)", re.I)
_FUNCTION_WORDS = frozenset("""it its that this these those them they one ones him her he she
    me us you about of for on in at to with from up out anything something stuff all any
    some""".split())


_POINTING_WORDS = _FUNCTION_WORDS | frozenset("""the a an all both each every either neither
    none nothing everything everyone anyone someone no yes yeah yep nope nah ok okay sure
    first second third last earlier previous older newer other another rest same such few
    many most several whole""".split())


def pointing_words(words: Sequence[str]) -> bool:
    """``words`` (folded) only point back or answer ("anything", "those", "the first ones",
    "no", "that one"): they name no film, whatever the catalogue holds (*No*, *Those*)."""
    return bool(words) and all(w.strip(".,;:!?'\"") in _POINTING_WORDS for w in words)


def genre_phrase(words: Sequence[str], following: str | None,
                 genre_word: Callable[[str], bool]) -> bool:
    """``words`` (folded) said as a title are a genre and a film word: every word but the
    film words is a genre word (``genre_word``), and a film word is among them or follows."""
    content = [w for w in words if w not in FILM_WORDS]
    film_word = len(content) < len(words) or (following or "") in FILM_WORDS
    return bool(content) and film_word and all(genre_word(w) for w in content)


def marked_as_title(raw: str, said: str) -> bool:
    """``said`` is marked as a title in ``raw``: in quotes, or after "the film", "called"."""
    at = raw.find(said)
    if at < 0:
        return False
    before, after = raw[:at], raw[at + len(said) :]
    quoted = before.rstrip()[-1:] in _QUOTES and after.lstrip()[:1] in _QUOTES
    return quoted or bool(_MARKERS.search(before))


def everyday_phrase(said: str, raw: str, zipf: Callable[[str], float]) -> bool:
    """``said`` (a title found in ``raw``) is everyday English as written: in lower case,
    unmarked (no quotes, no "the film"), and each word at least ``EVERYDAY_TITLE_ZIPF``
    frequent (``zipf``: wordfreq's) or one that points back ("love", "i love", "the end").
    Such words name a film only where a title is expected."""
    words = said.strip(" .,;:!?").split()
    written = [w for w in _written(said, raw).split() if w != "I"]  # "I love": the pronoun
    if not words or any(c.isupper() for w in written for c in w) or marked_as_title(raw, said):
        return False
    return all(w.lower() in _POINTING_WORDS or zipf(w.lower()) >= EVERYDAY_TITLE_ZIPF for w in words)


def _written(said: str, raw: str) -> str:
    """``said`` as ``raw`` writes it (the first match, any case); ``said`` when absent."""
    at = raw.lower().find(said.lower())
    return said if at < 0 else raw[at : at + len(said)]


def anaphoric_one(said: str) -> bool:
    """"the last one", "that other one", "my favourite one": a phrase headed by "one"."""
    return bool(_ONE_PHRASE.match(said.strip(" .,!?")))


def title_after_one(rest: str) -> str | None:
    """The title given after an anaphoric phrase: "(the last one) i watched which was
    zodiac" -> "zodiac"; None when none is given."""
    match = _TITLE_GIVEN.search(rest)
    if not match:
        return None
    return (match["title"] or match["named"]).strip(" .,!?;:")


def plural_of_everyday_word(token: str, zipf: float) -> bool:
    """A plural ("parents", "singers", "guests") that is itself an English word (wordfreq
    ``zipf`` at or above ``PLURAL_WORD_ZIPF``): no family of that surname, as a plural made
    only of a surname is ("coens" 1.9, "scotts" 2.7)."""
    return token.endswith("s") and zipf >= PLURAL_WORD_ZIPF


def function_words_only(words: Sequence[str]) -> bool:
    """The object of "do you have ...?" is only pronouns and function words ("it",
    "about"): it asks about no title."""
    return bool(words) and all(w in _FUNCTION_WORDS for w in words)


def kind_of_film(words: Sequence[str]) -> bool:
    """"(got) a fun monster movie", "an old spy film": an article, then words and a film
    word, asks for a kind of film, not for a title."""
    return len(words) > 2 and words[0] in ("a", "an") and bool(FILM_WORDS & set(words[2:]))
