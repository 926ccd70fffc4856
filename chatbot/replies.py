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
                              "noted understood gotcha ah oh hmm fine".split())
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


_REFUSING = frozenset("no nah nope na naw nay".split())
_THANKS = frozenset("thanks thank you thx ty cheers though tho anyway im i am good ok okay fine "
                    "alright set really tbh honestly".split())


def declines_with_thanks(words: Sequence[str]) -> bool:
    """"no thank you", "nah thanks, i'm good", "nope im ok": the proposal declined politely,
    and nothing else said (no verb of watching, no wish)."""
    polite = any(w in ("thanks", "thank", "thx", "ty") or w in _FINE and words[i - 1] in ("im", "am")
                 for i, w in enumerate(words[1:], 1))
    return bool(words) and words[0] in _REFUSING and polite and all(w in _THANKS for w in words[1:])


_FINE = frozenset("good fine ok okay alright set".split())  # "nah i'm good", "nope im ok"


def says_settled(words: Sequence[str]) -> bool:
    """"i'm good", "i am fine" in a polite no: the user needs nothing more right now, so the
    next film is offered, not pushed ("no thanks" alone declines just the film shown)."""
    return any(w in _FINE and words[i - 1] in ("im", "am") for i, w in enumerate(words[1:], 1))
_INDIFFERENT = frozenset((("not", "fussed"), ("not", "bothered"), ("dont", "care"),
                          ("dont", "mind"), ("no", "idea"), ("no", "clue"), ("not", "really"),
                          ("doesnt", "matter"), ("whatever", "but"), ("anyone", "but")))
_THEN = frozenset("but just though however only although and thanks".split())


def declines_slot(words: Sequence[str], stage: str) -> bool:
    """The words decline the slot asked about ("no actor", "any director"), whatever else
    they ask for."""
    names = _SLOT_WORDS.get(stage, frozenset())
    if words[:1] and words[0] in _REFUSING and (words[0] != "no" or words[1:2] and words[1] in _THEN):
        return True  # "nah. but keep it short", "no, but something recent": the slot refused
    if tuple(words[:2]) in _INDIFFERENT and (len(words) == 2 or words[2] in _THEN):
        return True  # "not fussed. but nothing over two hours"
    return any(w in _DECLINING and words[i + 1] in names for i, w in enumerate(words[:-1]))


# words a whole first clause may hold and still only answer the question asked
_ANSWER_ONLY = frozenset("""no nah nope na naw not really preference preferences pref particular
    particularly in one nobody anyone anybody any whoever whatever idea clue dont do care mind
    matter doesnt does i im fine thanks ok okay well hmm um so honestly tbh either way all good
    at none thx please pls""".split())
_SAYS_NO = frozenset("no nah nope na naw not nobody dont doesnt whatever any anyone none".split())


def opening_refusal(tokens: Sequence[str]) -> bool:
    """A first clause that only declines the question ("no not really", "no preference",
    "nah") before other wishes ("..., oh and nothing too long"): the question is answered, so
    never asked again. ``tokens`` as ``chatbot.cues.clause_tokens`` gives them."""
    if "," not in tokens:
        return False
    cut = list(tokens).index(",")
    first, rest = tokens[:cut], [t for t in tokens[cut + 1 :] if t != ","]
    return bool(first and rest) and set(first) <= _ANSWER_ONLY and bool(set(first) & _SAYS_NO)
