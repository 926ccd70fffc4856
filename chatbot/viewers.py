"""Whose taste a wish is: the user's, or another viewer's ("my wife likes thrillers"). Pure.

Wishes that different people in the room hold are alternatives, not one film that is all of
them: "I like comedies, my wife likes thrillers" asks for a film the two can share, a comedy
or a thriller, and one that is both where the catalogue has it (the ranking's genre fit is a
mean over the genres asked for, so a film of both comes first). A viewer is named by a subject
and a taste verb right after it: "he wants", "she'd like", "my husband loves", "the kids are
into", "I prefer". Example::

    tokens = "i like comedies , my wife likes thrillers".split()
    viewer_starts(tokens)        # [(0, "i"), (4, "wife")]
    viewer_of(tokens, 6)         # "wife"

``shared`` makes such wishes one (``"shared": True``: any of its values, and ``all_of`` asks
for every value, which the dialog tries first).
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.text import indefinite_article

_SUBJECTS = frozenset("i we he she they im".split())
_PEOPLE = frozenset("""wife husband partner girlfriend boyfriend gf bf fiance fiancee son
    daughter kid kids child children mom mum dad mother father brother sister friend friends
    roommate flatmate spouse hubby wifey boy girl boys girls grandma grandpa nan family
    youngest oldest teen teenager missus""".split())
_OWNERS = frozenset("my our the his her".split())
_TASTE = frozenset("""like likes love loves want wants prefer prefers enjoy enjoys fancy fancies
    dig digs adore adores needs need wanna into would d s is are am likes""".split())
_STRONG_TASTE = _TASTE - {"is", "are", "am", "s", "d", "would"}
NOTE = "You like different things, so I'll look for {values}, one with {all} where I can."


def viewer_starts(tokens: Sequence[str]) -> list[tuple[int, str]]:
    """Where each viewer's wishes begin, and who: a subject ("she", "my wife") with a taste
    verb within the next words ("she likes", "my wife is into"); the user from 0 ("i")."""
    starts = [(0, "i")]
    for i in range(len(tokens)):
        size = _subject_size(tokens, i)
        if size and _tasting(tokens[i + size : i + size + 3]):
            who = "i" if tokens[i] == "im" else tokens[i + size - 1]
            starts = [*starts, (i, who)] if i else [(0, who)]
    return starts


def viewer_of(tokens: Sequence[str], index: int, starts: Sequence[tuple[int, str]] = ()) -> str:
    """Who holds the wish said at ``index``: "i" (the user), or the viewer named before it."""
    found = "i"
    for start, who in starts or viewer_starts(tokens):
        if start <= index:
            found = who
    return found


def _subject_size(tokens: Sequence[str], i: int) -> int:
    if tokens[i] in _SUBJECTS:
        return 1
    if tokens[i] in _OWNERS and i + 1 < len(tokens) and tokens[i + 1] in _PEOPLE:
        return 2
    return 0


def _tasting(after: Sequence[str]) -> bool:
    """"likes", "'s into", "would like", "is more into": a taste verb in these words."""
    return bool(after) and (after[0] in _STRONG_TASTE or (
        after[0] in _TASTE and any(w in _STRONG_TASTE for w in after[1:])))


def shared(constraints: Sequence[dict], holders: Sequence[str]) -> list[dict]:
    """``constraints`` with the genre wishes of different viewers (``holders[k]`` holds
    ``constraints[k]``) made one wish for any of them, placed where the first was; exclusions
    and other slots stay as they are (each viewer's "no horror" holds for the film)."""
    tastes = [k for k, c in enumerate(constraints) if c["slot"] == "genre" and not c["exclude"]]
    if len({holders[k] for k in tastes}) < 2:
        return list(constraints)
    values = list(dict.fromkeys(v for k in tastes for v in constraints[k]["values"]))
    merged = dict(constraints[tastes[0]], values=values, shared=True)
    return [merged if k == tastes[0] else c for k, c in enumerate(constraints) if k not in tastes[1:]]


def shared_note(constraints: list[dict]) -> list[str]:
    """The note saying so when ``shared`` made the tastes one wish."""
    notes = []
    for c in constraints:
        if c.get("shared"):
            names = ["an animated film" if v == "animation" else f"{indefinite_article(v)} {v} film"
                     for v in c["values"]]
            notes.append(NOTE.format(values=", ".join(names[:-1]) + " or " + names[-1],
                                     all="both" if len(names) == 2 else "all of them"))
    return notes


def all_of(wishes: Sequence[dict]) -> list[dict] | None:
    """``wishes`` with each shared taste asked for in full (a film of every genre in it: a
    comedy thriller for "I like comedies, my wife likes thrillers"), to be tried before the
    shared wish itself; None when no wish is shared."""
    if not any(w.get("shared") for w in wishes):
        return None
    found: list[dict] = []
    for wish in wishes:
        if wish.get("shared"):
            found += [{"slot": wish["slot"], "values": [v], "exclude": False} for v in wish["values"]]
        else:
            found.append(dict(wish))
    return found


MILDER = ("G", "PG", "PG-13")  # horror for a viewer who scares easily: rated PG-13 or lower
_FEAR_OBJECT = frozenset("with of about at for by".split())  # "a big baby with horror"
_MILD_NOTE = ("Someone watching frightens easily, so I'll keep to milder horror: films rated "
              "PG-13 or lower.")
_THRILLS_NOTE = ("Someone watching frightens easily, so I'll leave out horror films but keep "
                 "the thrillers you asked for.")


def settle_fright(hits: list[tuple], tokens: Sequence[str], notes: Sequence[list[str]],
                  sensitive_note: str) -> list[tuple]:
    """``hits`` (``(start, end, constraint)``) with a viewer who scares easily made one with
    the genres asked for: a genre just after the fear ("a big baby with horror") is what they
    fear, not a wish; a scary genre asked for outright is kept, not also denied ("horror but I
    get scared easily": milder horror, rated PG-13 or lower; "I scare easily, but I love
    thrillers": no horror, thrillers kept). Each list of ``notes`` is updated to say which."""
    fear = next((h for h in hits if h[2]["slot"] == "genre" and h[2]["exclude"]
                 and set(h[2]["values"]) == {"horror", "thriller"}), None)
    if fear is None or not any(sensitive_note in n for n in notes):
        return hits
    feared = [h for h in hits if h[2]["slot"] == "genre" and not h[2]["exclude"]
              and h[0] - fear[1] in (0, 1, 2) and _FEAR_OBJECT & set(tokens[fear[1] - 1 : h[0]])]
    hits = [h for h in hits if h not in feared]
    wanted = {v for h in hits if h[2]["slot"] == "genre" and not h[2]["exclude"]
              for v in h[2]["values"]}
    kept = [v for v in fear[2]["values"] if v not in wanted]
    if kept == list(fear[2]["values"]):
        return hits
    start, end, constraint = fear
    hits = [h for h in hits if h is not fear]
    if kept:
        hits.append((start, end, dict(constraint, values=kept)))
    note = _MILD_NOTE if "horror" in wanted else _THRILLS_NOTE
    for said in notes:
        said[:] = [note if n == sensitive_note else n for n in said]
    if "horror" in wanted:
        if not any(h[2]["slot"] == "mpaa" for h in hits):
            hits.append((start, end, {"slot": "mpaa", "values": list(MILDER), "exclude": False,
                                      "_fixed": True}))
    return sorted(hits, key=lambda h: h[0])
