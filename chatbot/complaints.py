"""Complaints that are wishes: "too long", "too old", "way too short" said of a film.

"no, too long" while a film is proposed asks for a shorter one; "nothing too long" or
"neither of us wants anything too long" asks for a short one; "it's too old (for me)" asks
for a newer one (other ways of saying a film's age: ``chatbot.ages``). Read as constraints (``chatbot.constraints``): relative to the film on the table
(``"relative": "shorter"``, resolved by ``chatbot.wishes``) unless denied ("nothing too
long"), which bounds the length outright. Pure; no IO. Example::

    complaint_hits(clause_tokens("no, way too long"))
    # [(2, 4, {'slot': 'runtime', 'range': [None, 100], 'exclude': False, 'relative': 'shorter'})]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.constraints import minutes, years
from chatbot.cues import BOUNDARY, SHORT_MINUTES

NEWER_FROM, OLDER_UNTIL = 2010, 1979  # "too old" / "too new" with no film shown (as cues reads "newer")
_SHRUGS = frozenset("meh ugh eh bleh nah hmm".split())
_TOO = frozenset("too overly".split()) | _SHRUGS
_LONG = frozenset("long lengthy longwinded".split())
_SHORT = frozenset("short brief".split())
_OLD = frozenset("old dated ancient retro oldfashioned".split())
_NEW = frozenset("new recent modern".split())
_DENIALS = frozenset("""not no nothing neither nor never dont doesnt without none nobody
    isnt cant wont""".split())
_RELATIVE = {"shorter": "runtime", "longer": "runtime", "newer": "year", "older": "year"}


def complaint_hits(tokens: Sequence[str]) -> list[tuple[int, int, dict[str, Any]]]:
    """``(start, end, constraint)`` for each "too <length or age>" in ``tokens``."""
    hits = []
    for i, token in enumerate(tokens[:-1]):
        if token not in _TOO or i and tokens[i - 1] == "not":
            continue  # "not too long" is a length phrase of its own (``chatbot.cues``)
        word, end = tokens[i + 1], i + 2
        if token in _SHRUGS:  # "meh. old", "ugh, long": the shrug is the "too"
            word, end = _shrugged(tokens, i)
        relative = ("shorter" if word in _LONG else "longer" if word in _SHORT
                    else "newer" if word in _OLD else "older" if word in _NEW else None)
        if relative is None:
            continue
        if relative in ("shorter", "longer") and _said_of_something(tokens, i):
            continue  # "that is too long": a remark (``chatbot.remarks``); "it's too old" asks
            # for a newer film, as "too old for me" does
        wish = _wish(relative, _denied(tokens, i))
        if wish is not None:
            hits.append((i, end, wish))
    return hits


def criticised_length(tokens: Sequence[str]) -> dict[str, Any] | None:
    """The film on the table said to be too long or too short ("no, that's too long", "it's
    a bit long for a school night", "this one is way too short"), as a wish relative to it;
    None when no clause says so, or a concession follows ("it's a bit long but a classic").
    Which film is meant is the policy's to know: at the genre question it is no wish."""
    for i, token in enumerate(tokens[:-1]):
        word = tokens[i + 1]
        if word not in _LONG and word not in _SHORT or not _said_of_something(tokens, i + 1):
            continue
        soft = token in _SOFTENERS or tuple(tokens[max(0, i - 1) : i + 1]) == ("a", "bit") or (
            token in _PREDICATES)  # "that one is long tho": said plainly, a complaint as well
        if not (token in _TOO or soft) or _denied(tokens, i) or (soft and _conceded(tokens[i + 2 :])):
            continue
        return _wish("shorter" if word in _LONG else "longer", False)
    return None


_SOFTENERS = frozenset("bit kinda quite rather pretty so really very fairly rly".split())
_CONCESSIONS = frozenset("but though tho although still".split())


def _conceded(after: Sequence[str]) -> bool:
    """A concession with something conceded ("... but a classic"); a closing "tho" is none."""
    return any(t in _CONCESSIONS and any(w not in _AFTERTHOUGHTS and w != BOUNDARY for w in after[k + 1 :])
               for k, t in enumerate(after))


def _shrugged(tokens: Sequence[str], at: int) -> tuple[str, int]:
    """The adjective a shrug judges when it is all that follows ("meh. old", "ugh, long
    tho") and where its phrase ends, else ("", 0)."""
    rest = [(k, t) for k, t in enumerate(tokens[at + 1 :], at + 1) if t != BOUNDARY]
    if not rest or any(t not in _AFTERTHOUGHTS for _, t in rest[1:]):
        return "", 0
    return rest[0][1], rest[0][0] + 1


_AFTERTHOUGHTS = frozenset("tho though lol really very kinda too and".split())


def _wish(relative: str, denied: bool) -> dict[str, Any] | None:
    if denied:  # "nothing too long": a bound of its own, shorter still than a short film shown
        return dict(minutes(None, SHORT_MINUTES), relative="short") if relative == "shorter" else None
    if _RELATIVE[relative] == "runtime":
        wish = minutes(None, SHORT_MINUTES) if relative == "shorter" else minutes(SHORT_MINUTES, None)
    else:  # with no film on the table: as "something newer" / "something older" reads
        wish = years(NEWER_FROM, None) if relative == "newer" else years(None, OLDER_UNTIL)
    return dict(wish, relative=relative)


def _said_of_something(tokens: Sequence[str], at: int) -> bool:
    """The clause has a subject and verb before "too": "that is too long", "it looks too old"."""
    for j in range(at - 1, -1, -1):
        if tokens[j] == BOUNDARY:
            return False
        if tokens[j] in _PREDICATES:
            return True
    return False


_PREDICATES = frozenset("is s ones was are were its thats looks looked seems seemed sounds feels "
                        "felt be been".split())


def _denied(tokens: Sequence[str], at: int) -> bool:
    """A denial earlier in the clause: "neither of us wants anything too long"."""
    for j in range(at - 1, max(-1, at - 7), -1):
        if tokens[j] == BOUNDARY:
            return False
        if tokens[j] in _DENIALS:
            return True
    return False


def after_catalogue(constraints: list[dict[str, Any]], last_year: int | None
                    ) -> tuple[list[dict[str, Any]], list[str]]:
    """Release years wished for that all lie after the catalogue's last year ("anything from
    2023?") are no wish the bot can keep: they are left out and said so, never "Got it"."""
    if not last_year:
        return constraints, []
    beyond = [c for c in constraints if c["slot"] == "year" and not c["exclude"]
              and (c["range"][0] or 0) > last_year]
    if not beyond:
        return constraints, []
    first = beyond[0]["range"][0]
    return ([c for c in constraints if c not in beyond],
            [f"{CATALOGUE_END} {last_year}, so I have nothing from {first} or later."])


CATALOGUE_END = "My catalogue only goes up to"  # opens the note on years after the catalogue


def distinct_exclusions(constraints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each value left out once: "I hate horror and sad films" is "no horror and no war"
    (the mood's exclusions without the genre already excluded), not "no horror and no war
    or horror"."""
    seen: dict[str, set[str]] = {}
    kept = []
    for wish in constraints:
        values = wish.get("values")
        if wish["exclude"] and values:
            fresh = [v for v in values if v not in seen.get(wish["slot"], set())]
            seen.setdefault(wish["slot"], set()).update(values)
            if not fresh:
                continue
            wish = dict(wish, values=fresh)
        kept.append(wish)
    return kept


_ERA_WORDS = frozenset("""old older classic classics oldie oldies vintage recent recently latest
    modern newer newest contemporary new""".split())


def settle_ages(hits: list[tuple[int, int, dict[str, Any]]],
                complaints: list[tuple[int, int, dict[str, Any]]], tokens: Sequence[str]
                ) -> list[tuple[int, int, dict[str, Any]]]:
    """``hits`` with the complaints of length or age added: a plain range of the slot said
    beside a complaint wins ("too old, anything from the 90s": the 90s), but a vague era word
    gives way ("too new, I like the classics": older than the film shown, not "before 1980")."""
    if any(c[2]["slot"] == "year" for c in complaints):
        hits = [h for h in hits if h[2]["slot"] != "year" or not set(tokens[h[0] : h[1]]) <= _ERA_WORDS]
    said = {h[2]["slot"] for h in hits}
    return hits + [h for h in complaints if h[2]["slot"] not in said]


def length_of_shown(tokens: Sequence[str], start: int, end: int) -> dict[str, Any] | None:
    """A length said of the film on the table in a refusal ("lol no way thats like 3 hrs",
    "nah it's over two hours"): no wish for that length but a complaint that it is too long,
    as a wish for a shorter one; None when the length is no such remark (a wish, "under 2
    hours", or said with a liking: "thats like 3 hrs, perfect")."""
    before = [t for t in tokens[max(0, start - 3) : start] if t not in _HEDGES]
    if not before or before[-1] not in _STATED or set(tokens) & _LIKING:
        return None
    if not set(tokens[:start]) & _REFUSING and not set(tokens[end:]) & _REFUSING:
        return None
    return _wish("shorter", False)


_STATED = frozenset("thats its is s ones was".split())  # "that's", "it's", "this one is"
_HEDGES = frozenset("like almost nearly over about basically literally around at least".split())
_REFUSING = frozenset("""no nah nope way ugh too long lol omg wtf yikes jeez geez damn hell
    seriously""".split() + ["?"])
_LIKING = frozenset("perfect great good fine ok okay cool nice love awesome".split())
