"""Which bearer of a shared surname the conversation means. Pure; the catalogue is reached
through the ``search`` and ``movie`` functions given (``chatbot.components.Db``).

A lone surname that several well-known people bear ("Stewart": Patrick, James, Kristen) is
read by the name index as unsure, with its ``bearers``. People mean the one who fits what
they are talking about: the genre and years already wished for or said beside it ("a western
with Stewart" is James Stewart), and the era of the people named with it ("Wayne or Stewart":
John Wayne's years, so James again). Each bearer's films meeting that context are counted in
the catalogue and weighed by the bearer's fame (the votes their films get); one with
``DOMINANCE`` times the next one's weight (and ``MIN_MATCHES`` films at least) is meant,
sure, unless the next is among the most famous in that role too (Wes or Paul Thomas
Anderson is asked about); else the choices asked about are those that fit, the best first.
Example::

    understanding = in_context(nlu("a western with stewart"), [], db.search, db.movie)
    understanding["people"][0]["name"]      # 'James Stewart'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Search = Callable[[list[dict[str, Any]]], list[int]]
Movie = Callable[[int], Mapping[str, Any]]

DOMINANCE = 2  # the bearer meant has this many times the fitting films of the next one
MIN_MATCHES = 2  # ... and at least this many
ERA_FILMS = 12  # the era of a person named beside: the years of their best-known films
ERA_MARGIN_YEARS = 5  # ... widened by this much at each end
CHOICES = 3  # fitting bearers asked about when none is clearly meant
_CONTEXT_SLOTS = ("genre", "year")


def in_context(understanding: Mapping[str, Any], wishes: Sequence[Mapping[str, Any]],
               search: Search, movie: Movie) -> dict[str, Any]:
    """``understanding`` with each unsure lone surname given the bearer its context means
    (or its choices ordered by fit); unchanged when nothing is said to go by."""
    people = list(understanding.get("people") or ())
    if not any(_open(p) for p in people):
        return dict(understanding)
    context = _context(understanding, wishes)
    resolved = []
    for person in people:
        if _open(person):
            person = _resolved(person, context + _era(person, people, search, movie), search)
        resolved.append(person)
    return dict(understanding, people=resolved)


def _open(person: Mapping[str, Any]) -> bool:
    # a refusal leaves out everyone the name may mean (``chatbot.wishes``)
    return not person.get("sure", True) and not person.get("negated") and len(person.get("bearers") or ()) > 1


def _context(understanding: Mapping[str, Any], wishes: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The genres and years wished for: said now, else kept from before (a film's own
    relative wishes, "older than that", are no context)."""
    said = [dict(c) for c in understanding.get("constraints") or ()
            if c["slot"] in _CONTEXT_SLOTS and not c["exclude"] and not c.get("relative")]
    slots = {c["slot"] for c in said}
    kept = [dict(w) for w in wishes if w["slot"] in _CONTEXT_SLOTS and not w["exclude"]
            and w["slot"] not in slots]
    return said + kept


def _era(person: Mapping[str, Any], people: Sequence[Mapping[str, Any]], search: Search,
         movie: Movie) -> list[dict]:
    """The years of the people named with ``person`` ("Wayne or Stewart"), as a range."""
    others = [o for o in people if o is not person and o.get("sure", True) and not o.get("negated")
              and o.get("group") == person.get("group")]
    years: list[int] = []
    for other in others[:2]:
        found = search([{"slot": _role(other, other.get("cue")), "values": [other["name"]], "exclude": False}])
        years += [int(y) for y in (movie(i).get("year") for i in found[:ERA_FILMS]) if y]
    if len(years) < 2:
        return []
    return [{"slot": "year", "range": [min(years) - ERA_MARGIN_YEARS, max(years) + ERA_MARGIN_YEARS],
             "exclude": False}]


def _resolved(person: Mapping[str, Any], context: list[dict], search: Search) -> dict[str, Any]:
    if not context:
        return dict(person)
    fits = [(len(search([*context, {"slot": _role(b, person.get("cue")), "values": [b["name"]],
                                    "exclude": False}])), b) for b in person["bearers"]]
    # the fitting films weighed by the attention each bearer's films get: the one most
    # people mean among those who fit ("Cary Grant or Stewart": James, not Paul Stewart)
    ranked = sorted(fits, key=lambda f: -f[0] * _fame(f[1], person.get("cue")))
    best, second = (n * _fame(b, person.get("cue")) for n, b in ranked[:2])
    runner = ranked[1][1]  # two famous in the role are asked about ("Wes or Paul Thomas Anderson")
    famous_rival = _role(runner, person.get("cue")) in (runner.get("notable") or ())
    # the famous namesakes the index offered stay the ones asked about ("anderson" at the actor
    # question: the directors Wes and Paul Thomas, not the actor Anthony because of a comedy)
    famous = {b["name"] for b in person["bearers"] if b.get("notable") and b["name"] in person.get("choices", ())}
    if famous - {ranked[0][1]["name"]}:
        return dict(person)
    if ranked[0][0] >= MIN_MATCHES and best >= DOMINANCE * second and not famous_rival:
        bearer = ranked[0][1]
        return dict(person, **{k: bearer[k] for k in ("name", "roles", "known_for", "notable",
                                                      "films", "fame")},
                    sure=True, choices=[], choice_roles={}, alternatives=[])
    fitting = [b for n, b in ranked if n > 0][:CHOICES]
    if len(fitting) < 2:
        return dict(person)
    return dict(person, name=fitting[0]["name"], choices=[b["name"] for b in fitting],
                choice_roles={b["name"]: _role(b, person.get("cue")) for b in fitting})


def _fame(bearer: Mapping[str, Any], cue: object) -> float:
    return max(float((bearer.get("fame") or {}).get(_role(bearer, cue)) or 0.0), 0.1)


def _role(person: Mapping[str, Any], cue: object = None) -> str:
    """The slot a name fills: its cue ("with", "by"), else the role it is known for."""
    if cue in ("actor", "director"):
        return str(cue)
    return str((person.get("known_for") or person.get("roles") or ["actor"])[0])
