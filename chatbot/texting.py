"""Texting shorthand where it stands for a word: "kids r here" (are), "ur pick" (your), "comedy
n romance" (and), "k so" (ok), "good tho" (though). Pure string rewriting; no IO.

A one-letter word can also be a value: "R" is a rating, "no R" refuses it, "n" alone answers
no. So "r" is "are" only where a verb goes: after a subject ("kids r", "we r", "u r") or before
words that only follow a verb ("r here", "r watching", "r young"); "anything but r", "r is fine"
and "r rated" keep the rating. "n" is "and" only between two words, "k" is "ok" only opening a
message with more after it. Example::

    spell_texting("anything but R, kids r here")   # 'anything but R, kids are here'
    spell_texting("comedy n romance pls")          # 'comedy and romance pls'
"""

from __future__ import annotations

import re

# words that take "are" after them: people and pronouns, plural nouns of viewers
_SUBJECTS = (r"we|they|you|u|these|those|there|who|what|how|where|why|when|both|all|kids|"
             r"children|boys|girls|parents|friends|folks|guys|grandparents|twins|teens|"
             r"teenagers|daughters|sons|nephews|nieces|students|ppl|people|mine|ours|both\s+of\s+us")
# words that follow "are" and never a rating: places, states, "-ing" forms
_AFTER_VERB = (r"here|home|around|over|asleep|awake|watching|coming|staying|visiting|sleeping|"
               r"joining|gonna|going|young|little|small|tiny|scared|sensitive|easily|still|"
               r"u|you|we|they|there|so|very|really|too|both|all|in\s+the|with\s+(?:me|us)")
_ARE_AFTER_SUBJECT = re.compile(rf"(?i)(?<![\w'])({_SUBJECTS})\s+r(?![\w'-])")
_ARE_BEFORE = re.compile(rf"(?<![\w'-])r\s+(?=(?:{_AFTER_VERB})\b)")
_YOUR = re.compile(r"(?i)(?<![\w'])ur(?![\w'])")
_YOU = re.compile(r"(?<![\w'.-])u(?![\w'.-])")  # lower case: "U" may be a title's letter
_AND = re.compile(r"(?i)(?<=[a-z0-9] )n(?= [a-z0-9])")  # "comedy n romance", "rock n roll"
_OK = re.compile(r"(?i)^\s*k(?:k)?\b(?=[\s,.!]+\w)")
_THOUGH = re.compile(r"(?i)(?<![\w'])tho(?![\w'])")


def spell_texting(text: str) -> str:
    """``text`` with texting shorthand spelt out where it stands for a word (see the module)."""
    text = _ARE_AFTER_SUBJECT.sub(lambda m: f"{m.group(1)} are", text)
    text = _ARE_BEFORE.sub("are ", text)
    text = _YOUR.sub("your", text)
    text = _YOU.sub("you", text)
    text = _AND.sub("and", text)
    text = _OK.sub("ok", text)
    return _THOUGH.sub("though", text)
