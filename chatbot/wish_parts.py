"""Part of a wish already taken, given up in everyday words: "scrap the war part", "skip the
action element", "scratch the family bit", "not horror after all". Pure; no IO.

"the war part" names a wish, never the film *The War*, and "skip"/"scratch" before it give
the wish up (as "drop" does, ``chatbot.scope.removal_mask``) rather than refuse it; "not X
after all" and "I changed my mind about X" take back X said before. The text is spelt as the plain removal before it is
understood. Example::

    given_up_parts("scrap the war part", lambda w: w == "war")   # 'scrap war'
    given_up_parts("not horror after all", lambda w: True)       # 'drop horror'
    given_up_parts("changed my mind about the 90s", lambda w: True)   # 'forget the 90s'
"""

from __future__ import annotations

import re
from collections.abc import Callable

_VERB = (r"drop|remove|forget(?:\s+about)?|ditch|scrap|nix|lose|never\s*mind|get\s+rid\s+of|take\s+out|"
         r"no\s+need\s+for|leave\s+out|skip|scratch|cancel|undo|strike|bin|toss")
_PLAIN = frozenset("skip scratch cancel undo strike bin toss".split())  # said as "drop"
_PART = re.compile(
    rf"\b(?P<verb>{_VERB})\s+(?:the|that|this|my|our)\s+(?P<wish>[\w' -]{{2,30}}?)\s+"
    r"(?P<noun>part|parts|bit|bits|thing|element|side|aspect|angle|idea|requirement|stuff|piece|"
    r"criterion|filter|wish|preference|pref)\b", re.I)
# "I changed my mind about the 90s (part)": that wish taken back
_MIND = re.compile(r"(?:\bi(?:'ve|\s+have)?\s+)?\b(?:changed|change|changing)\s+my\s+mind\s+(?:about|on)\s+(?:the\s+|that\s+)?"
                   r"(?P<wish>[\w' -]{2,30}?)(?:\s+(?:part|bit|thing|idea|stuff))?"
                   r"(?=\s*(?:[,.;!?]|$|\bbut\b|\band\b|\bafter\b))", re.I)
_AFTER_ALL = re.compile(r"\b(?:not|no)\s+(?P<wish>[\w' -]{2,30}?)\s+after\s+all\b", re.I)


def given_up_parts(text: str, is_wish: Callable[[str], bool]) -> str:
    """``text`` with each part of a wish given up spelt as a plain removal ("drop <wish>"),
    where ``is_wish`` (folded words) says the words are a wish; else unchanged."""
    def part(match: re.Match[str]) -> str:
        if not is_wish(match["wish"].lower()):
            return match.group(0)
        verb = "drop" if match["verb"].lower() in _PLAIN else match["verb"]
        return f"{verb} {match['wish']}"

    def after_all(match: re.Match[str]) -> str:
        return f"drop {match['wish']}" if is_wish(match["wish"].lower()) else match.group(0)

    text = _MIND.sub(lambda m: f"forget the {m['wish']}" if is_wish(m["wish"].lower()) else m.group(0), text)
    return _AFTER_ALL.sub(after_all, _PART.sub(part, text))
