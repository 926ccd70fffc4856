"""A wish offered as an alternative to the one standing: "maybe a thriller then", "ok, a
western instead", "how about sci-fi then?". Pure; no IO.

Such a wish replaces the wishes of its slot (horror gives way to thriller), while the other
slots' wishes and every refusal stay ("no gore" and the rating bound are kept). Example::

    offers_alternative("maybe a thriller then".split())   # True
    offers_alternative("and then a comedy".split())       # False
"""

from __future__ import annotations

from collections.abc import Sequence

_CLOSERS = frozenset(("then", "instead"))  # "... then", "... instead"
# words after the closer that leave it last: "a thriller then maybe?", "a western instead pls"
_TRAILING = frozenset("maybe perhaps please pls plz i guess suppose ok okay".split())
_OPENERS = (("how", "about"), ("what", "about"), ("or",), ("maybe",), ("perhaps",), ("ok",),
            ("okay",), ("alright",), ("fine",), ("hmm",))
_NOT_ALTERNATIVE = frozenset(("and", "if", "since", "but", "just", "even"))  # "and then", "if ... then"


def offers_alternative(tokens: Sequence[str]) -> bool:
    """Whether a clause of ``tokens`` closes on "then"/"instead" after what it offers, or
    opens with "how about"/"maybe" and closes on "then" (see the module's text)."""
    for clause in _clauses(tokens):
        words = [w for w in clause if w.isalnum()]  # "... then?"
        while words and words[-1] in _TRAILING:
            words.pop()
        if len(words) < 2 or words[-1] not in _CLOSERS or words[-2] in _NOT_ALTERNATIVE:
            continue
        if words[-1] == "instead" or any(tuple(words[: len(o)]) == o for o in _OPENERS) or (
                words[-1] == "then" and len(words) <= 5):  # "a thriller then", "ok sci-fi then"
            return True
    return False


def _clauses(tokens: Sequence[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token == ",":
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [c for c in clauses if c]
