"""Short everyday replies the policy reads by their shape, not by a wish they name.

"ok" or "k" after a question about the film was answered acknowledges the answer; it says
nothing about having watched the film. "no actor", "any director is fine" or "it is egal,
no actor" next to other wishes still answers the question asked, so it is not asked again.
Pure. Example::

    acknowledges_only(["ok"])                                   # True
    declines_slot(["it", "is", "egal", "no", "actor"], "actor")  # True
"""

from __future__ import annotations

from collections.abc import Sequence

_ACKNOWLEDGEMENTS = frozenset("ok okay k kk okie oki okey alright cool right got it i see "
                              "noted understood gotcha ah oh hmm".split())
_SLOT_WORDS = {
    "actor": frozenset("actor actors actress actresses star stars cast one anyone".split()),
    "director": frozenset("director directors filmmaker".split()),
    "mpaa": frozenset("rating ratings rated mpaa".split()),
    "genre": frozenset("genre genres".split()),
}
_DECLINING = frozenset("no any whatever whichever none egal".split())


def acknowledges_only(words: Sequence[str]) -> bool:
    """The words only acknowledge ("ok", "k", "alright, got it"): no yes to a question."""
    return bool(words) and len(words) <= 3 and all(w in _ACKNOWLEDGEMENTS for w in words)


def declines_slot(words: Sequence[str], stage: str) -> bool:
    """The words decline the slot asked about ("no actor", "any director"), whatever else
    they ask for."""
    names = _SLOT_WORDS.get(stage, frozenset())
    return any(w in _DECLINING and words[i + 1] in names for i, w in enumerate(words[:-1]))
