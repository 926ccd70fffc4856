"""A rating wished for relative to the film on the table: "is there one with a lower rating?",
"something less mature", "a tamer one", "more grown-up". Pure; no IO.

The words become one MPAA wish that remembers its direction (``"relative": "milder"`` or
``"stronger"``); ``chatbot.wishes`` moves it from the proposed film's rating (an R film:
"milder" is G, PG or PG-13), and ``step_note`` says so. With no film on the table, or one the
catalogue has no rating for, the wish keeps its plain reading (milder: G or PG; stronger:
PG-13 and up). Other wishes stay as they were: a milder horror film is still a horror film.
Example::

    rating_step_hits(clause_tokens("a tamer one pls"), set())
    # [(1, 2, {"slot": "mpaa", "values": ["G", "PG"], "exclude": False, "relative": "milder"})]
    stepped_ratings("milder", "R")   # ['G', 'PG', 'PG-13']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.ratings import ORDER

# what each direction means with no rated film to count from
_PLAIN = {"milder": ["G", "PG"], "stronger": ["PG-13", "R", "NC-17"]}
_PHRASES: dict[tuple[str, ...], str] = {
    **dict.fromkeys((
        ("lower", "rating"), ("lower", "rated"), ("lower", "mpaa"), ("lower", "age", "rating"),
        ("less", "mature"), ("less", "adult"), ("less", "grown", "up"), ("less", "grownup"),
        ("more", "family", "friendly"), ("more", "kid", "friendly"), ("more", "kids", "friendly"),
        ("more", "child", "friendly"), ("more", "kid", "appropriate"), ("more", "innocent"),
        ("more", "tame"), ("tamer",), ("milder",), ("cleaner",), ("less", "explicit"),
        ("less", "racy"), ("less", "restricted"), ("less", "strict", "rating"),
        ("rated", "lower"), ("rating", "lower"), ("lower", "certificate")), "milder"),
    **dict.fromkeys((
        ("higher", "rating"), ("higher", "rated"), ("higher", "mpaa"), ("more", "mature"),
        ("more", "adult"), ("more", "grown", "up"), ("more", "grownup"), ("less", "tame"),
        ("less", "family", "friendly"), ("less", "kid", "friendly"), ("less", "kiddy"),
        ("less", "kiddie"), ("less", "childish"), ("less", "innocent"), ("edgier",),
        ("racier",), ("more", "explicit"), ("rated", "higher"), ("rating", "higher"),
        ("more", "for", "adults"), ("more", "for", "grown", "ups")), "stronger"),
}
_LONGEST = max(len(p) for p in _PHRASES)
# "more kid friendly" names children watching: milder than the film shown, and a child's
# rating at most (G or PG), never PG-13 for being one step below an R film
_FOR_CHILDREN = frozenset("family kid kids child children".split())
CHILD_CAP = ("G", "PG")
# "lower rated" asks of the critics when it says so ("lower rated by critics"): no rating then
_CRITICS = frozenset("critics reviews reviewers imdb stars score scored".split())


def rating_step_hits(tokens: Sequence[str], used: set[int]) -> list[tuple[int, int, dict[str, Any]]]:
    """Each rating comparative in ``tokens`` as ``(start, end, wish)``; marks its tokens used."""
    hits: list[tuple[int, int, dict[str, Any]]] = []
    i = 0
    while i < len(tokens):
        size = next((n for n in range(_LONGEST, 0, -1) if tuple(tokens[i : i + n]) in _PHRASES
                     and not used.intersection(range(i, i + n))), 0)
        if not size or _CRITICS & set(tokens[i + size : i + size + 3]):
            i += 1
            continue
        direction = _PHRASES[tuple(tokens[i : i + size])]
        used.update(range(i, i + size))
        wish: dict[str, Any] = {"slot": "mpaa", "values": list(_PLAIN[direction]),
                                "exclude": False, "relative": direction}
        if direction == "milder" and _FOR_CHILDREN & set(tokens[i : i + size]):
            wish["cap"] = list(CHILD_CAP)
        hits.append((i, i + size, wish))
        i += size
    return hits


def stepped_ratings(direction: str, rating: object, cap: Sequence[str] = ()) -> list[str] | None:
    """The ratings milder or stronger than ``rating``; [``rating``] at the end of the scale;
    None when ``rating`` is no MPAA rating to count from. ``cap``: the most they may be ("more
    kid friendly" than an R film: G or PG)."""
    if rating not in ORDER:
        return None
    at = ORDER.index(str(rating))
    found = list(ORDER[:at] if direction == "milder" else ORDER[at + 1 :])
    if cap:
        found = [r for r in found if r in cap] or ([str(rating)] if rating in cap else list(cap))
    return found or [str(rating)]


def step_note(nlu: Mapping[str, Any], film: Mapping[str, Any] | None) -> list[str]:
    """What the step counted from: "The Shining has an R rating, so I'll look for one below that."."""
    direction = next((c["relative"] for c in nlu.get("constraints") or ()
                      if c.get("slot") == "mpaa" and c.get("relative") in _PLAIN), None)
    if direction is None or not film or not film.get("title"):
        return []
    title, rating = film["title"], film.get("mpaa")
    if rating not in ORDER:
        return [f"My catalogue has no MPAA rating for {title}, so I can't count from it; "
                f"I'll go by the ratings themselves."]
    edge = "G" if direction == "milder" else "NC-17"
    if rating == edge:
        mildest = "the mildest" if direction == "milder" else "the strongest"
        return [f"{title} has {_article(rating)} {rating} rating already, {mildest} there is, "
                f"so I'll keep to {rating}."]
    way = "below" if direction == "milder" else "above"
    # "has an R rating", not "is rated R": the next film's own rating is said as "rated"
    return [f"{title} has {_article(rating)} {rating} rating, so I'll look for one {way} that."]


def _article(rating: str) -> str:
    return "an" if rating[0] in "RN" else "a"
