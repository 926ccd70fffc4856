"""Questions to the bot about itself: its age, who made it, whether it is a person, what it
feels, where it lives, whether it watches films. Pure; no IO.

Each gets one short, honest sentence about the program, and the open question is asked again;
none is read as a wish ("how old r u": no R rating, no old films) or as a question about an
actor or the film on the table ("do you even watch films?"). Example::

    self_topic("how old are you".split())      # 'age'
    self_topic("who made you".split())         # 'maker'
    SELF_ANSWERS["age"]                        # "I don't have an age ..."
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_YOU = r"(?:you|u|ya|yourself|this\s+(?:bot|thing|chatbot|app))"
_YOUR = r"(?:your|ur|yr)"
_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((topic, re.compile(rx)) for topic, rx in (
    ("age", rf"\bhow\s+old\s+(?:are|r|is)\s+{_YOU}\b|\b{_YOUR}\s+age\b|\bwhen\s+(?:were|was)\s+{_YOU}\s+"
            rf"(?:born|made|created|built)\b|\bhow\s+long\s+have\s+{_YOU}\s+(?:been\s+)?(?:around|existed|alive)\b"
            rf"|\b{_YOUR}\s+birthday\b"),
    ("maker", rf"\b(?:who|(?:which|what)\s+(?:company|companies|team|person|people|guy|guys|firm|lab|"
              rf"developer|developers|business|organisation|organization))\s+(?:made|created|built|programmed|coded|wrote|designed|"
              rf"developed|invented|trained|owns|runs)\s+{_YOU}\b|\bwho\s+(?:is|s|are)\s+{_YOUR}\s+"
              rf"(?:creator|creators|maker|makers|developer|developers|owner|owners|boss|author)\b"
              rf"|\bwho\s+(?:is|s)\s+behind\s+{_YOU}\b|\bwhere\s+(?:do|did)\s+{_YOU}\s+come\s+from\b"),
    ("home", rf"\bwhere\s+(?:are|r)\s+{_YOU}\s+(?:from|based|located)\b|\bwhere\s+do\s+{_YOU}\s+live\b"),
    ("feelings", rf"\b(?:do|can|does)\s+{_YOU}\s+(?:have\s+)?(?:feelings|emotions|feel|get\s+(?:sad|happy|"
                 rf"lonely|bored|tired))\b|\b(?:are|r)\s+{_YOU}\s+(?:happy|sad|lonely|conscious|sentient)\b"),
    ("watching", rf"\b(?:do|did|have|can|could)\s+{_YOU}\s+(?:ever\s+|even\s+|actually\s+|really\s+)?"
                 rf"(?:watch|see|seen|watched|like|love|enjoy)\s+(?:movies|films|anything|any\s+(?:movies|films)|"
                 rf"tv|stuff)\b|\b{_YOUR}\s+(?:favou?rite|fave|fav)\s+(?:movie|film|actor|actress|director|genre)\b"),
))
SELF_ANSWERS = {
    "age": "I don't have an age like a person does: I'm a program, and the films I know go up "
           "to 2014.",
    "maker": "People wrote me as the example application of PUMA, a framework for running "
             "programs as services; I'm a program that suggests films, not a person.",
    "home": "I'm a program running on a server, so I don't live anywhere.",
    "feelings": "I'm a program, so I don't have feelings, but I can still look for a film "
                "you'll enjoy.",
    "watching": "I don't watch films myself (I'm a program), but I know about 17,000 of them.",
}


def self_topic(words: Sequence[str]) -> str | None:
    """The topic (a key of ``SELF_ANSWERS``) of a question ``words`` (folded) put to the bot
    about itself, or None."""
    said = " ".join(words)
    return next((topic for topic, found in _TOPICS if found.search(said)), None)
