"""What a viewer cannot sit through, in the user's words: a refusal said as its effect.

"my husband falls asleep if it's over 2 hours", "the kids get restless in anything longer than
90 minutes", "over two hours and I zone out", "anything past 2 hours is too much for me" refuse
what they name, as "not" would: the words it covers are in a negation's scope (the length bound
becomes "nothing 121 minutes or longer", as "I hate anything over two hours" does). Pure; no IO.

Two shapes, each within one clause:
- the effect first, then a condition or place: ``<effect> if / when / in / during / with ...``
  opens a negation's scope like "not" does (``opens_at``, used by ``chatbot.cues``), so it ends
  where any refusal's scope ends ("falls asleep in anything romantic but a comedy is fine");
- the thing first, then the effect: ``... and / or <someone> <effect>``, ``... is too much``,
  ``... puts him to sleep`` covers the clause up to the effect (``aversion_mask``).

A clause that already holds a negation is left to it by ``aversion_mask``. "falls asleep after
an hour and a half" is a length the viewer can sit through (``chatbot.length_phrases`` reads
"after" as at most), so "after" opens nothing here. Example::

    opens_at("i fall asleep in anything over 2 hours".split(), 3)  # True: "in" opens the scope
    aversion_mask("over 2 hours and i zone out".split())
    # [True, True, True, True, True, False, False]
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.scope import clauses

# an effect in one word, and in two ("zone out", "nod off", "lose interest")
_EFFECTS = frozenset("asleep doze dozes dozing dozed snooze snoozes snoozing bored restless antsy fidgety "
                     "fidgeting squirmy".split())
_EFFECT_PHRASES = frozenset((("zone", "out"), ("zones", "out"), ("zoning", "out"), ("tune", "out"),
                             ("tunes", "out"), ("nod", "off"), ("nods", "off"), ("nodding", "off"),
                             ("drift", "off"), ("drifts", "off"), ("lose", "interest"),
                             ("loses", "interest"), ("losing", "interest"), ("check", "out"),
                             ("checks", "out"), ("to", "sleep"), ("too", "much"), ("too", "long")))
# effects said only after what causes them ("over 2 hours is *too much* for me": "for" names no cause)
_AFTER_ONLY = frozenset((("to", "sleep"), ("too", "much"), ("too", "long")))
# what follows the effect and names what causes it ("asleep *in* anything over 2 hours")
_CONDITIONS = frozenset("if when whenever in during through with at by once for of".split())
_PARTICLES = frozenset("off out easily fast quickly".split())  # "dozes *off* if", "bored *easily* with"
# between the thing and its effect ("over 2 hours *and* i zone out", "*or* he falls asleep")
_LINKS = frozenset("and or is are s be puts put makes make gets get".split())  # "an epic would *be* too much"
_NEGATIONS = frozenset("not no never without nothing none neither nor".split())


def opens_at(tokens: Sequence[str], i: int) -> bool:
    """Whether ``tokens[i]`` is the condition after an effect ("asleep *in* anything over 2
    hours", "dozes off *if* it's long"): a negation's scope opens there."""
    if tokens[i] not in _CONDITIONS:
        return False
    ends = [i]  # the effect ends right before the condition, or before particles ("nod off", "off")
    while ends[-1] and tokens[ends[-1] - 1] in _PARTICLES:
        ends.append(ends[-1] - 1)
    return any(j >= width and tuple(tokens[j - width : j]) not in _AFTER_ONLY
               and _effect_at(tokens, j - width, j) == width for j in ends for width in (1, 2))


def aversion_mask(tokens: Sequence[str]) -> list[bool]:
    """Which tokens of ``tokens`` (folded words with ``","`` between clauses) an effect said
    after them refuses ("over 2 hours and i zone out"), one flag per token; the effect said
    first is ``opens_at``'s."""
    mask = [False] * len(tokens)
    for start, end in clauses(tokens):
        if _NEGATIONS & set(tokens[start:end]):
            continue
        effect = next((i for i in range(start + 1, end) if _effect_at(tokens, i, end)), None)
        if effect is not None and not _caused_after(tokens, effect, end) and _linked_before(tokens, start, effect):
            mask[start:effect] = [True] * (effect - start)
    return mask


def _caused_after(tokens: Sequence[str], i: int, end: int) -> bool:
    """The effect at ``i`` is followed by its condition (then ``opens_at`` covers what follows)."""
    j = i + _effect_at(tokens, i, end)
    while j < end and tokens[j] in _PARTICLES:
        j += 1
    return j < end and opens_at(tokens, j)


def _effect_at(tokens: Sequence[str], i: int, end: int) -> int:
    """How many words the effect at ``i`` takes (0: none there)."""
    if tokens[i] in _EFFECTS:
        return 1
    return 2 if i + 1 < end and (tokens[i], tokens[i + 1]) in _EFFECT_PHRASES else 0


def _linked_before(tokens: Sequence[str], start: int, i: int) -> bool:
    """Whether a link word lies between the clause's start and the effect at ``i`` ("over 2 hours
    *and* i zone out", "anything past 2 hours *is* too much")."""
    return any(t in _LINKS for t in tokens[max(start, i - 3) : i])
