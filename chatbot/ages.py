"""A film's age said against a film: "ugh, ancient", "more recent than that", "Rear Window is
too old", "older than Jaws is fine".

Each is a release-year wish relative to a film (``"relative": "newer"`` or ``"older"``,
resolved by ``chatbot.wishes`` against the film's year): the film named in the words when
there is one (``age_hits`` returns its title), else the film on the table. With no film at
all the wish falls back to the plain reading ("something more recent": 2010 or later).
Pure; no IO. Example::

    age_hits(clause_tokens("rear window is way too old for me"), index.exact)
    # ([(0, 6, {'slot': 'year', 'range': [2010, None], 'exclude': False,
    #           'relative': 'newer'})], 'Rear Window')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatbot.complaints import NEWER_FROM, OLDER_UNTIL
from chatbot.constraints import clearly_shorter, minutes, years
from chatbot.cues import BOUNDARY
from chatbot.spans import fold_ranges

MAX_TITLE_WORDS = 6
SHORT_UNTIL, LONG_FROM = 100, 120  # minutes, as "something short" / "something long" read
# the film as subject: "<title> is (way / a bit) too old", "<title> feels dated"
_VERBS = frozenset("is s was are were looks looked seems seemed feels felt".split())
_DEGREES = frozenset("way a bit little much far just kinda kind of rather pretty so really "
                     "super very too".split())
_TOO_OLD = frozenset("old dated ancient retro oldfashioned".split())
_TOO_NEW = frozenset("new recent modern".split())
# a film's age complained of in a word, where it ends a clause: "ugh, ancient", "so old lol"
_OLD_ALONE = frozenset("ancient dated outdated prehistoric antique oldfashioned".split())
_STRONG = frozenset("so really super very way too soooo sooo".split())
_CLAUSE_TAILS = frozenset("lol lmao tbh honestly though tho man sorry".split())
_DENIALS = frozenset("not no nothing isnt wasnt never without".split())
# "more recent (than that)", "less dated": newer or older than a film
_MORE = {("more", "recent"): "newer", ("more", "modern"): "newer", ("more", "current"): "newer",
         ("less", "old"): "newer", ("less", "dated"): "newer", ("less", "ancient"): "newer",
         ("less", "recent"): "older", ("less", "modern"): "older", ("less", "new"): "older",
         ("more", "classic"): "older", ("more", "old"): "older"}
_COMPARATIVES = {"older": "older", "earlier": "older", "newer": "newer", "later": "newer",
                 "shorter": "shorter", "longer": "longer"}  # "shorter than Titanic": its length
_SIDES = {"before": "older", "after": "newer", "prior": "older"}  # "something before Titanic"
_AGES_PAST = (("stone", "age"), ("dark", "ages"))
_POINTERS = frozenset(("it", "its", "this", "that", "thats", "one", "this one", "that one",
                       "the one", "the movie", "the film", "this movie", "that movie", "them"))


def age_hits(tokens: Sequence[str], title: Callable[[str], str | None] | None = None,
             everyday: Callable[[str], bool] = lambda said: False
             ) -> tuple[list[tuple[int, int, dict[str, Any]]], str | None]:
    """``([(start, end, wish)], title named or None)`` for the age wishes in ``tokens``
    (folded, ``chatbot.cues.clause_tokens``); ``title`` finds a catalogue title by its words;
    ``everyday`` tells words written as plain English ("before the end": no film *The End*)."""
    hits: list[tuple[int, int, dict[str, Any]]] = []
    named: str | None = None
    i = 0
    while i < len(tokens):
        found = _named_age(tokens, i, title, everyday) if title else None
        if found is None:
            found = _compared(tokens, i) or _alone(tokens, i)
        if found is None:
            i += 1
            continue
        start, end, relative, film = found  # the film named goes with its own wish
        hits.append((start, end, dict(_wish(relative), than=film) if film else _wish(relative)))
        named = named or film
        i = end
    return hits, named


def _wish(relative: str) -> dict[str, Any]:
    if relative in ("shorter", "longer"):  # with no film to count from: as "something short"
        wish = minutes(None, SHORT_UNTIL) if relative == "shorter" else minutes(LONG_FROM, None)
    else:
        wish = years(NEWER_FROM, None) if relative == "newer" else years(None, OLDER_UNTIL)
    return dict(wish, relative=relative)


def _named_age(tokens: Sequence[str], i: int, title: Callable[[str], str | None],
               everyday: Callable[[str], bool] = lambda said: False
               ) -> tuple[int, int, str, str | None] | None:
    """"rear window is way too old", "older than jaws", "more recent than casablanca"."""
    if tokens[i] in _SIDES and i + 1 < len(tokens) and _title_from(tokens, i, title) is None:
        # "before Titanic", "after that one" (but "Before Sunrise", "After Hours": titles)
        j = i + 2 if tokens[i] == "prior" and tokens[i + 1 : i + 2] == ["to"] else i + 1
        if j < len(tokens) and tokens[j] in ("that", "this") and tokens[j + 1 : j + 2] == ["one"]:
            return i, j + 2, _SIDES[tokens[i]], None
        film = _title_from(tokens, j, title)
        if film and everyday(" ".join(tokens[j : film[1]])):
            return None  # "i'd crash before the end": words, not *The End*
        return (i, film[1], _SIDES[tokens[i]], film[0]) if film else None
    relative, j = _comparison_at(tokens, i)
    if relative is not None and j < len(tokens) and tokens[j] == "than":
        if j + 1 < len(tokens) and tokens[j + 1].isdigit():  # "older than 10 years": an age
            return None
        film = _title_from(tokens, j + 1, title)
        if film is not None:
            return i, film[1], relative, film[0]
        return None
    film = _title_from(tokens, i, title)
    if film is None or film[1] >= len(tokens) or tokens[film[1]] not in _VERBS:
        return None
    k = film[1] + 1
    while k < len(tokens) and tokens[k] in _DEGREES and tokens[k] != "too":
        k += 1
    complained = _complaint_at(tokens, k)
    if complained is None:
        return None
    return i, complained[1], complained[0], film[0]


def _comparison_at(tokens: Sequence[str], i: int) -> tuple[str | None, int]:
    """The comparison opening at ``i`` ("older", "more recent") and where it ends."""
    if tokens[i] in _COMPARATIVES:
        return _COMPARATIVES[tokens[i]], i + 1
    pair = tuple(tokens[i : i + 2])
    return (_MORE[pair], i + 2) if pair in _MORE else (None, i)


def _complaint_at(tokens: Sequence[str], k: int) -> tuple[str, int] | None:
    """"too old", "too new", "ancient", "dated" at ``k``: the direction and the end."""
    if k < len(tokens) and tokens[k] in ("too", "overly") and k + 1 < len(tokens):
        word = tokens[k + 1]
        if word in _TOO_OLD or word in _TOO_NEW:
            return ("newer" if word in _TOO_OLD else "older"), k + 2
    if k < len(tokens) and (tokens[k] in _OLD_ALONE or tokens[k] == "old"):
        return "newer", k + 1
    return None


def _title_from(tokens: Sequence[str], start: int, title: Callable[[str], str | None]
                ) -> tuple[str, int] | None:
    """The longest catalogue title opening at ``start`` (no pointing word: "it", "that one")."""
    for size in range(min(MAX_TITLE_WORDS, len(tokens) - start), 0, -1):
        words = tokens[start : start + size]
        said = " ".join(words)
        if BOUNDARY in words or said in _POINTERS or said.isdigit():  # "older than 1941": a year
            continue
        found = title(said)
        if found and start + size < len(tokens) and tokens[start + size].isdigit():
            return None  # "terminator 2": a sequel whose number is no part of any title known
        if found:
            return found, start + size
    return None


def _compared(tokens: Sequence[str], i: int) -> tuple[int, int, str, None] | None:
    """"something more recent (than that)", "less dated": against the film on the table."""
    pair = tuple(tokens[i : i + 2])
    if pair not in _MORE:
        return None
    end = i + 2
    if end < len(tokens) and tokens[end] == "than" and end + 1 < len(tokens) and \
            tokens[end + 1] in ("that", "this", "it", "thats", "the"):
        end += 2
        if end < len(tokens) and tokens[end] in ("one", "film", "movie"):
            end += 1
    return i, end, _MORE[pair], None


def _alone(tokens: Sequence[str], i: int) -> tuple[int, int, str, None] | None:
    """"ugh, ancient", "that's so old lol", "kinda dated tbh": the word ends its clause; "old
    as dirt" says it too."""
    word = tokens[i]
    if tuple(tokens[i : i + 2]) in _AGES_PAST and _said_of_film(tokens, max(0, i - 2) if tokens[i - 2 : i] == [
            "from", "the"] else i):
        return i, i + 2, "newer", None  # "it's from the stone age"
    if word == "old" and tokens[i + 1 : i + 2] == ["as"] and len(tokens) > i + 2 and _said_of_film(tokens, i):
        return i, i + 3, "newer", None  # "old as dirt", "that's old as the hills"
    strong_old = word == "old" and i and (tokens[i - 1] in _STRONG and tokens[i - 1] != "too"
                                           or _hedged_of_film(tokens, i))
    if word not in _OLD_ALONE and not strong_old:
        return None
    following = tokens[i + 1] if i + 1 < len(tokens) else BOUNDARY
    if following not in (BOUNDARY, "for") and following not in _CLAUSE_TAILS:
        return None  # "ancient rome", "an old classic": a wish of its own
    if _denied(tokens, i):
        return None  # "it's not that old"
    return (i - 1 if strong_old else i), i + 1, "newer", None


