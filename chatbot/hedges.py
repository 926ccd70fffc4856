"""Hedges said after a person wished for: "Sigourney obviously. or whoever" (a soft wish:
kept while it can be, set aside first, said back as such), "toni collette maybe? or not, idk",
"hugh grant. or not.", "tom hanks maybe? nah", "nolan... actually whatever" (taken back: no
wish at all, and no refusal either). Pure; no IO. Used by ``chatbot.nlu``.

Example::

    tokens = "sigourney obviously , or whoever".split()
    hedged_people([{"name": "Sigourney Weaver", "at": 0}], tokens)
    # ([{"name": "Sigourney Weaver", "at": 0, "soft": True}], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BOUNDARY = ","
# "X or whoever", "X or anyone else", "X, whoever really": anyone else will do as well
_ANYONE = frozenset("whoever anyone anybody someone somebody whatever anything whichever".split())
# what may follow "or not" and still end the hedge: "or not, idk", "or not lol"
_AFTER_OR_NOT = frozenset(["", BOUNDARY, "idk", "dunno", "lol", "haha", "whatever", "i", "im",
                           "up", "your", "you", "really", "either"])
# "whether or not", "if he is in it or not": a question, no hedge
_ASKING = frozenset("whether if".split())


def hedges(tokens: Sequence[str]) -> list[tuple[int, str]]:
    """``(index, kind)`` of each hedge: "soft" ("or whoever") or "withdrawn" ("or not")."""
    found: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        after = tokens[i + 2] if i + 2 < len(tokens) else ""
        if token == "or" and following in _ANYONE:
            found.append((i, "soft"))
        elif token == "or" and following == "not" and after in _AFTER_OR_NOT and not _asks(tokens, i):
            found.append((i, "withdrawn"))
        elif _taken_back(tokens, i, whole=True):  # "X maybe? nah", "X... actually whatever"
            found.append((i, "withdrawn"))
        elif _taken_back(tokens, i) and _CLEARING & set(tokens[i:]) and tuple(tokens[i : i + 2]) not in _CORRECTING:
            found.append((i, "withdrawn_clause"))  # "X... actually nvm, no actors, just a drama"
        elif token in _ANYONE and tokens[i - 1 : i] == [BOUNDARY] and after in ("", BOUNDARY) and (
                following in ("", BOUNDARY, "really", "honestly", "tbh")):
            found.append((i, "soft"))  # "Sigourney, whoever really"
    return found


# said after a name to take it back, ending its clause: "actually whatever", "never mind",
# "actually nvm, no actors, just a drama", "no wait, anyone's fine"
_RETRACTIONS = (("never", "mind"), ("nevermind",), ("nvm",), ("actually", "whatever"),
                ("no", "wait"), ("wait", "no"), ("forget", "about", "it"), ("scratch", "it"),
                ("changed", "my", "mind"), ("forget", "them"), ("forget", "him"), ("forget", "her"),
                ("actually", "no"), ("actually", "nah"), ("actually", "nope"), ("maybe", "not"),
                ("probably", "not"), ("on", "second", "thought"), ("forget", "it"),
                ("forget", "that"), ("scratch", "that"), ("does", "not", "matter"),
                ("doesnt", "matter"), ("not", "sure", "actually"))
# a bare no after a name said with doubt ("X maybe? nah", "X? hmm no, whatever")
_NOS = frozenset("nah nope no naw nay eh meh".split())
_DOUBTS = frozenset("maybe perhaps possibly guess probably mayb maybee".split())
_SHRUGS = frozenset("whatever idk dunno anyone anybody whoever".split())
# what may follow a taking back and still end the message
_TAIL = frozenset([BOUNDARY, "idk", "dunno", "lol", "haha", "whatever", "really", "then", "tbh",
                   "anyway", "anyways", "i", "guess", "ok", "okay", "so", "just", "honestly",
                   "either", "way", "hmm", "eh", "meh", "mind", "never", "it", "lmao", "wait", "anyones",
                   "fine", "anybodys", "whoevers", "good", "all", "that"])
_BEFORE_NO = frozenset([BOUNDARY, "hmm", "hm", "eh", "um", "uh", "erm", "actually", "or", "nah",
                        *_DOUBTS])


def _taken_back(tokens: Sequence[str], i: int, whole: bool = False) -> bool:
    """A taking back of what was named before starts at ``i`` and ends its clause (``whole``:
    the message)."""
    for phrase in _RETRACTIONS:
        end = i + len(phrase)
        rest = tokens[end:] if whole else _clause_rest(tokens, end)
        if tuple(tokens[i:end]) == phrase and i and all(t in _TAIL for t in rest):
            return True
    if tokens[i] not in _NOS or not i or tokens[i - 1] not in _BEFORE_NO:
        return False
    rest = tokens[i + 1 :]
    return all(t in _TAIL for t in rest) and bool(
        _DOUBTS & set(tokens[:i]) or _SHRUGS & set(rest) or "never" in rest)


# what the rest says after a taking back that ends its clause, not the message: no one wished
# ("nvm, no actors, just a good drama", "scratch that, anyone's fine"); without it the
# taking back may be a correction ("willis. scratch that, stallone"), read as such elsewhere
_CLEARING = frozenset("no any anyone anyones anybody anybodys whoever whatever nobody just only".split())
# "wait no, stallone", "actually no, willis": corrections before a new name
_CORRECTING = frozenset([("wait", "no"), ("no", "wait"), ("actually", "no")])


def _clause_rest(tokens: Sequence[str], end: int) -> Sequence[str]:
    """The words after a taking back up to the clause's end: what comes after a comma is a
    new clause ("actually nvm, no actors, just a good drama"), so the taking back stands."""
    rest = tokens[end:]
    return rest[: rest.index(BOUNDARY)] if BOUNDARY in rest else rest


def _asks(tokens: Sequence[str], i: int) -> bool:
    start = i
    while start > 0 and tokens[start - 1] != BOUNDARY:
        start -= 1
    return bool(_ASKING & set(tokens[start:i]))


def hedged_people(people: Sequence[dict[str, Any]], tokens: Sequence[str]
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``people`` with those a hedge follows marked ``soft``, less those it takes back (the
    second list): a hedge covers the people named since the hedge before it."""
    kept: list[dict[str, Any]] = []
    withdrawn: list[dict[str, Any]] = []
    marks = [(where, "withdrawn" if what == "withdrawn_clause" else what) for where, what in hedges(tokens)]
    for person in people:
        at = int(person.get("at", -1))
        previous = -1
        kind = None
        for where, what in marks:
            if previous < at < where:
                kind = what
                break
            previous = where
        if person.get("negated") or kind is None:
            kept.append(person)
        elif kind == "withdrawn":
            withdrawn.append(person)
        else:
            kept.append(dict(person, soft=True))
    return kept, withdrawn


def withdrawn_note(withdrawn: Sequence[dict[str, Any]]) -> list[str]:
    """What is said back of the people taken back ("toni collette maybe? or not")."""
    names = list(dict.fromkeys(str(p["name"]) for p in withdrawn if p.get("name")))
    if not names:
        return []
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    # neither wished nor refused: a film with them may still come, so nothing says otherwise
    return [f"OK, {listed} or not, either way is fine."]
