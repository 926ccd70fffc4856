"""Years, ages and ratings as people say or dictate them, written the way the readers of
dates, ages and ratings expect. Pure; no IO.

* **years**: "nineteen ninety five" -> "1995", "twenty ten" -> "2010", "nineteen oh five" ->
  "1905", "two thousand and three" -> "2003", "nineteen eighties" -> "1980s", "nineteen
  seventy something" -> "1970s"; two-digit
  numbers ("ninety five") become digits too ("95");
* **ages**: "seven year old" -> "7 year old", "my 4yo" -> "my 4 year old", "he's nine" ->
  "he's 9", "her sixth birthday" -> "her 6 year old birthday";
* **ratings**: dictated letters "p g thirteen", "n c seventeen", "p.g. 13" -> "pg 13", "nc 17";
  heard ones too: "pee gee" -> "pg", "rated are" -> "rated r";
* **children's ages**: "my kid is seven", "the kids are nine and eleven" -> "... 9 and 11".

Number libraries (word2number and the like) add the parts up ("nineteen ninety five" is 114),
and a year said in two halves is the common spoken form, so the halves are read here.
Example::

    spell_spoken("show me something from nineteen ninety five")  # '... from 1995'
    spell_spoken("rated p g thirteen")                           # 'rated pg 13'
    spell_spoken("for my 4yo")                                   # 'for my 4 year old'
"""

from __future__ import annotations

import functools
import re

UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
DECADES = {f"{word[:-1]}ies": value for word, value in TENS.items()}  # "eighties"
_CENTURIES = {"eighteen": 18, "nineteen": 19, "twenty": 20}

_UNIT = "|".join(UNITS)
_TEEN = "|".join(TEENS)
_TEN = "|".join(TENS)
_DECADE = "|".join(DECADES)
_SEP = r"[\s-]+"
_TWO_DIGITS = rf"(?:(?:{_TEN})(?:{_SEP}(?:{_UNIT}))?|{_TEEN})"
_CENTURY_YEAR = re.compile(
    rf"\b(?P<century>eighteen|nineteen|twenty){_SEP}(?:(?P<decade>{_DECADE})\b|"
    rf"(?P<oh>oh|o|zero){_SEP}(?P<unit>{_UNIT})\b|(?P<rest>{_TWO_DIGITS})\b)", re.I)
# "nineteen seventy something", "1970-something", "nineteen eighty odd": that decade
_SOME_DECADE = re.compile(
    rf"\b(?:(?P<century>eighteen|nineteen|twenty){_SEP}(?P<tens>{_TEN})|(?P<digits>1[89][1-9]0|20[0-2]0))"
    rf"{_SEP}(?:something|odd|ish)\b", re.I)
_THOUSANDS = re.compile(
    rf"\btwo{_SEP}thousand(?:{_SEP}(?:and{_SEP})?(?P<rest>{_TWO_DIGITS}|{_UNIT}))?\b", re.I)
_PAIR = re.compile(rf"\b(?P<tens>{_TEN}){_SEP}(?P<unit>{_UNIT})\b", re.I)
_AGE_WORD = re.compile(
    rf"\b(?P<number>{_UNIT}|{_TEEN})(?P<unit>{_SEP}(?:years?|yrs?){_SEP}olds?\b|"
    rf"{_SEP}(?:yo|y/o)\b)", re.I)
_AGE_AFTER = re.compile(
    rf"\b(?P<verb>he'?s|she'?s|(?:he|she|who) is|aged?|turns|turned|turning)\s+"
    rf"(?P<number>{_UNIT}|{_TEEN})\b(?!\s+(?:of|more|other|films?|movies?))", re.I)
# "my kid is seven", "the kids are nine and eleven", "my daughter, she's twelve"
_CHILD_WORDS = ("kids?|sons?|daughters?|boys?|girls?|child|children|twins|nephews?|nieces?|"
                "grandsons?|granddaughters?|grandkids|grandchildren|brothers?|sisters?|bro|sis|"
                "little ones|youngest|oldest|eldest")
_CHILD_AGES = re.compile(
    rf"\b(?P<lead>(?:{_CHILD_WORDS})(?:\s*,)?(?:\s+(?:are|is|aged?|both|just|now|turned|"
    rf"turning|they'?re|they are|he'?s|she'?s|re|s|there|their|there'?re))*\s+)"
    rf"(?P<numbers>(?:{_UNIT}|{_TEEN})\b(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)(?:{_UNIT}|{_TEEN})\b)*)"
    rf"(?!\s+(?:of|more|other|films?|movies?|times?))", re.I)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
             "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16}
_BIRTHDAY_WORD = r"(?:birthday|b-?day)\b"  # "her 10th bday"
_BIRTHDAY = re.compile(rf"\b(?P<age>\d{{1,2}})(?:st|nd|rd|th)?\s+(?={_BIRTHDAY_WORD})|"
                       rf"\b(?P<word>{'|'.join(_ORDINALS)})\s+(?={_BIRTHDAY_WORD})", re.I)