def _hedged_of_film(tokens: Sequence[str], i: int) -> bool:
    """"it's kinda old tho", "the film is pretty old", "that's a bit old": a hedged age said
    of the film on the table is a complaint too (not "something kinda old", "a movie that's
    pretty old": a wish for old films)."""
    if tokens[i - 1] not in _HEDGES:
        return False
    at = i - 2 - (tokens[i - 2 : i - 1] == ["a"])  # "a bit old"
    if at < 0 or tokens[at] not in _COPULAS:
        return False
    before = tokens[max(0, at - 2) : at]
    return before[:1] in (["the"], ["this"], ["that"]) or not set(before) & _WISHED_THINGS


_HEDGES = frozenset("kinda kind sorta pretty quite rather fairly bit little tad".split())
_COPULAS = frozenset("its thats is s was feels looks seems".split())
_WISHED_THINGS = frozenset("something anything movie movies film films stuff want wanna need a".split())


def _said_of_film(tokens: Sequence[str], at: int) -> bool:
    """Only chat and the film as subject open the clause before ``at`` ("ugh, that's old as
    dirt"; not "a movie as old as my dad", "an old as hell western")."""
    j = at - 1
    while j >= 0 and tokens[j] != BOUNDARY:
        if tokens[j] not in _SUBJECT_WORDS:
            return False
        j -= 1
    return True


