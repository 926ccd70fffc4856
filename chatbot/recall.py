"""Earlier proposals recalled by their kind or their place: "what was that war one called
again?", "the first one you said". Pure; no IO. The answer names the films and points at
one, so "fine, that one" next takes it (``chatbot.closing_acts``). Example::

    recalled_genre("what was that war one called again".split())   # 'war'
    recalls_first("the first one you said".split())                 # True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.lexicon import GENRE_SYNONYMS
from chatbot.text import join_words

# a word that makes "the <genre> one" a film of the past talk, not a wish for one
_RECALLING = frozenset("""called name title again earlier before previous previously said
    suggested showed shown mentioned recommended offered""".split())
_POINTERS = frozenset(("that", "the"))
_FILM_NOUNS = frozenset(("one", "film", "movie", "flick"))
_FIRST = (("first", "one", "you"), ("first", "film", "you"), ("first", "movie", "you"),
          ("very", "first", "one"))
_TAKING = frozenset("take watch want pick choose go prefer rather".split())


def recalled_genre(words: Sequence[str]) -> str | None:
    """The genre of "that <genre> one" in a message recalling a film shown, or None."""
    if not _RECALLING & set(words):
        return None
    for at, word in enumerate(words):
        if word not in _POINTERS:
            continue
        for size in (2, 1):  # "that sci fi one", "that war one"
            phrase = " ".join(words[at + 1 : at + 1 + size])
            after = words[at + 1 + size : at + 2 + size]
            if phrase in GENRE_SYNONYMS and after and after[0] in _FILM_NOUNS:
                return GENRE_SYNONYMS[phrase]
    return None


def recalls_first(words: Sequence[str]) -> bool:
    """"the first one you said", "your very first one": the first film shown, named back
    (a verb of taking makes it a choice, read elsewhere)."""
    found = any(tuple(words[i : i + len(p)]) == p for p in _FIRST for i in range(len(words)))
    return found and not _TAKING & set(words)


def recall_reply(genre: str, films: Sequence[Mapping[str, Any]]) -> str:
    """The earlier films of ``genre`` by name ("The war films I suggested were ... ")."""
    named = [f"{f['title']} ({f['year']})" if f.get("year") else str(f["title"]) for f in films]
    if not named:
        return f"I haven't suggested a {genre} film yet"
    if len(named) == 1:
        return f"The {genre} film I suggested was {named[0]}"
    return f"The {genre} films I suggested were {join_words(named)}"


def recalled_films(genre: str, films: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [f for f in films if genre in (f.get("genres") or ())]
