"""A choice offered between values: "Gene Hackman and Morgan Freeman, either is fine",
"Meryl Streep, Julia Roberts, either one works", "horror and sci-fi, whichever". Pure; no IO.

Values listed with "and" (or commas) ask for all of them at once; a choice cue after the list
("either is fine", "one of them", "doesn't need both") makes it a choice, read as if it had been
said with "or" (``as_choice``), so the understanding's "or" rules apply: one wish of any of the
values. Example::

    as_choice("gene hackman and morgan freeman , either is fine".split())
    # ['gene', 'hackman', 'or', 'morgan', 'freeman', ',', 'either', 'is', 'fine']
"""

from __future__ import annotations

from collections.abc import Sequence

BOUNDARY = ","
MAX_LISTED_CLAUSES = 3  # "A, B, C, either is fine": at most this many clauses before the cue
MAX_CLAUSE_WORDS = 6  # a clause of the list names a value or two, no more
_CUES = (("either", "is"), ("either", "s"), ("either", "works"), ("either", "one"),
         ("either", "of"), ("either", "would"), ("either", "will"), ("either", "fine"),
         ("either", "ok"), ("take", "either"), ("one", "of", "them"), ("any", "of", "them"),
         ("one", "or", "the", "other"), ("whichever",), ("not", "need", "both"),
         ("not", "have", "to", "be", "both"), ("not", "both"), ("doesnt", "have", "to", "be", "both"),
         ("dont", "need", "both"), ("either", "way", "is"), ("any", "of", "those"))
_OPENING_FILLERS = frozenset(("hmm", "hm", "um", "uh", "oh", "well", "ok", "okay", BOUNDARY))
_DENIALS = frozenset("no not without never nothing except".split())


def offers_choice(tokens: Sequence[str]) -> bool:
    """Whether a choice cue is said ("either one is fine", "doesn't have to be both")."""
    return _cue_at(tokens) is not None


def widens(tokens: Sequence[str]) -> bool:
    """The message offers an alternative to what was said before: it opens with "or" ("or
    maybe Fred Astaire", "hmm, or Keanu") or says a choice cue ("either is good")."""
    opening = [t for t in tokens[:3] if t not in _OPENING_FILLERS]
    return opening[:1] == ["or"] or offers_choice(tokens)


def _cue_at(tokens: Sequence[str]) -> int | None:
    return next((i for i in range(len(tokens)) for c in _CUES if tuple(tokens[i : i + len(c)]) == c), None)


def as_choice(tokens: Sequence[str]) -> list[str]:
    """``tokens`` with the list before a choice cue joined by "or" instead of "and" or commas."""
    cue = _cue_at(tokens)
    if cue is None:
        return list(tokens)
    out = list(tokens)
    start = cue
    while start > 0 and out[start - 1] != BOUNDARY:
        start -= 1
    out[start:cue] = ["or" if t == "and" else t for t in out[start:cue]]  # "A and B either way"
    listed = 0
    while start > 0 and listed < MAX_LISTED_CLAUSES:
        end = start - 1  # the comma closing the clause before
        start = end
        while start > 0 and out[start - 1] != BOUNDARY:
            start -= 1
        clause = out[start:end]
        if not clause or len(clause) > MAX_CLAUSE_WORDS or _DENIALS & set(clause):
            break
        out[start:end] = ["or" if t == "and" else t for t in clause]
        if listed:  # "Meryl Streep, Julia Roberts, either one": the comma between two values
            out[end] = "or"
        listed += 1
    return out