_SUBJECT_WORDS = frozenset("""it its that thats this one ones the movie film is s was looks looked feels felt seems
    seemed ugh lol man god omg wow so like literally honestly hmm um well oh just kinda""".split())


def _denied(tokens: Sequence[str], at: int) -> bool:
    for j in range(at - 1, max(-1, at - 5), -1):
        if tokens[j] == BOUNDARY:
            return False
        if tokens[j] in _DENIALS:
            return True
    return False


def with_reference(understanding: dict[str, Any], find_title: Callable[[str], Mapping[str, Any] | None]
                   ) -> dict[str, Any]:
    """"newer than Terminator 2", "shorter than Titanic but longer than Toy Story": a wish
    compared with a film named (``"than"``) counts from that film's year or length, each from
    its own; "like Jurassic Park but newer": a relative wish said beside a film liked is
    relative to that film (its year and length go with the understanding as ``reference``);
    ``find_title`` gives a catalogue film by title, or None."""
    understanding = _counted_from_named(understanding, find_title)
    titles = understanding.get("titles") or ()
    if not titles or not any("relative" in c for c in understanding.get("constraints") or ()):
        return understanding
    movie = find_title(titles[0])
    if movie is None:  # "like The Wizard of Oz but more modern", a film not in the catalogue:
        # nothing to count from (its "Sorry, I don't know" is said), and no "2010 or later"
        return dict(understanding, constraints=[c for c in understanding.get("constraints") or ()
                                                if "relative" not in c])
    return dict(understanding, reference={"year": movie.get("year"),
                                          "runtime_min": movie.get("runtime_min")})


