"""Numbers said as figures, never as films: "lol 9%?? no thanks", "2 hrs? nah", "169 min is
a lot", "1.5 stars??", "a 6/10 at best". The user quotes a score or a length (often the
bot's own, read back in surprise), and a film titled by that number (*9*, *21*, *300*) is
not what they asked for. Pure; no IO. Example::

    figure_numbers("lol 9%?? no thanks")                          # {'9'}
    without_quoted_scores("lol 9%?? no thanks", None, known)       # 'lol , no thanks'
    without_figure_titles({"wanted_title": "9"}, "lol 9%??")      # {'wanted_title': None}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# a number followed by a unit of score or length, or with a decimal point: a figure
_UNITS = (r"%|percent\b|per\s+cent\b|pc\b|/\s*\d+|out\s+of\s+\d+|stars?\b|points?\b|"
          r"h\b|hrs?\b|hours?\b|mins?\b|minutes?\b|m\b|secs?\b|seconds?\b|votes?\b|reviews?\b|"
          r"years?\s+old\b|yrs?\s+old\b|yo\b|y/o\b")
_FIGURE = re.compile(rf"(?<![\w.])(?P<number>\d+)(?:\.(?P<decimal>\d+))?\s*(?={_UNITS})", re.IGNORECASE)
_DECIMAL = re.compile(r"(?<![\w.])(?P<number>\d+)\.(?P<decimal>\d+)(?![\w.])")
# a number standing alone with a question or exclamation straight after it and nothing asking
# for a film before it ("9?? no thanks"): a figure read back, unless it is asked for as a film
_ASKING = re.compile(r"\b(?:how|what)\s+about\b|\b(?:do|have)\s+you\s+(?:have|got)\b|\bwatch\b|"
                     r"\b(?:please|pls|plz)\b|\bwant\b|\bcan\s+(?:we|i)\b|\binstead\b|\bsee\b",
                     re.IGNORECASE)
# a score: a share, a mark out of some number, stars or points; read back, it is no wish at all
_SCORE = re.compile(r"(?<![\w.])(?:only\s+|just\s+|like\s+)?\d+(?:\.\d+)?\s*(?:%|percent\b|per\s+cent\b|"
                    r"/\s*\d+\b|out\s+of\s+\d+\b|stars?\b|points?\b)[\s?!]*", re.IGNORECASE)
_BARE = re.compile(r"(?<![\w.%/:-])(?P<number>\d{1,3})\s*[?!]+")
# a bare number read back opens its clause, maybe after a sound of surprise: "lol 9??", "wait,
# 12?!"; after other words it ends a title ("die hard 2?") or a rating ("pg 13?")
_OPENS = re.compile(r"(?:^|[,;!?(]|\b(?:lol|haha|lmao|omg|wow|wait|hmm|um|umm|only|just|like|what|"
                    r"seriously|really|ugh|meh))\W*$", re.IGNORECASE)
_TITLE_KEYS = ("wanted_title", "asked_title", "title", "age_title", "catalogue_title")
_TITLE_LISTS = ("titles", "wanted_titles", "seen_titles")


def figure_numbers(text: str) -> set[str]:
    """The numbers ``text`` says as figures: with a unit of score or length ("9%", "2 hrs",
    "6/10", "3 stars") or a decimal point ("1.5"); both parts of a decimal count ("1.5": 1, 15)."""
    said = str(text or "")
    found: set[str] = set()
    for match in [*_FIGURE.finditer(said), *_DECIMAL.finditer(said)]:
        found.add(match["number"].lstrip("0") or "0")
        if match["decimal"]:
            found.add(match["number"] + match["decimal"])  # "1.5" is read "15" once cleaned
    return found


def _number_title(title: Any) -> str | None:
    """The number a title is when it is only that number (*9*, *21*, *300*), else None."""
    key = str(title or "").strip()
    return key.lstrip("0") or "0" if key.isdigit() else None


def _bare_unasked(number: str, text: str) -> bool:
    """``number`` said alone with "?" or "!" after it and no words that ask for a film: "lol
    9?? no thanks, something better" quotes a figure; "how about 9?" and "9 please" ask."""
    if _ASKING.search(text):
        return False
    return bool(re.search(rf"(?<![\w.]){re.escape(number)}\s*[?!]", text))


def without_figure_titles(understood: dict[str, Any], text: str) -> dict[str, Any]:
    """``understood`` without the films titled by a number ``text`` says as a figure: "9%"
    names no *9*; a number asked for as a film ("how about 9?", "can we watch 21") stays."""
    said = str(text or "")
    figures = figure_numbers(said)

    def figure(title: Any) -> bool:
        number = _number_title(title)
        return number is not None and (number in figures or _bare_unasked(number, said))

    for key in _TITLE_KEYS:
        if figure(understood.get(key)):
            understood[key] = None
    for key in _TITLE_LISTS:
        values = understood.get(key)
        if isinstance(values, list) and any(figure(v) for v in values):
            understood[key] = [v for v in values if not figure(v)]
    return understood


def without_quoted_scores(text: str, expect: str | None, is_title: Callable[[str], bool]) -> str:
    """``text`` without the scores it quotes ("9%", "6/10", "1.5 stars") and, at a film shown
    (``expect`` None), without a short bare number read back with "?" or "!" that nothing asks
    for as a film ("lol 9?? no thanks"): what is left is the answer ("no thanks"). A score
    that is a whole title stays (*50/50*)."""
    said = _SCORE.sub(lambda m: m[0] if "/" in m[0] and is_title(m[0].strip(" ?!")) else ", ", text)
    if expect is None and not _ASKING.search(said):
        said = _BARE.sub(lambda m: ", " if _OPENS.search(m.string[: m.start()]) else m[0], said)
    # "100%" alone is an answer (yes); "9 out of 10??" alone, a figure read back in surprise
    return said if said.strip(" ,?!.") or "?" in text else text
