"""Year bounds said roughly, and a new bound correcting the years asked for before.

"nothing made after about 1975", "from around 1990 or later", "before roughly 1980": the
"about" softens the bound's year, and the phrase is still a bound (1975 or earlier), never
the window "1973 to 1977" that "around 1975" alone is. And "nothing before 2003 actually"
after "the early 2000s" is a new bound: the range asked for before goes, as a new year
range replaces the old one (the README's rule) where it corrects it. Pure; no IO. Example::

    bounded_around("nothing after about 1975".split(), 3, {"after"}, {"before"})  # True
    bounded_around("around 1975".split(), 1, {"after"}, {"before"})               # False
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

AROUND = frozenset("around about circa approximately roughly ish c ca".split())
_FILLERS = frozenset("the year yr like um uh erm say maybe".split())
# "1990 or later", "1975 and earlier", "1980 onwards": a bound said after the year
_AFTER_YEAR = frozenset("later after newer earlier before older onwards onward on".split())


def bounded_around(tokens: Sequence[str], i: int, after: Collection[str], before: Collection[str]) -> bool:
    """The year at ``i``, softened by "about" / "ish", is a bound's: a bound word before it
    ("after about 1975", "since around 2005") or after it ("around 1990 or later")."""
    j = i
    while j and (tokens[j - 1] in AROUND or tokens[j - 1] in _FILLERS):
        j -= 1
    if j and (tokens[j - 1] in after or tokens[j - 1] in before or tokens[j - 1] == "than"):
        return True
    following = [t for t in tokens[i + 1 : i + 4] if t not in ("ish", "or", "and")]
    return bool(following) and following[0] in _AFTER_YEAR


def without_around(tokens: Sequence[str], i: int) -> list[str]:
    """``tokens`` with the softening words just before ``i`` (and an "ish" after) blanked, so
    the bound reads as if said plainly; positions are kept."""
    out = list(tokens)
    j = i
    while j and (out[j - 1] in AROUND or out[j - 1] in _FILLERS):
        if out[j - 1] in AROUND:
            out[j - 1] = "the"  # a filler the bound reader skips
        j -= 1
    if i + 1 < len(out) and out[i + 1] == "ish":
        out[i + 1] = ","
    out[i] = out[i].removesuffix("ish")
    return out


def corrected_years(wishes: list[dict[str, Any]], exclusion: dict[str, Any],
                    said_now: Sequence[dict[str, Any]], correcting: bool) -> list[dict[str, Any]]:
    """A year range refused open at one end ("nothing before 2003") takes out a year range
    asked for on an earlier turn (not one of ``said_now``: "a 90s film, nothing before 1995")
    when it corrects it ("actually") or would leave it under ``_FEW_YEARS`` years ("the early
    2000s" then "nothing before 2003" is 2003 or later, not 2003 alone). Those taken out are
    returned, and gone from ``wishes``; "the 90s" then "nothing after 1997" stays 1990-1997."""
    if exclusion.get("slot") != "year" or "range" not in exclusion or None not in exclusion["range"]:
        return []
    gone = [w for w in wishes if w["slot"] == "year" and not w["exclude"] and "range" in w
            and not any(w is s for s in said_now)
            and (correcting or _left(w["range"], exclusion["range"]) < _FEW_YEARS)]
    for wish in gone:
        wishes.remove(wish)
    return gone


_FEW_YEARS = 3


def _left(wanted: Sequence[int | None], refused: Sequence[int | None]) -> float:
    """How many years of ``wanted`` are left outside ``refused`` (open ends count as many)."""
    first, last = wanted
    low, high = refused
    if low is None and high is not None:  # refused up to ``high``
        first = high + 1 if first is None else max(first, high + 1)
    elif low is not None:  # refused from ``low`` on
        last = low - 1 if last is None else min(last, low - 1)
    if first is None or last is None:
        return float("inf")
    return last - first + 1
