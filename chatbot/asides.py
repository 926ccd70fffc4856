"""Asides: clauses that tell something of the user's life in passing ("he passed away last
year", "we moved here in 2010", "my kid was born in the 90s"), whose dates are no wish for a
film's release. Pure; no IO. Used by ``chatbot.nlu`` before dates become constraints.

A clause is an aside when a person is its subject (a personal pronoun, or "my"/"his"/... and a
noun: "my brother") and a verb follows, and nothing in it asks for a film: no film or genre
word, no wish verb ("want", "like", "prefer"), no "something"/"anything", and no release word
("from", "made", "released", "came out", "since", "after", "before"). Example::

    tokens = clause_tokens("my brother loved Steve Martin, he passed away last year")
    aside_mask(tokens)   # True on "he passed away last year" only
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

BOUNDARY = ","
_JOINS = frozenset("so but and because cause cuz".split())  # "he was born in 2005 so ...": two clauses
_SUBJECTS = frozenset("i he she we they".split())
_POSSESSIVES = frozenset("my his her our their".split())
# words that make a date in the clause a wish about films, not a moment of the user's life
_WISHING = frozenset("""want wanna like love prefer would need looking look fancy feel mood
    something anything one ones movie movies film films flick flicks from made released
    came since after before between newer older recent set era decade decades genre
    show find give recommend suggest watch see pick classic""".split())
_WHEN = frozenset("ago year years when back month months week weeks".split())


def aside_mask(tokens: Sequence[str], is_genre: Callable[[str], bool] = lambda _w: False
               ) -> list[bool]:
    """True on the tokens of each clause that is an aside (see the module doc); a word for
    which ``is_genre`` holds ("comedies") also makes a clause ask for films."""
    mask = [False] * len(tokens)
    start = 0
    for end in [*(i for i, t in enumerate(tokens) if t == BOUNDARY or t in _JOINS), len(tokens)]:
        clause = tokens[start:end]
        if _tells_of_life(clause, is_genre):
            mask[start:end] = [True] * (end - start)
        start = end + 1
    return mask


def _tells_of_life(clause: Sequence[str], is_genre: Callable[[str], bool]) -> bool:
    subject = next((k for k, t in enumerate(clause) if t in _SUBJECTS or (
        t in _POSSESSIVES and k + 1 < len(clause))), None)
    if subject is None or subject + 2 > len(clause):
        return False
    return not any(t in _WISHING or is_genre(t) for t in clause) and any(
        t in _WHEN or t.isdigit() or t.endswith("s") and t[:-1].isdigit() for t in clause)
