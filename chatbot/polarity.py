"""The committed polarity of a yes/no answer: "of course not", "definitely not" and "sure, no"
are noes (an affirming word before a denial strengthens the denial, it says no yes), and a
reply made only of yes/no words and self-corrections ("yes, no, wait, no", "no... yeah
actually") says what its last answer says. Pure; used by ``chatbot.acts.intent_of`` and by
``chatbot.proposal_answers.yes_no``. Example::

    committed_polarity("of course not".split())         # 'no'
    committed_polarity("yes , no , wait , no".split())  # 'no'
    bare_polarity("no way".split())                     # 'no' (no verdict on the film)
"""

from __future__ import annotations

from collections.abc import Sequence

BOUNDARY = ","

# Words that affirm whatever follows them: before a denial they make it stronger.
_AFFIRMERS = (("of", "course"), ("course",), ("definitely",), ("certainly",), ("absolutely",),
              ("sure",), ("surely",), ("obviously",), ("totally",), ("honestly",), ("really",),
              ("def",), ("defo",), ("most", "definitely"), ("most", "certainly"),
              ("for", "sure"), ("100",), ("hell",), ("god",), ("heck",))
_DENIALS = frozenset("not no never nope nah".split())
# "of course not bad", "sure, not too bad": the denial belongs to the next word
_DENIED_FOLLOWERS = frozenset("bad too mind dislike hate complain sure a an the".split())

# Whole answers a reply may be made of, each a polarity (longest first when matched); "seen
# it" is no answer word here: what a reply says of watching is read as such (``watching``)
_UNITS: dict[tuple[str, ...], str] = {
    **{tuple(p.split()): "no" for p in (
        "no", "nope", "nah", "naw", "nay", "never", "not", "no way", "no chance", "not at all",
        "not really", "hell no", "god no", "heck no", "no no", "of course not", "course not",
        "not yet", "not ever", "never ever", "no sir", "no siree", "negative", "nuh uh", "noo",
        "nooo", "i have not", "i did not", "i do not", "have not", "did not", "do not",
        "no i have not", "no i did not", "no i do not",
        "absolutely not", "definitely not", "certainly not", "surely not", "obviously not",
        "totally not", "really not", "not one bit", "not in the slightest", "nop")},
    **{tuple(p.split()): "yes" for p in (
        "yes", "yeah", "yea", "yep", "yup", "ya", "yes i have", "yes i do", "yes i did",
        "i have", "i do", "i did", "of course", "course", "definitely", "certainly",
        "absolutely", "sure", "obviously", "totally", "for sure", "you bet", "indeed",
        "hell yes", "hell yeah", "aye", "affirmative", "correct", "right", "yass", "yas")},
}
# hedges: "not sure", "no idea" say neither yes nor no, whatever answer words surround them
_UNITS.update({tuple(p.split()): "" for p in (
    "not sure", "no idea", "not certain", "no clue", "do not know", "dont know", "idk", "dunno",
    "maybe", "perhaps", "kinda", "sort of", "kind of", "i guess", "i suppose", "unsure")})
_UNIT_LIST = sorted(_UNITS, key=len, reverse=True)  # the longest answer at a place wins
# Words a bare answer may carry besides its answers: hesitation and self-correction.
_FILLERS = frozenset("""wait actually hmm hm um uh er erm well oh ah i mean sorry lol haha
    scratch that or rather but ok okay so hold on no wait let me think again i think
    honestly tbh""".split())


def _affirmed_denial(tokens: Sequence[str], at: int) -> int:
    """The length of an affirmer-then-denial unit at ``at`` ("of course not"), else 0."""
    for affirmer in _AFFIRMERS:
        end = at + len(affirmer)
        if tuple(tokens[at:end]) != affirmer or end >= len(tokens) or tokens[end] not in _DENIALS:
            continue
        follower = tokens[end + 1] if end + 1 < len(tokens) else BOUNDARY
        if follower not in _DENIED_FOLLOWERS:
            return len(affirmer) + 1
    return 0


def _clause_start(tokens: Sequence[str], at: int) -> bool:
    return at == 0 or tokens[at - 1] == BOUNDARY


def committed_polarity(tokens: Sequence[str]) -> str | None:
    """"no" or "yes" when ``tokens`` commit to one against their first yes-word: a clause
    that opens with an affirmed denial ("definitely not, I've never heard of it"), or a
    bare answer whose last word differs from its first ("yes, no, wait, no"); else None,
    and the first yes or no decides as before."""
    bare = bare_polarity(tokens)
    if bare is not None:
        return bare
    if any(_clause_start(tokens, i) and _affirmed_denial(tokens, i) for i in range(len(tokens))):
        return "no"
    return None


def bare_polarity(tokens: Sequence[str]) -> str | None:
    """The last answer of a reply made only of yes/no answers and fillers ("no way", "sure,
    no", "not really, no", "nope... yes actually"), else None (the reply says more)."""
    words = [t for t in tokens if t != BOUNDARY]
    last: str | None = None
    i = 0
    while i < len(words):
        denial = _affirmed_denial(words, i)
        if denial:
            last, i = "no", i + denial
            continue
        unit = next((u for u in _UNIT_LIST if tuple(words[i : i + len(u)]) == u), None)
        if unit is not None and not _UNITS[unit]:
            return None  # hedged: the old reading (unsure, no opinion) stands
        if unit is not None:
            last, i = _UNITS[unit], i + len(unit)
        elif words[i] in _FILLERS:
            i += 1
        else:
            return None
    return last
