"""Questions about a person, and a person's wish disowned, said in everyday words. Pure; no IO.

"is richard dreyfuss the guy from jaws?" asks whether he is in *Jaws*, as "is richard
dreyfuss in jaws?" does: never a wish for him, never "Did you mean ...?" among the film's
cast. "i didn't ask for meg ryan" and "take her out of the requirements" (her: the person
the message named) give the wish up, as "remove meg ryan" does. Each is rewritten to the
plain form the rest of the understanding reads. Example::

    plain_person_asks("is harrison ford the guy from witness?")   # 'is harrison ford in witness?'
    plain_person_asks("i didnt ask for meg ryan. take her out")   # 'remove meg ryan. remove meg ryan'
"""

from __future__ import annotations

import re

_ROLE_NOUNS = r"(?:guy|girl|man|woman|dude|lady|bloke|chap|kid|one|actor|actress|fella|fellow|chick)"
# "is X the guy from Y", "isn't X that actress who was in Y", "was X the one in Y"
_CREDIT = re.compile(
    rf"\b(?P<verb>is|isn'?t|was|wasn'?t)\s+(?P<name>[a-z][\w.'-]*(?:\s+[a-z][\w.'-]*){{0,3}}?)\s+"
    rf"(?:the|that|this)\s+{_ROLE_NOUNS}\s+(?:from|in|(?:who|that)\s+(?:was|is|played)\s+in)\s+",
    re.I)
# "i didn't ask for X", "never asked for X", "who said anything about X"
_DISOWNED = re.compile(
    r"\b(?:i\s+)?(?:did\s*n[o']?t|didnt|never)\s+(?:ask|asked|say|said|want|wanted)\s+(?:for\s+|about\s+)?"
    r"(?P<name>[a-z][\w.'-]*(?:\s+[a-z][\w.'-]*){0,2}?)(?=\s*(?:[,.!?;]|$|\s+(?:i|im|i'm|you|though|tho|at all|lol)\b))",
    re.I)
# "take her out of the requirements", "drop him from the list", "get X off my wishes"
_TAKE_OUT = re.compile(
    r"\b(?:take|get|drop|leave|cut|kick)\s+(?P<name>her|him|them|[a-z][\w.'-]*(?:\s+[a-z][\w.'-]*){0,2}?)\s+"
    r"(?:out\s+of|out|off|from)\s+(?:the|my|your|those|these|our)?\s*"
    r"(?:requirements?|wishes|wish|list|search|filters?|criteria|preferences|prefs|picks?|choices)\b",
    re.I)
_PRONOUNS = frozenset(("her", "him", "them"))
_NOT_NAMES = frozenset("it that this one them anything something there".split())  # "is it the one from Heat?"


def plain_person_asks(text: str) -> str:
    """``text`` with person questions and disowned wishes in their plain form (see the module)."""
    text = _CREDIT.sub(lambda m: m.group(0) if m["name"].lower() in _NOT_NAMES else f"{m['verb']} {m['name']} in ", text)
    named: list[str] = []

    def disowned(match: re.Match[str]) -> str:
        name = match["name"].strip()
        if name.lower() in _NOT_NAMES:
            return match.group(0)
        named.append(name)
        return f"remove {name}"

    text = _DISOWNED.sub(disowned, text)

    def taken_out(match: re.Match[str]) -> str:
        name = match["name"].strip()
        if name.lower() in _PRONOUNS:
            return f"remove {named[-1]}" if named else match.group(0)
        return match.group(0) if name.lower() in _NOT_NAMES else f"remove {name}"

    return _TAKE_OUT.sub(taken_out, text)
