"""Refusals said after what they refuse: "R or worse is a no", "horror is out", "tom hanks is
a hard no lol", "r rated is off the table for us". The words before the verdict are denied,
never wished for (no "the rating R", no "the actor Tom Hanks"). Pure; no IO. Example::

    refused_after_mask("comedy , r is a no".split())
    # [False, False, True, False, False, False]
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.scope import clauses

_COPULAS = frozenset("is are s re be".split())
# what the copula says: a refusal, the clause ending there (or in a filler)
_VERDICTS = (("a", "no"), ("no",), ("a", "hard", "no"), ("a", "big", "no"), ("hard", "no"),
             ("out",), ("a", "no", "go"), ("no", "go"), ("a", "nogo"), ("nogo",),
             ("off", "the", "table"), ("off", "limits"), ("a", "dealbreaker"),
             ("a", "deal", "breaker"), ("banned",), ("not", "allowed"), ("not", "an", "option"),
             ("a", "nope"), ("a", "pass"), ("out", "of", "the", "question"))
_FILLERS = frozenset("""for us me the kids him her them tho though tbh lol haha pls please
    tonight sorry honestly really obviously here in this house at our""".split())
# where the refused words begin inside a clause: after the wish they are set against
_OPENERS = frozenset("but though tho so just".split())  # not "and": "R and up is out"


def refused_after_mask(tokens: Sequence[str]) -> list[bool]:
    """Which tokens a verdict after them refuses ("R or worse is a no": "r or worse")."""
    mask = [False] * len(tokens)
    for start, end in clauses(tokens):
        for i in range(start + 1, end):
            if tokens[i] not in _COPULAS or not _verdict_ends(tokens, i + 1, end):
                continue
            first = max((k + 1 for k in range(start, i) if tokens[k] in _OPENERS), default=start)
            mask[first:i] = [True] * (i - first)
            break
    return mask


def _verdict_ends(tokens: Sequence[str], at: int, end: int) -> bool:
    """A verdict opens ``tokens[at:]`` and only fillers follow it to the clause's ``end``."""
    for verdict in _VERDICTS:
        after = at + len(verdict)
        if tuple(tokens[at:after]) == verdict and all(t in _FILLERS for t in tokens[after:end]):
            return True
    return False
