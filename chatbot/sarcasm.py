"""Praise taken back at its end: "oh brilliant pick. really. not.", "great choice /s", "love
it, yeah right", "sure, as if". Pure; no IO. Such a reply refuses the film, never accepts
it. Example::

    closes_sarcastically("oh brilliant pick. really. not.")   # True
    closes_sarcastically("why not")                          # False
    closes_sarcastically("haha surely not")                  # False: a plain no
"""

from __future__ import annotations

import re

# the closer, alone at the end of the message, after something said ("... not.", "... /s")
_CLOSER = re.compile(
    r"(?P<before>\S.*?)(?P<gap>[\s.,!…-]*)(?<![\w'])(?:not|/s|yeah right|yea right|ya right|yeh right|"
    r"as if|said no one ever|said no one|said nobody ever|said nobody|sarcasm|jk|just kidding)"
    r"\s*[.!…]*\s*$", re.I | re.S)
# "why not", "or not", "i hope not": "not" closing an ordinary phrase, no taking back
_NOT_SARCASTIC = re.compile(r"\b(?:why|or|if|hope|think|guess|suppose|rather|better|probably|"
                            r"maybe|definitely|certainly|absolutely|course|apparently|hopefully|"
                            r"sadly|unfortunately|whether|still|yet|do|does|did|have|has|had|"
                            r"am|is|are|was|were|can|could|would|should|will|might|must)\s*$", re.I)


def closes_sarcastically(text: str) -> bool:
    """Whether ``text`` ends on a word that takes back what it said (see the module's text)."""
    match = _CLOSER.match(text.strip())
    if match is None:
        return False
    closer = match.group(0).rstrip(" .!…")
    if not closer.lower().endswith("not"):
        return True
    # A closing "not" takes back what was said only as its own beat, after a stop or a pause
    # ("brilliant pick. not.", "sounds great... not") or shouted ("NOT"); run on, it belongs to
    # the phrase ("haha surely not", "i hope not": a plain no).
    own_beat = bool(set(match["gap"]) & set(".,!…-")) or closer.endswith("NOT")
    return own_beat and not _NOT_SARCASTIC.search(match["before"])
