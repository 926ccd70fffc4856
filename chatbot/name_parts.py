"""Words of a message that are part of a person's full name said in it: "tom cruise" holds
no film *The Cruise*, "is Ben Stiller in it?" no film *Ben*. Pure; no IO. Example::

    inside_name(["can", "we", "do", "tom", "cruise"], 4, 1, ["Tom Cruise"])   # True
    inside_name(["is", "cruise", "long"], 1, 1, ["Tom Cruise"])               # False
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.text import fold


def inside_name(words: Sequence[str], start: int, size: int, names: Sequence[str]) -> bool:
    """``words[start:start + size]`` lies within a full name of ``names`` written in ``words``."""
    folded = [fold(w) for w in words]
    for name in names:
        parts = fold(name).split()
        for at in range(max(0, start + size - len(parts)), min(start, len(folded) - len(parts)) + 1):
            if folded[at : at + len(parts)] == parts and len(parts) > size:
                return True
    return False
