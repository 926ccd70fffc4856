"""A length quoted back with surprise beside a complaint of length ("169 min?? way too long",
"way too long, 2 hours 40?!") is the complaint, never a question: the quoted figure and its
marks are taken out, so "too long" reads as a wish clearly shorter than the film shown
(``chatbot.constraints.clearly_shorter``), with no "I can't tell that" and no bound at the
figure itself. Pure; no IO. Example::

    without_quoted_lengths("omg 169 min?? way too long")   # 'omg  way too long'
"""

from __future__ import annotations

import re

_LENGTH = (r"\b\d+(?:\.\d+)?\s*(?:h|hr|hrs|hour|hours)?\s*(?:\d+\s*)?"
           r"(?:m|min|mins|minute|minutes)?")
_COMPLAINT = re.compile(r"\b(?:too|way|super|really) (?:long|lengthy|much)\b|\btakes forever\b",
                        re.IGNORECASE)
_QUOTED = re.compile(_LENGTH + r"\s*[?!]*\?[?!]*", re.IGNORECASE)


def without_quoted_lengths(text: str) -> str:
    """``text`` without a length asked back ("169 min??") when it also complains of length."""
    if not _COMPLAINT.search(text):
        return text
    return _QUOTED.sub(lambda m: " " if _opens_clause(text[: m.start()]) else m.group(0), text)


def _opens_clause(before: str) -> bool:
    """Only exclamations open the clause before the length ("omg 169 min??", "wait, 3 hours?!"):
    "anything 90 min?" or "under 2 hours?" asks for a bound, no length quoted back."""
    clause = re.split(r"[.,;:!?]", before)[-1]
    return all(w in _EXCLAMATIONS for w in re.findall(r"[a-z']+", clause.lower()))


_EXCLAMATIONS = frozenset("""omg wait ugh what whoa woah wow uh um hmm seriously bruh dude man
    lol jeez geez yikes oof erm er nah no yeah its it's it is thats that's this ones is""".split())