_YO = re.compile(r"\b(?P<age>\d{1,2})\s?(?:yo|y/o|y\.o\.?|yr old|yrs old)(?=\W|$)", re.I)
_LETTERS = (
    (re.compile(r"\bp\.?\s*g\.?(?=[\s,.!?-]|$)(?:[\s-]*(?:thirteen|13)\b)?", re.I), "pg"),
    (re.compile(r"\bn\.?\s*c\.?(?=[\s,.!?-]|$)(?:[\s-]*(?:seventeen|17)\b)?", re.I), "nc"),
)
# ratings said aloud and written as heard: "pee gee", "en see seventeen", "rated are"
_HEARD = (
    (re.compile(r"\bpee[\s-]*gee\b", re.I), "pg"),
    (re.compile(r"\ben[\s-]*(?:see|cee)\b(?=[\s-]*(?:seventeen|17)\b)", re.I), "nc"),
    (re.compile(r"\b(?P<cue>rated|rating|rate)\s+(?:are|arr|ar)\b", re.I), r"\g<cue> r"),
    (re.compile(r"\b(?P<cue>rated|rating|rate)\s+(?:gee|jee)\b", re.I), r"\g<cue> g"),
    # "are rated is fine", "um are rated please": the letter said first, alone in its clause
    # (not "films that are rated PG", "they are rated highly")
    (re.compile(r"(?P<lead>(?:^|[,.;!?:]|\b(?:um|uh|er|hm|hmm|ok|okay|so|an|yes|yeah|just|maybe|oh)\b)"
                r"\s*)(?:are|arr)[\s-]+rated\b(?=\s*(?:$|[,.;!?]|is\b|'?s\b|works|will|"
                r"would|please|pls|movies?|films?|ones?|only|then|thanks|ok|fine|stuff|too)\b|\s*$)",
                re.I), r"\g<lead>r rated"),
)
_RATING_NUMBER = re.compile(r"\b(?P<letters>pg|nc)[\s-]*(?P<number>thirteen|seventeen|13|17)\b",
                            re.I)


# dictation's homophones of a count of children: "my too sons", "to daughters"
_HEARD_TWO = re.compile(rf"\b(?:too|to)\s+(?=(?:{_CHILD_WORDS})\b)", re.I)


def spell_spoken(text: str) -> str:
    """``text`` with spoken years, ages and ratings in digits ("nineteen ninety five" ->
    "1995", "p g thirteen" -> "pg 13", "4yo" -> "4 year old"); other words unchanged."""
    text = _HEARD_TWO.sub("two ", text)
    text = _SOME_DECADE.sub(lambda m: f"{m['digits'] or _CENTURIES[m['century'].lower()] * 100 + TENS[m['tens'].lower()]}s",
                            text)
    text = _CENTURY_YEAR.sub(_century_year, text)
    text = _THOUSANDS.sub(lambda m: str(2000 + _two_digits(m["rest"] or "")), text)
    text = _AGE_WORD.sub(lambda m: f"{_number(m['number'])}{m['unit']}", text)
    text = _CHILD_AGES.sub(lambda m: m["lead"] + re.sub(
        rf"\b(?:{_UNIT}|{_TEEN})\b", lambda w: str(_number(w.group(0))), m["numbers"]), text)
    text = _AGE_AFTER.sub(lambda m: f"{m['verb']} {_number(m['number'])}", text)
    text = _BIRTHDAY.sub(lambda m: f"{m['age'] or _ORDINALS[m['word'].lower()]} year old ", text)
    text = _YO.sub(lambda m: f"{m['age']} year old", text)
    text = _PAIR.sub(lambda m: str(TENS[m["tens"].lower()] + UNITS[m["unit"].lower()]), text)
    return _spell_ratings(text)


def _spell_ratings(text: str) -> str:
    for heard, written in _HEARD:
        text = heard.sub(written, text)
    for pattern, letters in _LETTERS:
        text = pattern.sub(functools.partial(_rating, letters=letters), text)
    return _RATING_NUMBER.sub(
        lambda m: f"{m['letters'].lower()}-{13 if m['number'] in ('thirteen', '13') else 17}", text)


def _rating(said: re.Match[str], letters: str) -> str:
    """"p g thirteen" -> "pg-13"; "p g" -> "pg"."""
    number = re.search(r"(thirteen|seventeen|13|17)\b", said.group(0), re.I)
    return f"{letters}-{'13' if letters == 'pg' else '17'}" if number else letters


def _century_year(match: re.Match[str]) -> str:
    century = _CENTURIES[match["century"].lower()] * 100
    if match["decade"]:
        return f"{century + DECADES[match['decade'].lower()]}s"
    if match["oh"]:
        return str(century + UNITS[match["unit"].lower()])
    return str(century + _two_digits(match["rest"]))


def _two_digits(said: str) -> int:
    """"ninety five" -> 95, "twelve" -> 12, "three" -> 3, "" -> 0."""
    words = [w.lower() for w in re.split(_SEP, said.strip()) if w]
    return sum(TENS.get(w, 0) + TEENS.get(w, 0) + UNITS.get(w, 0) for w in words)


def _number(word: str) -> int:
    return UNITS.get(word.lower()) or TEENS[word.lower()]
