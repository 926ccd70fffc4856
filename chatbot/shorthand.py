"""Texting shorthand and learners' phrasings, spelt out before the understanding reads them.

Pure string rewriting, no catalogue knowledge: "w/o jackie chan" is "without jackie chan"
(not "w" = "with"), "nothin 2 gory" is "nothing too gory", "8/10" is a verdict word, "from the
90 years" (a learner's "the nineties") is "from the 90s". Example::

    spell_shorthand("comedy w/o romance, nothin 2 gory")
    # 'comedy without romance, nothing too gory'
    spell_shorthand("8/10 would watch again")
    # 'loved it would watch again'
    spell_shorthand("a thriller, 80s/90s")
    # 'a thriller, 80s or 90s'
"""

from __future__ import annotations

import re

_WITHOUT = re.compile(r"(?i)(?<![\w/])w/o(?![\w/])|(?<![\w/])w/out\b|(?<![\w/])wo/(?!\w)")
_WITH = re.compile(r"(?i)(?<![\w/])w/(?=\s*\w)")
# "2" for "too" before the words people qualify that way ("nothin 2 gory", "not 2 long")
_TOO = re.compile(r"(?i)(?<=[a-z] )2(?= (?:gory|scary|long|violent|sad|old|bloody|much|"
                  r"dark|intense|short|slow|graphic|creepy|heavy|new|boring)\b)")
# dropped final "g": "nothin", "somethin", "anythin"
_DROPPED_G = re.compile(r"(?i)\b(noth|someth|anyth|everyth)in\b(?!')")
# "from the 90 years", "the 80 years": a decade ("90 years old", "the last 20 years" are not)
_DECADE_YEARS = re.compile(
    r"(?i)(?<!last )(?<!past )(?<!next )(?<!first )\bthe ((?:19|20)?[2-9]0) years\b(?! old| ago)")
# a score out of ten (or five) read as the verdict it gives: "8/10", "7 out of 10", "3/5"
_SCORE = re.compile(r"(?i)(?<![\w./])(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*(10|5)\b(?![/.]?\d)")
_SCORE_WORDS = ((0.8, "loved it"), (0.5, "so so"), (0.0, "bad"))
# a choice written with a slash: "80s/90s", "comedy/romance", "pg/pg-13" (not a score, a date
# or "24/7": a side of digits alone stays), "and/or" is "or"; "n/a" is no choice ("not applicable")
_SLASHED_WORD = r"(?:'?\d0s|[a-z][\w'-]*)"
_SLASH_CHOICE = re.compile(rf"(?i)(?<![\w'])(?!n/a\b)({_SLASHED_WORD})/(?={_SLASHED_WORD}(?!\w))")


def spell_shorthand(text: str) -> str:
    """``text`` with texting shorthand and scores spelt out as plain words (see the module)."""
    text = _WITHOUT.sub("without", text)
    text = _WITH.sub("with ", text)
    text = _TOO.sub("too", text)
    text = _DROPPED_G.sub(lambda m: m.group(1) + "ing", text)
    text = _DECADE_YEARS.sub(lambda m: f"the {m.group(1)}s", text)
    text = re.sub(r"(?i)\band/or\b", "or", _SCORE.sub(_score_word, text))
    return _SLASH_CHOICE.sub(lambda m: f"{m.group(1)} or ", text)


def _score_word(match: re.Match[str]) -> str:
    """"8/10" -> "loved it", "5/10" -> "so so", "2/10" -> "bad" (a score above its scale is kept)."""
    score, scale = float(match.group(1)), float(match.group(2))
    if score > scale:
        return match.group(0)
    return next(word for floor, word in _SCORE_WORDS if score / scale >= floor)