def _counted_from_named(understanding: dict[str, Any],
                        find_title: Callable[[str], Mapping[str, Any] | None]) -> dict[str, Any]:
    """Each wish compared with a film named made a plain range from that film ("than" kept to
    say it was a wish against a film); ranges said together folded into one."""
    wishes = understanding.get("constraints") or ()
    if not any(c.get("than") for c in wishes):
        return understanding
    resolved = [_counted_from(c, find_title(c["than"])) if c.get("than") else c for c in wishes]
    return dict(understanding, constraints=fold_ranges(resolved))


def _counted_from(wish: Mapping[str, Any], movie: Mapping[str, Any] | None) -> dict[str, Any]:
    relative = wish.get("relative")
    value = (movie or {}).get("year" if relative in ("older", "newer") else "runtime_min")
    if not isinstance(value, int):  # a film without that figure: the plain reading stays
        return {k: v for k, v in wish.items() if k != "than"}
    below = relative in ("older", "shorter")
    bounds = [None, value - 1] if below else [value + 1, None]
    if relative == "shorter":  # "like titanic but shorter": clearly shorter, not a minute
        bounds = [None, clearly_shorter(value)]
    return dict({k: v for k, v in wish.items() if k != "relative"}, range=bounds)


_UNDER = (("less", "than"), ("under",), ("younger", "than"), ("newer", "than"), ("at", "most"))
_OVER = (("more", "than"), ("over",), ("older", "than"), ("at", "least"))
_YEAR_UNITS = frozenset("years year yrs yr".split())
_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}


def years_old(tokens: Sequence[str], last_year: int | None
              ) -> list[tuple[int, int, dict[str, Any]]]:
    """A film's age in years, counted back from ``last_year`` (the catalogue's latest): "less
    than 10 years old", "under five years old" (released since), "over 30 years old",
    "older than 20 years" (released before). A denial before it is the caller's to apply
    ("not older than 10 years", "no more than five years old": nothing older)."""
    if not last_year:
        return []
    hits = []
    for i in range(len(tokens)):
        for words, under in [(w, True) for w in _UNDER] + [(w, False) for w in _OVER]:
            at = i + len(words)
            if tuple(tokens[i:at]) != words or at + 1 >= len(tokens):
                continue
            count = int(tokens[at]) if tokens[at].isdigit() else _COUNTS.get(tokens[at])
            if count is None or tokens[at + 1] not in _YEAR_UNITS or not 0 < count <= 100:
                continue
            end = at + 3 if at + 2 < len(tokens) and tokens[at + 2] == "old" else at + 2
            if words[0] in ("older", "newer") or end == at + 3:  # "over 10 years" is a runtime's
                wish = years(last_year - count + 1, None) if under else years(None, last_year - count)
                hits.append((i, end, wish))
    return hits
