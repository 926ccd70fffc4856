"""Dictation's edits and marks inside a sentence: "scratch carpenter comma spielberg then" (after
the marks are written: "scratch carpenter, spielberg then") replaces Carpenter by Spielberg, and
"that one is super gross question mark she would leave the room" is a statement whose dictated
"question mark" is a mark between two sentences, not a question asked.

Used by ``chatbot.dictation.spoken_marks``; pure, no IO. Example::

    scratched("okay scratch carpenter, spielberg then")   # 'okay not carpenter, spielberg instead'
    stated_mark("that one is super gross", True)          # '.'
"""

from __future__ import annotations

import re

# "scratch X, Y", "cross out X, make it Y": X struck out, Y said in its place
_SCRATCH = re.compile(
    r"\b(?:scratch|cross\s+out|cross\s+off|strike)\s+(?!that\b|this\b|it\b|the\s+last\b)"
    r"(?P<old>[^,.;!?]+?)\s*,\s*(?:(?:make\s+it|go\s+with|do|use|and|put)\s+)?"
    r"(?P<new>[^,.;!?]+?)(?:\s+(?:then|instead|please|pls|plz))*\s*(?=[.;!?]|$)",
    re.IGNORECASE)
# a clause that states: a subject and its verb first ("that one is ...", "she would ...")
_STATEMENT = re.compile(
    r"^(?:(?:oh|god|gosh|no|nah|nope|yeah|yes|ok|okay|well|hmm+|ugh|man|wow|ew+|so)\b[\s,]*)*"
    r"(?:that(?:\s+one)?|this(?:\s+one)?|it|she|he|they|we|i|my\s+\w+|our\s+\w+|there)"
    r"(?:'s|'re|'m|'d|\s+(?:is|was|are|were|am|would|will|has|have|had|looks|seems|sounds|"
    r"feels|can't|cannot|won't|wouldn't|doesn't|don't|isn't|wasn't|really|just|totally|kinda))\b",
    re.IGNORECASE)


def scratched(text: str) -> str:
    """``text`` with each dictated "scratch X, Y" said as a refusal and its replacement."""
    return _SCRATCH.sub(lambda m: f"not {m['old'].strip()}, {m['new'].strip()} instead", text)


def stated_mark(clause: str, goes_on: bool) -> str:
    """The mark a dictated "question mark" after ``clause`` is: "." after a statement that the
    message goes on from ("super gross question mark she would leave"), else "?"."""
    return "." if goes_on and _STATEMENT.match(clause.strip()) else "?"
