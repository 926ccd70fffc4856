"""Rhetorical questions that state an answer: "yes ive seen it, who hasn't" says "of course"
(everyone has), and asks nothing, least of all who is in the film; a question announced ("wait
I had a question is it too scary") is the question itself. Pure; no IO. Example::

    without_rhetoric("yes ive seen pretty woman, who hasnt")
    # 'yes ive seen pretty woman, of course'
"""

from __future__ import annotations

import re

# "who hasn't", "who doesn't love it", "who has not seen it lol": a "who" and a denied verb,
# alone in its clause (a real question about the cast never denies: "who is not in it?" is rare)
_DENIED = r"(?:hasn'?t|has\s+not|haven'?t|doesn'?t|does\s+not|didn'?t|did\s+not|wouldn'?t|would\s+not)"
_OBJECT = r"(?:\s+(?:seen|watched|heard\s+of|loved?|liked?|enjoyed?)(?:\s+(?:it|that|this|that\s+one|this\s+one))?)?"
_WHO_HASNT = re.compile(
    rf"(?:(?<=^)|(?<=[,.;!?]\s)|(?<=[,.;!?]))\s*who\s+{_DENIED}{_OBJECT}(?:\s+(?:lol|lmao|haha|tbh|really))?"
    r"\s*[?!.]*\s*(?=$|[,.;!])", re.IGNORECASE)


def without_rhetoric(text: str) -> str:
    """``text`` with each rhetorical "who hasn't (seen it)" said as the "of course" it means."""
    return _WHO_HASNT.sub(" of course", text).strip()


# "I had a question", "quick question:", "one more question": the announcement, then the question
_ANNOUNCED = re.compile(
    r"\b(?:(?:i|we)\s+(?:had|have|got|still\s+have)\s+(?:a|one|another)\s+(?:more\s+|quick\s+|last\s+)?"
    r"question(?:\s+for\s+you)?|(?:one\s+more|quick|another|last)\s+question)\b\s*[:,.!-]*\s*",
    re.IGNORECASE)


def without_announcement(text: str) -> str:
    """``text`` with "I had a question" before a question made a clause break: "wait I had a
    question is it too scary" -> "wait, is it too scary"."""
    found = _ANNOUNCED.search(text)
    if found is None or not text[found.end():].strip():
        return text  # "I have a question": nothing asked yet
    return (text[: found.start()].rstrip(" ,") + ", " + text[found.end():]).strip(" ,")
