"""The open question echoed before its answer: "seen it?? nope never", "have i seen it? no",
"do i like it? yeah", "another one? sure, but no war films". The echo asks nothing (the user
repeats the bot's question while thinking), so it is dropped and the answer read alone. Pure;
no IO. Example::

    without_echo("seen it?? nope never", "watched")   # 'nope never'
"""

from __future__ import annotations

import re

_IT = r"(?:it|this|that|this\s+one|that\s+one|the\s+movie|the\s+film|this\s+movie|that\s+movie)"
_ASKER = r"(?:have|did|do|would|will|am|if)?\s*(?:i|we|you)?\s*"
# Each stage's question, as people echo it: the verb and "it", with or without "have i"
_ECHOES = {
    "watched": rf"{_ASKER}(?:ever\s+)?(?:seen|watched|saw|see|watch)\s+{_IT}(?:\s+before)?",
    "like": rf"{_ASKER}(?:like|love|want|fancy|dig)\s+{_IT}",
    "another": rf"(?:{_ASKER}(?:want\s+)?)?(?:another|one\s+more|a\s+new)(?:\s+(?:one|rec|recommendation|film|movie))?",
}
_FILLER = r"(?:(?:hmm+|um+|uh+|oh|well|wait|lol|haha)[\s,.]*)*"


def without_echo(text: str, stage: str) -> str:
    """``text`` without a leading echo of the question open at ``stage``, when an answer
    follows it ("seen it? no" -> "no"); else ``text`` unchanged (a lone "seen it?" is
    left to be asked about)."""
    echo = _ECHOES.get(stage)
    if echo is None:
        return text
    found = re.match(rf"\s*{_FILLER}{echo}\s*\?+\s*", text, re.IGNORECASE)
    if found is None or not re.search(r"\w", text[found.end():]):
        return text
    return text[found.end():].strip()
