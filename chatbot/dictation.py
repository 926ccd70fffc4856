"""Punctuation said aloud, written as the mark it names. Pure; no IO.

Voice typing and firm British speech put the marks into words: "no horror, full stop",
"comedy period", "how long is it question mark", "new line". Read as words, "stop" is a
goodbye and "period" a genre (period pieces), so the marks are written back before anything
reads the words. "period" is a mark only where no film word follows it ("a period drama",
"period pieces" stay history). Example::

    spoken_marks("No horror full stop")             # 'No horror.'
    spoken_marks("comedy comma with jim carrey")    # 'comedy, with jim carrey'
    spoken_marks("a period drama")                  # 'a period drama'

A dictated message may also open by waking an assistant, with a false start on the way
("hey siri no wait hey chatbot I want ..."): ``without_wake_words`` drops that opening, so
that its "no" refuses nothing and waives no question.
"""

from __future__ import annotations

import re

from chatbot.dictated_edits import scratched, stated_mark

_MARKS = {"full stop": ".", "full-stop": ".", "fullstop": ".", "period": ".",
          "comma": ",", "question mark": "?", "exclamation mark": "!", "exclamation point": "!",
          "semicolon": ";", "semi colon": ";", "new line": ".", "newline": ".",
          "new paragraph": "."}
# after "period" these make it the genre word ("a period drama", "period films")
_FILM_WORDS = ("piece", "pieces", "drama", "dramas", "film", "films", "movie", "movies", "flick",
               "flicks", "costume", "costumes", "romance", "romances", "stuff", "thing", "things",
               "one", "ones", "setting", "settings", "of", "in", "when", "where", "that", "between")
# before "period" these make it a word ("the period", "that period")
_WORD_BEFORE = ("a", "an", "the", "that", "this", "any", "some", "of", "in", "time", "my", "your")
_MARK = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _MARKS), key=len, reverse=True)) + r")\b", re.I)
_LAST_WORD = re.compile(r"(\w+)\W*$")
_NEXT_WORD = re.compile(r"^\W*?(\w+)")
_CLAUSE_END = re.compile(r"[.,;:!?]|\b(?:full\s+stop|period|comma|question\s+mark)\b", re.I)
_SPACE_BEFORE_MARK = re.compile(r"\s+([.,;:!?])")
_MARK_RUN = re.compile(r"[.,;:!?](?:\s*[.,;:!?])+")
_ALWAYS = frozenset(("full stop", "full-stop", "fullstop", "question mark", "exclamation mark",
                     "exclamation point", "new line", "newline", "new paragraph"))


# Hesitation sounds dictation writes down ("something like uh an action movie", "umm, a comedy"):
# no word of a wish, a title or an answer, so none is read ("uh an action movie" was a film's title).
# "hmm" is not one of them: it says the user is thinking ("hmm let me think").
_FILLER = re.compile(r"(?<![\w'-])(?:u+h+m*|u+m+|e+r+m+|e+h+m+|e+r+)(?![\w'-])[,.]*\s*", re.I)


def without_fillers(text: str) -> str:
    """``text`` without hesitation sounds ("uh", "umm", "erm"); unchanged when nothing else is said.
    ``without_fillers("something like uh an action movie")`` is ``'something like an action movie'``."""
    kept = _FILLER.sub("", text).strip()
    return " ".join(kept.split()) if kept else text


def spoken_marks(text: str) -> str:
    """``text`` without hesitation sounds, each punctuation mark said in words written as the mark
    (see the module)."""
    text = without_fillers(text)
    if not _MARK.search(text):
        return text
    written = _MARK.sub(lambda m: _written(m, text), text)
    return scratched(_MARK_RUN.sub(_strongest, _SPACE_BEFORE_MARK.sub(r"\1", written)).strip())


def _strongest(run: re.Match[str]) -> str:
    """", ." -> ".": a run of marks (one said, one typed) is one mark, the sentence's end if any."""
    ends = [c for c in run[0] if c in ".!?"]
    return "?" if "?" in ends else ends[-1] if ends else run[0][0]


def _written(match: re.Match[str], text: str) -> str:
    said = " ".join(match[0].lower().split())
    before, after = _LAST_WORD.search(text[: match.start()]), _NEXT_WORD.match(text[match.end() :])
    last = before[1].lower() if before else ""
    following = after[1].lower() if after else ""
    if said == "question mark" and last:  # "so gross question mark she'd leave": a statement
        return stated_mark(_CLAUSE_END.split(text[: match.start()])[-1], bool(following))
    if said in _ALWAYS:
        return _MARKS[said] if last else match[0] if not following else ""
    if not last or last in _WORD_BEFORE or following in _FILM_WORDS:
        return match[0]  # "period" alone answers the genre question; "the period", "a period drama"
    rest = text[match.end() :].lstrip()
    if said == "period" and rest and rest[0] not in ".,;:!?" and not rest[0].isupper():
        return match[0]  # "the victorian period in england": a mark ends a sentence, or the text
    return _MARKS[said]


# an assistant woken by name: "hey siri", "ok google", "alexa", "hey chatbot"
_WAKE = (r"(?:(?:hey|hi|ok|okay|yo|oh)[\s,]+)?(?:siri|google|alexa|cortana|bixby|chat[\s-]?bot|"
         r"movie[\s-]?bot|bot|assistant)")
# a false start between or after wake words: "no wait", "sorry", "I mean", "um no"
_FALSE_START = r"(?:no[\s,]+wait|wait[\s,]+no|no\s+no|no|wait|sorry|oops|i\s+mean|um+|uh+|er+|hmm+)"
_WAKE_OPENING = re.compile(rf"^\s*(?:{_WAKE}[\s,.!?:;-]*(?:{_FALSE_START}[\s,.!?:;-]+)*)+", re.I)
_NAMED = re.compile(r"siri|google|alexa|cortana|bixby", re.I)


def without_wake_words(text: str) -> str:
    """``text`` less an opening that wakes an assistant, false starts and all ("hey siri no
    wait hey chatbot I want a comedy" -> "I want a comedy"); unchanged when nothing else is
    said or no assistant is named twice or by a name ("hey bot" alone is a greeting)."""
    found = _WAKE_OPENING.match(text)
    if not found or not text[found.end() :].strip():
        return text
    wakes = re.findall(_WAKE, found[0], re.I)
    if not _NAMED.search(found[0]) and len(wakes) < 2:
        return text
    return text[found.end() :].lstrip()
