"""What the user allows or gives up, as opposed to what they ask for. Pure; no IO.

- **Permissions** ("older is fine", "PG is ok too", "I don't mind black and white"): the
  value said is acceptable. For a slot a film has one value of (rating, years, length) that
  widens an earlier wish of the slot or drops a refusal of the value; it never narrows the
  slot to the value (``split_permitted``). "anything up to PG-13 is fine" names a limit, and
  stays one.
- **Given up** ("drop tom hanks", "Seth Rogen is fine"): people neither wished for nor
  refused any more (``given_up_people``).
- **Indifference** ("dont care who directs", "any year works"): the slots a "no preference"
  names, clause by clause (``indifferent``).

Example::

    tokens = "pg is fine".split()
    split_permitted([(0, 1, {"slot": "mpaa", "values": ["PG"], "exclude": False})],
                    [True, False, False], tokens)
    # ([], [{"slot": "mpaa", "values": ["PG"], "exclude": False}])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.acts import indifferent_slots, intent_of
from chatbot.mentions import PERSON_SLOTS
from chatbot.scope import clauses

PERMITTED_SLOTS = ("mpaa", "year", "runtime")  # a film has one value: allowing one is no wish
# words that make the subject of "... is fine" a limit: "anything up to PG-13 is fine"
_LIMIT_WORDS = frozenset("anything other than but except only just up under below above over "
                         "less more nothing no not without at most least max".split())


def split_permitted(hits: Sequence[tuple], allowed: Sequence[bool],
                    tokens: Sequence[str]) -> tuple[list[tuple], list[dict]]:
    """``hits`` (``(start, end, constraint)``) less those a permission allows, and the
    constraints allowed (included, whatever their polarity: "I don't mind R")."""
    kept: list[tuple] = []
    permits: list[dict] = []
    for hit in hits:
        start, constraint = hit[0], hit[2]
        if constraint.get("slot") in PERMITTED_SLOTS and 0 <= start < len(allowed) \
                and allowed[start] and not _limited(allowed, tokens, start):
            permits.append(permitted_wish(constraint))
        else:
            kept.append(hit)
    return kept, permits


def permitted_wish(constraint: Mapping[str, Any]) -> dict:
    """``constraint`` as a wish allowed: included, without the reader's private keys."""
    return {k: v for k, v in constraint.items() if not k.startswith("_")} | {"exclude": False}


def _limited(allowed: Sequence[bool], tokens: Sequence[str], at: int) -> bool:
    """Whether the permitted span around ``at`` holds a limit word ("anything up to PG")."""
    start = at
    while start > 0 and allowed[start - 1]:
        start -= 1
    end = at
    while end < len(allowed) and allowed[end]:
        end += 1
    return bool(_LIMIT_WORDS & set(tokens[start:end]))


def at(mask: Sequence[bool], person: Mapping[str, Any]) -> bool:
    """Whether ``person`` (a mention with ``"at"``, its first token) lies under ``mask``."""
    where = int(person.get("at", -1))
    return 0 <= where < len(mask) and mask[where]


def given_up_people(people: list[dict], conceded: Sequence[bool]) -> list[dict]:
    """The people a removal or concession gives up ("drop tom hanks"), as wishes to take
    back in either role."""
    return [{"slot": slot, "values": [p["name"]], "exclude": False}
            for p in people if at(conceded, p) and not p.get("negated")
            for slot in PERSON_SLOTS]


_AWAY = frozenset("different else opposite other".split())


def refuse_removed(people: list[dict], removed: list[bool], tokens: Sequence[str]) -> None:
    """"forget sandler, something totally different": a person given up in the same breath as
    asking for something different is refused, not merely no longer wished for."""
    if not _AWAY & set(tokens):
        return
    for person in people:
        if at(removed, person) and not person.get("negated"):
            person["negated"] = True
            removed[int(person["at"])] = False


def indifferent(tokens: list[str], people: list[dict]) -> list[str]:
    """The questions a "no preference" names, clause by clause: "dont care who directs" in
    a list of wishes ("sci-fi, no Will Smith, dont care who directs") names the director;
    a clause that also names someone wanted for the slot ("anyone, but directed by Fincher")
    does not."""
    found: list[str] = []
    for start, end in clauses(tokens):
        clause = tokens[start:end]
        named = [p for p in people if start <= int(p.get("at", -1)) < end and not p["negated"]]
        whole = indifferent_slots(tokens, intent_of(tokens)) if len(clauses(tokens)) == 1 else []
        for slot in indifferent_slots(clause, intent_of(clause)) or whole:
            if slot not in found and not (named and slot in PERSON_SLOTS):
                found.append(slot)
    if not found and not any(p for p in people if not p["negated"]):
        found = indifferent_slots(tokens, intent_of(tokens))
    return found
