"""A film named in a frame of liking or of proposing: "big fan of heat", "obsessed with drive",
"what about moon", "how about up". In such a frame a catalogue title is "something like" it,
even a title that is an everyday word; outside one ("i want to drive") the word stays a word.

The frame must hold the whole rest of its sentence (fillers aside), so "how about a comedy
with heat in it" or "a fan of horror" names no film; a person's name ("how about nolan") or a
wish of its own ("what about the 90s", "how about horror") is left to the other readings.
Pure; no IO. Example::

    as_liked_title("huge fan of drive", lambda s: "Drive" if s == "drive" else None,
                   lambda s: False)                  # 'something like drive'
"""

from __future__ import annotations

import re
from collections.abc import Callable

# "(a) big/huge/massive fan of", "obsessed with", "what/how about": the frames
_FRAME = re.compile(
    r"\b(?P<frame>(?:(?:a\s+)?(?:big|huge|massive|giant|major|biggest|real)\s+fan\s+of"
    r"|(?:(?:so|really|totally|kinda|lowkey)\s+)?obsessed\s+with"
    r"|what\s+about|how\s+about))\s+"
    r"(?P<said>[^.!?,;:]+?)"
    r"(?P<tail>\s+(?:please|pls|plz|maybe|then|tho|though|lol|haha|honestly|instead|"
    r"for\s+real|fr|tbh|ngl|to\s+be\s+honest|not\s+gonna\s+lie|lately|these\s+days|right\s+now|"
    r"man|dude|again)\b)*\s*(?=[.!?,;:]|$)",
    re.IGNORECASE)
_ASKED_AFTER = re.compile(r"^\s*(?:is|was|does|did|it|that one)\b", re.IGNORECASE)


def as_liked_title(text: str, exact_title: Callable[[str], str | None],
                   other_reading: Callable[[str], bool], film_shown: bool = False) -> str:
    """``text`` with each catalogue title in a frame said as "something like <title>";
    ``exact_title`` gives the title ``said`` is (or None), ``other_reading`` tells words that
    are a person or a wish of their own ("nolan", "horror", "the 90s"). While a film is shown
    ("film_shown"), "what about fargo" asks for Fargo itself, and "what about zodiac, is that
    one in your list?" asks whether it is there, in any stage: both left as they are."""
    def rewrite(match: re.Match[str]) -> str:
        said = match["said"].strip()
        proposing = match["frame"].lower().endswith("about")
        if proposing and (film_shown or "?" in text[match.end() :].lstrip("?!. ")):
            return match.group(0)
        if _ASKED_AFTER.match(said) or other_reading(said) or exact_title(said) is None:
            return match.group(0)
        tail = match["tail"] or ""  # "heat tbh": the filler after a comma, out of the title
        return f"something like {said}" + (f",{tail}" if tail else "")
    return _FRAME.sub(rewrite, text)
