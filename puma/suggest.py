"""The closest of some names to a mistyped one, for errors that suggest what was meant
(difflib's ratio; nothing below CUTOFF). Example: `did_you_mean("polcy", ["policy", "db"])` ->
"; did you mean 'policy'?"."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

CUTOFF = 0.6  # difflib's similarity below which nothing is suggested


def closest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate most like `word`, if any is alike enough. `closest("--prot", ["--port"])` -> '--port'."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=CUTOFF)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """"; did you mean 'policy'?" for a name like one of `candidates`, else ""."""
    hint = closest(word, candidates)
    return f"; did you mean {hint!r}?" if hint else ""
