"""A "no" that only refuses a mood is no "no" to the film shown: "is it romantic? i said no
sappy stuff", "no cheesy stuff pls" (a mood the catalogue cannot tell, said and left out) keep
the film on the table; "no. nothing sappy" and "nah" still refuse it. Pure. Example::

    mood_intent("no", "i said no sappy stuff".split(), [MOOD_NOTE])   # 'unknown'
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.acts import BOUNDARY

_MOOD_NOTE = "mood or style"  # the note the lexicon gives for a mood it cannot tell
_REFUSING = frozenset(("no", "nothing"))
_PLAIN_REFUSALS = frozenset(("nope", "nah", "naw", "nay"))
# a word after "no" that makes it a refusal of the film, not of a mood ("no thanks", "no I
# haven't", "no, too long")
_NOT_MOODS = frozenset("""thanks thank thx ty way i we it its not more one problem worries
    thats that this please pls""".split())


def mood_intent(intent: str, tokens: Sequence[str], notes: Sequence[str]) -> str:
    """``intent``, or "unknown" when its "no" only refuses a mood left out (see the module)."""
    if intent != "no" or not any(_MOOD_NOTE in n for n in notes) or _PLAIN_REFUSALS & set(tokens):
        return intent
    refusals = [at for at, t in enumerate(tokens) if t in _REFUSING]
    if not refusals or any(at + 1 >= len(tokens) or tokens[at + 1] == BOUNDARY
                           or tokens[at + 1] in _NOT_MOODS for at in refusals):
        return intent
    return "unknown"
