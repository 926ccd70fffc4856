"""A film named alone, as a question or after "what about", while the chat goes on: "rocky?",
"what about locke", "and zoolander?". Pure; no IO.

The message names the film and nothing else, so it asks for that film, as "do you have
Rocky?" does: the film is proposed (or said to be the one on the table). It is never a
question about the film shown ("I can't tell that"), and the title's words are never a
person's name ("locke?" is the film *Locke*, not Sondra Locke). Example::

    understood = {"asked_title": "Locke", "question": [], "words": ["what", "about", "locke"], ...}
    named_alone(understood)["wanted_title"]    # 'Locke'
"""

from __future__ import annotations

import re
from typing import Any

from chatbot.text import fold

# words that may stand beside a title named alone without saying anything of their own
_BESIDE = frozenset("""what how about and or then instead maybe perhaps hmm hm um umm uh ok okay
    oh ooh so well the film movie one that this instead pls plz please though tho also too
    or maybe just""".split())
_YEAR = re.compile(r"\s*\(\d{4}\)$")


def named_alone(understood: dict[str, Any]) -> dict[str, Any]:
    """``understood`` asking for the film it names, when the message is that film alone."""
    asked = understood.get("asked_title")
    if not asked or understood.get("question") or understood.get("wanted_title") or understood.get("titles"):
        return understood
    title_words = fold(_YEAR.sub("", str(asked))).split()
    words = [w for w in understood.get("words") or () if w.isalnum() or "'" in w]
    rest = _without(words, title_words)
    if rest is None or set(rest) - _BESIDE:
        return understood
    return dict(understood, wanted_title=asked, people=[], unknown_person=None,
                catalogue=False, about_film=False)


def approved(understood: dict[str, Any], title: str | None) -> dict[str, Any]:
    """``understood`` taking the film ``title`` the message approves by name ("Layer Cake
    sounds good, how long is that one"): that film is proposed, its facts said with it."""
    if title is None or understood.get("wanted_title") or understood.get("titles"):
        return understood
    return dict(understood, wanted_title=title, picked_title=True, approval=False, verdict=None,
                intent="unknown", about_film=False)


def _without(words: list[str], title_words: list[str]) -> list[str] | None:
    """``words`` with the title's words taken out once, or None if they are not all there."""
    size = len(title_words)
    for start in range(len(words) - size + 1):
        if words[start : start + size] == title_words:
            return words[:start] + words[start + size :]
    return None
