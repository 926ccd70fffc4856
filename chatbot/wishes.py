"""Merging what the user just said into the conversation's wishes. Pure; no IO.

**Wishes** are the conversation's constraints (``chatbot.constraints``: genre, actor,
director and MPAA values to include or exclude; release years and runtime minutes as integer,
inclusive ranges). They are ANDed. ``plan_wishes`` merges an utterance's into them by the
rules ``chatbot.policy`` documents (the later wish wins; a correction replaces; a slot a film
has one of replaces; otherwise a wish adds), and gives each person named their slot (actor or
director: the cue word, an earlier wish, the question asked, the role they are known for).
Example::

    plan_wishes({"stage": "genre", "wishes": []},
                {"constraints": [{"slot": "genre", "values": ["comedy"], "exclude": False}]})
    # {'wishes': [<comedy>], 'added': [<comedy>], 'replaced': [], 'suggest': None}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.acclaim import LESSER_KNOWN_VOTES
from chatbot.choices import offers_choice, widens
from chatbot.constraints import STRICT_MAX, clearly_shorter, same_wish, within_limits
from chatbot.rating_steps import stepped_ratings
from chatbot.text import fold
from chatbot.year_bounds import corrected_years

REPLACING_SLOTS = ("mpaa", "year", "runtime", "director")
SINGLE_VALUED = ("mpaa", "year", "runtime")  # a film has one: the last one said wins


def plan_wishes(state: Mapping[str, Any], nlu: Mapping[str, Any]) -> dict[str, Any]:
    """Merge what ``nlu`` asks for into ``state["wishes"]`` by the rules of the module doc.

    Returns ``{"wishes": the full new list, "added": [...], "replaced": [...], "suggest":
    {"name", "slot", "constraint"} or None}`` (JSON). A person matched unsurely becomes the
    suggestion ("Did you mean ...?"), not a wish.
    """
    stage = str(state.get("stage", ""))
    wishes = [dict(w) for w in state.get("wishes") or ()]
    correcting = bool(nlu.get("correction")) and not nlu.get("addition")
    new, suggest = _new_wishes(stage, nlu, wishes, state.get("last_slot"), correcting)
    reference = nlu.get("reference") or state.get("current")  # "like Alien but newer"
    standing = [*wishes, *(w for w in new if not w.get("ceiling"))]  # "my 12 yo, nothing too gory"
    new = [_relative_to(_against_bound(w, wishes, reference), reference) for w in new
           if not _looser_ceiling(w, standing)]
    new, widened = _widened(nlu, wishes, new)
    widened += _forgotten(nlu, wishes, state.get("current"))
    wishes = [w for w in wishes if not any(w is g for g in widened)]
    moved: list[dict] = list(widened)
    if correcting:
        kept = _moved_correction(wishes, new, state.get("last_slot"))
        moved += [w for w in wishes if w not in kept]
        wishes = kept
    added: list[dict] = []
    replaced: list[dict] = list(moved)
    cleared: set[str] = set()
    for wish in new:
        slot = wish["slot"]
        if wish["exclude"]:  # "nothing before 2003 actually": the years said before go
            replaced += _retract(wishes, wish) + corrected_years(wishes, wish, added, correcting)
        elif slot in SINGLE_VALUED or (slot not in cleared and (
                correcting or slot in REPLACING_SLOTS or nlu.get("alternative"))):  # "a thriller then"
            cleared.add(slot)
            gone = [w for w in wishes if w["slot"] == slot and not w["exclude"]]
            wishes = [w for w in wishes if not any(w is g for g in gone)]
            replaced += [g for g in gone if not any(g is a for a in added)]
            added = [a for a in added if not any(a is g for g in gone)]
        if not wish["exclude"]:
            _unexclude(wishes, wish)
            replaced += _contradicted(wishes, wish)  # "I said NOT LONGER than 2 hours"
        if not any(same_wish(wish, w) for w in wishes):
            wishes.append(wish)
        if not any(same_wish(wish, a) for a in added):  # "Tom Hanks" said six times is one wish
            added.append(wish)  # said again: confirmed again (and no longer set aside)
    for relaxed in nlu.get("relaxed") or ():  # "even if it's not sci-fi": sci-fi given up
        if relaxed.get("permit"):  # "older is fine", "PG is ok too": widened, never narrowed
            widened, gone = _permit(wishes, _relative_to(dict(relaxed), reference))
            added += widened
            replaced += gone
        elif relaxed.get("clear"):  # "any year works": the slot's wishes go, refusals too
            gone = [w for w in wishes if w["slot"] == relaxed["slot"]
                    and not any(same_wish(w, a) for a in added)
                    and not (w["exclude"] and relaxed.get("keep_refusals"))]
            wishes = [w for w in wishes if not any(w is g for g in gone)]
            replaced += gone
        elif "values" in relaxed:
            replaced += _retract(wishes, dict(relaxed, exclude=True))
            replaced += _unexclude(wishes, relaxed)  # "Tom Hanks is fine" after "no Tom Hanks"
        elif relaxed.get("refused"):  # "remove the 'nothing 120 minutes or shorter'": that one
            gone = [w for w in wishes if w["exclude"] and same_wish(w, dict(relaxed, exclude=True))]
            wishes = [w for w in wishes if not any(w is g for g in gone)]
            replaced += gone
        else:  # "forget about the 90s": the slot's range goes
            gone = [w for w in wishes if w["slot"] == relaxed["slot"] and not w["exclude"]
                    and ("range" in w or relaxed.get("whole"))  # "drop the director requirement"
                    and not any(same_wish(w, a) for a in added)]
            wishes = [w for w in wishes if not any(w is g for g in gone)]
            replaced += gone
    replaced += [r for r in nlu.get("retracted") or () if not any(same_wish(r, w) for w in replaced)]
    replaced = [r for r in replaced if not any(same_wish(r, a) for a in added)]
    return {"wishes": wishes, "added": added, "replaced": replaced, "suggest": suggest}


def _forgotten(nlu: Mapping[str, Any], wishes: Sequence[dict], current: Any) -> list[dict]:
    """The person wish "forget that" / "never mind him" drops: the last one asked for ("that"
    only while it was the last wish said and no film is on the table, where it is the film)."""
    said = nlu.get("forgets")
    people = [w for w in wishes if w["slot"] in ("actor", "director") and not w["exclude"]]
    if not said or not people or said == "said" and (current or wishes[-1] is not people[-1]):
        return []
    return [people[-1]]


def _widened(nlu: Mapping[str, Any], wishes: Sequence[dict], new: list[dict]
              ) -> tuple[list[dict], list[dict]]:
    """``new`` with its any-of person wishes taking in the single ones they widen, and the
    earlier wishes so replaced: "or Fred Astaire" after Gene Kelly is Kelly or Astaire; "either
    one is fine" after Denzel and Gyllenhaal is one wish of either; "Denzel or Gyllenhaal" after
    both were wished for replaces the two, never stands beside them."""
    words = list(nlu.get("words") or ())
    people = [w for w in new if w["slot"] in ("actor", "director") and not w["exclude"]]
    earlier = [w for w in wishes if w["slot"] in ("actor", "director") and not w["exclude"]]
    if not earlier or (nlu.get("correction") and not widens(words)):
        return new, []
    if widens(words) and len(people) == 1 and len({w["slot"] for w in new}) == len(new):
        wish = people[0]
        last = next((w for w in reversed(earlier) if w["slot"] == wish["slot"]), earlier[-1])
        merged = dict(wish, slot=last["slot"], values=list(dict.fromkeys([*last["values"], *wish["values"]])))
        return [merged if w is wish else w for w in new], [last]
    if not people and offers_choice(words):  # "either one is fine, doesn't have to be both"
        slot = earlier[-1]["slot"]
        singles = [w for w in earlier if w["slot"] == slot]
        if len(singles) > 1:
            values = list(dict.fromkeys(v for w in singles for v in w["values"]))
            return [*new, {"slot": slot, "values": values, "exclude": False}], singles
        return new, []
    gone = [w for w in earlier for p in people if len(p["values"]) > 1 and w["slot"] == p["slot"]
            and set(w["values"]) <= set(p["values"])]
    return new, gone


def _permit(wishes: list[dict], permit: Mapping[str, Any]) -> tuple[list[dict], list[dict]]:
    """Allow ``permit`` in place: refusals of it go, and an earlier wish of a slot a film has
    one value of widens to take it in (G -> G or PG; the 1990s -> 1990 or earlier for "older
    is fine"). Returns the wishes widened and the ones they replaced or that went."""
    added: list[dict] = []
    gone: list[dict] = []
    for wish in list(wishes):
        if wish["slot"] != permit["slot"]:
            continue
        if "range" in permit and "range" in wish:
            if wish["exclude"] and _overlap(wish["range"], permit["range"]):
                gone.append(wish)
                wishes.remove(wish)
            elif not wish["exclude"] and (hull := _hull(wish["range"], permit["range"])) != wish["range"]:
                gone.append(wish)
                wishes[wishes.index(wish)] = wider = dict(wish, range=hull)
                added.append(wider)
        elif "values" in permit and "values" in wish:
            fresh = [v for v in permit["values"] if v not in wish["values"]]
            if wish["exclude"] and len(fresh) < len(permit["values"]):
                gone += _unexclude(wishes, dict(permit))
            elif not wish["exclude"] and fresh and wish["slot"] in SINGLE_VALUED:
                gone.append(wish)
                wishes[wishes.index(wish)] = wider = dict(wish, values=[*wish["values"], *fresh])
                added.append(wider)
    return added, gone


def _overlap(first: Sequence[Any], second: Sequence[Any]) -> bool:
    low = max(first[0] if first[0] is not None else -10**9, second[0] if second[0] is not None else -10**9)
    high = min(first[1] if first[1] is not None else 10**9, second[1] if second[1] is not None else 10**9)
    return low <= high


def _hull(first: Sequence[Any], second: Sequence[Any]) -> list[Any]:
    """The smallest range holding both (None: open)."""
    low = None if first[0] is None or second[0] is None else min(first[0], second[0])
    high = None if first[1] is None or second[1] is None else max(first[1], second[1])
    return [low, high]


def _looser_ceiling(wish: Mapping[str, Any], wishes: Sequence[Mapping[str, Any]]) -> bool:
    """"nothing too gory" (PG-13 or below) with G or PG wished for a child: the stricter
    rating stands, the limit adds nothing."""
    values = set(wish.get("values") or ())
    return bool(wish.get("ceiling")) and any(
        w["slot"] == "mpaa" and not w["exclude"] and set(w.get("values") or ()) <= values for w in wishes)


def _moved_correction(wishes: list[dict], new: Sequence[Mapping[str, Any]],
                      last_slot: str | None) -> list[dict]:
    """"Sly Stallone" ... "no, actually a Tarantino film": a correction naming a person in the
    other role, none in the last one, replaces the person last given (who goes: recorded
    is then listed as replaced)."""
    slots = {w["slot"] for w in new if not w["exclude"]}
    other = {"actor": "director", "director": "actor"}.get(str(last_slot))
    if other is None or other not in slots or last_slot in slots or any(
            w["slot"] == other and not w["exclude"] for w in wishes):
        return wishes
    return [w for w in wishes if w["slot"] != last_slot or w["exclude"]]


def _new_wishes(stage: str, nlu: Mapping[str, Any], wishes: list[dict],
                last_slot: str | None, correcting: bool) -> tuple[list[dict], dict | None]:
    """Constraints said now (people given their slot), and the first unsure person."""
    new = [dict(c) for c in _nlu_constraints(nlu)]
    people = [_as_wished(p, wishes) for p in nlu.get("people") or ()]
    retracted = {_person_slot(p, stage, None, wishes)
                 for p in people if p.get("negated") and _included(wishes, p)}
    target = next(iter(retracted), None) or (last_slot if correcting else None)
    groups: dict[Any, dict] = {}
    suggest = None
    slots = _shared_slots(people, [_person_slot(p, stage, target, wishes) for p in people], stage)
    waiting = _waiting_for_choice(people, wishes)  # "Wayne or Stewart": both, once Stewart is known
    for index, person in enumerate(people):
        slot = slots[index]
        if slot is None:
            continue
        if index in waiting:
            continue
        if correcting and person.get("negated") and not person.get("sure", True) and not _named_before(
                wishes, person):  # "I said damon not dillon": what was misheard, no one refused
            continue
        if _refused_best_known(person, wishes, nlu.get("words") or ()):  # "w/o leo": DiCaprio
            person = dict(person, sure=True, namesakes={}, choices=[])
        if not person.get("sure", True) and person.get("negated") and len(_meant(person)) > 1:
            # "romance without Hugh": every Hugh it may mean is left out (and said back), each
            # in the role known for, rather than a question about whom the user does not want
            new += _every_choice_refused(person, slot, stage)
            continue
        if not person.get("sure", True) and not _named_before(wishes, person):
            suggest = suggest or {"name": person["name"], "slot": slot,
                                  "choices": list(person.get("choices") or ()),
                                  "with": [people[i]["name"] for i in sorted(waiting)
                                           if people[i].get("group") == person.get("group")],
                                  "constraint": {"slot": slot, "values": [person["name"]],
                                                 "exclude": bool(person.get("negated"))}}
            continue
        key = (person.get("group", index), slot, bool(person.get("negated")))
        if key in groups:
            if person["name"] not in groups[key]["values"]:
                groups[key]["values"].append(person["name"])
            continue
        groups[key] = {"slot": slot, "values": [person["name"]], "exclude": bool(person.get("negated"))}
        if person.get("soft"):  # "Sigourney obviously. or whoever": set aside first
            groups[key]["soft"] = True
        new.append(groups[key])
    wished = {(w["slot"], v) for w in new if not w["exclude"] for v in w.get("values") or ()}
    new = [w for w in new if not w["exclude"] or "values" not in w or not wished >= {
        (w["slot"], v) for v in w["values"]}]  # one message never wishes and refuses one person
    earlier = [w for w in wishes if w["slot"] in ("actor", "director") and not w["exclude"]]
    if nlu.get("denies_earlier") and earlier:  # "Jim Carrey" ... "maybe not him after all"
        new.append(dict(earlier[-1], values=earlier[-1]["values"][-1:], exclude=True))
    return new, suggest


def _waiting_for_choice(people: Sequence[Mapping[str, Any]], wishes: Sequence[Mapping[str, Any]]
                        ) -> set[int]:
    """The people listed as alternatives ("A or B") beside one to be asked about: they wait
    for the answer, to be one wish with it ("John Wayne or James Stewart"), not two."""
    asked = {p.get("group") for p in people if not p.get("sure", True) and not p.get("negated")
             and not _named_before(wishes, p)}
    if not asked:
        return set()
    return {i for i, p in enumerate(people) if p.get("sure", True) and not p.get("negated")
            and "group" in p and p.get("group") in asked
            and sum(o.get("group") == p.get("group") for o in people) > 1}


def _refused_best_known(person: Mapping[str, Any], wishes: Sequence[Mapping[str, Any]],
                        words: Sequence[str]) -> bool:
    """A first name refused after "without" ("w/o leo"), or of someone already named, that
    one famous bearer is known by (Leonardo DiCaprio as "leo"): that one, not every Leo."""
    namesakes, at = list(person.get("namesakes") or ()), int(person.get("at") or 0)
    said = words[at] if at < len(words) else ""  # "leo": known by a name other than his own
    familiar = bool(namesakes) and namesakes[0] == person.get("name") and \
        str(person.get("name")).lower().split()[0] != said
    return bool(person.get("negated")) and not person.get("sure", True) and familiar and bool(
        _WITHOUT & set(words[max(0, at - 2) : at]) or
        _named_before(wishes, person))


_WITHOUT = frozenset(("without", "w/o", "sans"))  # "with leo" turned round: the same Leo


def _meant(person: Mapping[str, Any]) -> dict[str, str]:
    """Everyone an unsure name may mean, with the role each is known for: a first name's
    namesakes ("no steve": every Steve), else the choices it would be asked about."""
    return dict(person.get("namesakes") or {}) or {
        name: (person.get("choice_roles") or {}).get(name, "") for name in person.get("choices") or ()}


def _every_choice_refused(person: Mapping[str, Any], slot: str, stage: str = "") -> list[dict]:
    roles = _meant(person)
    if person.get("namesakes") and slot in roles.values() and slot in (person.get("cue"), stage):
        # "nothing by steven", "without hugh" asked for an actor: those of that role only
        roles = {name: role for name, role in roles.items() if role == slot}
    by_role: dict[str, list[str]] = {}
    for name in roles:
        by_role.setdefault(roles.get(name, slot) if roles.get(name) in ("actor", "director") else slot,
                           []).append(name)
    return [{"slot": role, "values": names, "exclude": True} for role, names in by_role.items()]


def _shared_slots(people: Sequence[Mapping[str, Any]], slots: list[str | None],
                  stage: str) -> list[str | None]:
    """``slots`` with the people of one "or" group given one slot where their own differ but
    a role is common to them all: "Daniel Craig? or Kenneth Branagh" (an actor, a director
    who also acts) is a wish for either as an actor, not for both in two roles."""
    members: dict[Any, list[int]] = {}
    for index, person in enumerate(people):
        if "group" in person and not person.get("negated"):
            members.setdefault(person["group"], []).append(index)
    for indexes in members.values():
        if len({slots[i] for i in indexes}) < 2:
            continue
        common = set.intersection(*(set(people[i].get("roles") or ()) for i in indexes))
        known = common & set.intersection(*(set(people[i].get("known_for") or people[i].get(
            "notable") or ()) for i in indexes))  # Eastwood or Leone: directors both
        pool = known or common
        if pool:
            slot = stage if stage in pool else "actor" if "actor" in pool else sorted(pool)[0]
            for i in indexes:
                slots[i] = slot
    return slots


def _as_wished(person: Mapping[str, Any], wishes: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """"Jimmy Stewart instead of Wayne" with John Wayne wished for: a name denied means the
    person already asked for who bears it, not a namesake (Wayne Wang)."""
    if not person.get("negated") or _named_before(wishes, person):
        return person  # "hardy, not hanks" with Tom Hanks refused already: still Tom Hanks
    wished = [v for w in wishes if not w["exclude"] and w["slot"] in ("actor", "director")
              for v in w.get("values") or ()]
    said = fold(person["name"]).split()
    meant = next((v for v in reversed(wished) if v in _meant(person) or said == fold(v).split()[:1]), None)
    if meant is not None:  # "not tom" with Tom Hanks wished: Tom Hanks, no other Tom
        return dict(person, name=meant, cue=None, sure=True, namesakes={}, choices=[])
    words = set(fold(person["name"]).split())
    bearer = next((v for w in wishes if not w["exclude"] and w["slot"] in ("actor", "director")
                   for v in w.get("values") or () if fold(v).split()[-1:][0] in words), None)
    # the surname is shared ("Wayne"), never a first name only (Tom Hanks is no Tom Hardy)
    return dict(person, name=bearer, cue=None) if bearer else person


def _against_bound(wish: dict, wishes: list[dict], reference: Mapping[str, Any] | None) -> dict:
    """"shorter?" / "longer?" with no film shown but a length wished ("about 90 minutes"):
    shorter than its lower edge (79 minutes or shorter), longer than its upper edge."""
    relative = wish.get("relative")
    if relative not in ("shorter", "longer") or isinstance((reference or {}).get("runtime_min"), int):
        return wish
    held = next((w for w in wishes if w["slot"] == "runtime" and not w["exclude"] and w.get("range")), None)
    if held is None:
        return wish
    low, high = held["range"]
    if relative == "shorter" and (low is not None or high is not None):
        bounds = [None, low - 1 if low is not None else clearly_shorter(high)]
    elif relative == "longer" and high is not None:
        bounds = [high + 1, None]
    else:
        return wish
    return dict({k: v for k, v in wish.items() if k != "relative"}, range=bounds)


def _relative_to(wish: dict, current: Mapping[str, Any] | None) -> dict:
    """"something older" while a 2002 film is proposed: released 2001 or earlier; "longer"
    than a 180-minute film: 181 minutes or more. The bound is the film's own figure, never a
    jump past it: a jump hides the films just beside it (1997-2001) without a word. "Shorter"
    is the exception: a film a minute shorter is as long to the viewer (``clearly_shorter``)."""
    relative = wish.pop("relative", None)
    cap = wish.pop("cap", ())  # "more kid friendly": a child's rating at most
    wish.pop("than", None)  # "newer than Terminator 2": counted from that film already
    year = (current or {}).get("year")
    runtime = (current or {}).get("runtime_min")
    if relative in ("shorter", "longer") and isinstance(runtime, int):
        wish["range"] = list(within_limits(None, clearly_shorter(runtime)) if relative == "shorter"
                             else within_limits(runtime + 1, None))
        if relative == "shorter":  # the film's own length less one, if nothing clearly shorter fits
            wish[STRICT_MAX] = runtime - 1
    elif relative == "short" and isinstance(runtime, int):  # "not so long" at 96 min: under 96
        wish["range"] = list(within_limits(None, min(wish["range"][1] or runtime, clearly_shorter(runtime))))
        wish[STRICT_MAX] = min(wish["range"][1] or runtime, runtime - 1)
    elif relative == "lesser" and isinstance(votes := (current or {}).get("votes"), int):
        wish["range"] = [None, max(1, min(votes - 1, LESSER_KNOWN_VOTES))]
    elif relative in ("milder", "stronger"):  # "a tamer one": from the film's own rating
        wish["values"] = stepped_ratings(relative, (current or {}).get("mpaa"), cap) or wish["values"]
    elif relative in ("older", "newer") and isinstance(year, int):
        wish["range"] = list(within_limits(None, year - 1) if relative == "older" else within_limits(year + 1, None))
    return wish


def _nlu_constraints(nlu: Mapping[str, Any]) -> list[dict]:
    """The understanding's constraints, or ones made from its older keys."""
    if "constraints" in nlu:
        return list(nlu["constraints"] or ())
    found = [{"slot": "genre", "values": [g], "exclude": False} for g in nlu.get("genres") or ()]
    found += [{"slot": "genre", "values": [g], "exclude": True}
              for g in nlu.get("negated_genres") or ()]
    if nlu.get("mpaa"):
        found.append({"slot": "mpaa", "values": [nlu["mpaa"]], "exclude": False})
    return found


def _retract(wishes: list[dict], exclusion: dict) -> list[dict]:
    """Take the excluded values out of earlier includes of the slot; the emptied ones go."""
    gone: list[dict] = []
    for wish in list(wishes):
        if wish["slot"] != exclusion["slot"] or wish["exclude"] or "values" not in wish:
            continue
        kept = [v for v in wish["values"] if v not in exclusion["values"]]
        if len(kept) < len(wish["values"]):  # "drop horror" of "horror or thriller": horror went
            gone.append(dict(wish, values=[v for v in wish["values"] if v not in kept]))
            wishes.remove(wish)
            if kept:
                wishes.append(dict(wish, values=kept))
    return gone


def _contradicted(wishes: list[dict], inclusion: dict) -> list[dict]:
    """Take out the slot's excluded ranges that leave nothing of ``inclusion``'s range ("films
    120 minutes or shorter" after "nothing 120 minutes or shorter": the wish said now wins); an
    exclusion inside the range ("the 90s but not 1995") stays. The exclusions taken out."""
    if "range" not in inclusion:
        return []
    first, last = inclusion["range"]
    gone = [w for w in wishes if w["slot"] == inclusion["slot"] and w["exclude"] and "range" in w
            and (w["range"][0] is None or first is not None and w["range"][0] <= first)
            and (w["range"][1] is None or last is not None and w["range"][1] >= last)]
    for wish in gone:
        wishes.remove(wish)
    return gone


def _unexclude(wishes: list[dict], inclusion: dict) -> list[dict]:
    """Take ``inclusion``'s values out of the slot's exclusions; the exclusions changed."""
    gone: list[dict] = []
    for wish in list(wishes):
        if wish["slot"] == inclusion["slot"] and wish["exclude"] and "values" in wish:
            kept = [v for v in wish["values"] if v not in inclusion["values"]]
            if len(kept) == len(wish["values"]):
                continue
            gone.append(dict(wish, values=[v for v in wish["values"] if v not in kept]))
            wishes.remove(wish)
            if kept:
                wishes.append(dict(wish, values=kept))
    return gone


def _named_before(wishes: Sequence[Mapping[str, Any]], person: Mapping[str, Any]) -> bool:
    """"no!! I said NOT Arnold" after Arnold Schwarzenegger was wished or refused: the person
    already talked about, no "Did you mean ...?" again."""
    return any(person["name"] in (w.get("values") or ()) for w in wishes)


def _included(wishes: Sequence[Mapping[str, Any]], person: Mapping[str, Any]) -> bool:
    return any(not w["exclude"] and person["name"] in (w.get("values") or ()) for w in wishes)


def _person_slot(person: Mapping[str, Any], stage: str, target: str | None,
                 wishes: Sequence[Mapping[str, Any]]) -> str | None:
    """Actor or director: the cue word, else an earlier wish naming them, else the slot a
    correction targets or the question asked (unless they are known for the other role
    only: ``known_for``, by the ranks of their fame in each role), else the role they are
    known for, else the role they have."""
    roles = list(person.get("roles") or ())
    cue = person.get("cue")
    if cue == "film_of" and "director" in roles:  # "a Tarantino film": the role they are known for
        known = [r for r in person.get("notable") or () if r in roles]
        films = person.get("films") or {}
        if len(known) == 1:
            cue = known[0]
        elif known:  # known for both (Eastwood): the larger body of work
            cue = "director" if films.get("director", 0) > films.get("actor", 0) else "actor"
        else:
            cue = "director" if 3 * films.get("director", 0) >= films.get("actor", 0) else "actor"
    if cue in roles:
        return str(cue)
    earlier = [w["slot"] for w in wishes if person["name"] in (w.get("values") or ())
               and w["slot"] in roles]
    if earlier:
        return earlier[-1]
    notable = list(person.get("known_for") or person.get("notable") or ())
    for slot in (target, stage):
        if slot in roles and (not notable or slot in notable):
            return str(slot)
    if notable:
        return "actor" if "actor" in notable else notable[0]
    if roles == ["director"]:
        return "director"
    return "actor" if "actor" in roles else (roles[0] if roles else None)


def summary(added: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"genre": [...], "actor": name, ...}`` of the includes just added (older shape)."""
    fills: dict[str, Any] = {}
    for wish in added:
        if wish["exclude"] or "range" in wish:
            continue
        if wish["slot"] == "genre":
            fills.setdefault("genre", []).extend(wish["values"])
        else:
            fills.setdefault(wish["slot"], wish["values"][0])
    return fills


def slot_fills(stage: str, nlu: Mapping[str, Any]) -> dict[str, Any]:
    """Which slots the included entities of ``nlu`` answer: ``{"genre": [...], "actor": name}``."""
    return summary(plan_wishes({"stage": stage}, nlu)["added"])
