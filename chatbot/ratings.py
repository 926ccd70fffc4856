"""MPAA ratings in what people say: a named rating ("rated R", "PG-13"), a bound ("nothing
above PG-13", "PG at most", "R or lower"), an age ("for my 9 year old") or "kid-friendly".
Pure; no IO. Tokens as ``chatbot.cues.clause_tokens`` gives them.

Ratings are ordered ``G < PG < PG-13 < R < NC-17``. A bound becomes one constraint listing
every rating it allows (``"at most PG-13"`` -> ``["G", "PG", "PG-13"]``); a denied bound
("nothing above PG-13", "no higher than PG") allows the others. An age asks for what the MPAA
deems suitable: under 13 G or PG, under 17 up to PG-13. Example::

    rating_hits(clause_tokens("nothing above PG-13 please"), negated=..., ratings=ORDER)
    # [(1, 4, {"slot": "mpaa", "values": ["G", "PG", "PG-13"], "exclude": False}, True)]

Each hit is ``(start, end, constraint, fixed)``: ``fixed`` means the polarity is final (the
negation was already read), else the caller applies the negation scope to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.durations import NUMBER_WORDS

ORDER = ("G", "PG", "PG-13", "R", "NC-17")
CHILD_AGE = 13  # under this: G or PG
TEEN_AGE = 17  # under this: up to PG-13
KID_RATINGS = ("G", "PG")
TEEN_RATINGS = ("G", "PG", "PG-13")
PATTERNS = (
    (re.compile(r"\bnc ?17\b"), "NC-17"),
    (re.compile(r"\b(?:x rated|rated x)\b"), "NC-17"),
    (re.compile(r"\bpg ?(?:13|thirteen)\b"), "PG-13"),
    (re.compile(r"\b(?:pg|parental guidance)\b"), "PG"),
    (re.compile(r"\b(?:rated r|r rated|rating r|restricted)\b"), "R"),
    (re.compile(r"\b(?:rated g|g rated|rating g|general audiences?)\b"), "G"),
)
LONE = {"r": "R", "g": "G"}
# a rating said alone ("R", "pg-13", "rated r"), as ``chatbot.text.fold`` folds it: a wish,
# never the film that happens to bear the name ("no R please" is no ask for R (2010))
_NAMES = frozenset(("r", "g", "x", "pg", "pg13", "nc17", "pg 13", "nc 17", *(
    f"{a} {b}" for r in ("r", "g", "x", "pg", "pg 13", "nc 17")
    for a, b in (("rated", r), (r, "rated")))))
# (words, direction, inclusive): before the rating, then after it
_BEFORE = (
    (("at", "most"), -1, True), (("up", "to"), -1, True), (("max",), -1, True),
    (("maximum",), -1, True), (("above",), 1, False), (("over",), 1, False),
    (("higher", "than"), 1, False), (("more", "than"), 1, False), (("stronger", "than"), 1, False),
    (("beyond",), 1, False), (("past",), 1, False), (("worse", "than"), 1, False),
    (("below",), -1, False), (("under",), -1, False), (("lower", "than"), -1, False),
    (("less", "than"), -1, False), (("milder", "than"), -1, False), (("at", "least"), 1, True),
    (("minimum",), 1, True), (("less", "then"), -1, False), (("higher", "then"), 1, False),
)
_AFTER = (
    (("at", "most"), -1, True), (("at", "the", "most"), -1, True), (("max",), -1, True),
    (("maximum",), -1, True), (("or", "lower"), -1, True), (("or", "below"), -1, True),
    (("or", "less"), -1, True), (("or", "under"), -1, True), (("and", "below"), -1, True),
    (("and", "under"), -1, True), (("and", "lower"), -1, True), (("tops",), -1, True),
    (("or", "higher"), 1, True), (("or", "above"), 1, True), (("and", "above"), 1, True),
    (("and", "up"), 1, True), (("or", "more"), 1, True), (("at", "least"), 1, True),
    (("or", "milder"), -1, True), (("or", "younger"), -1, True),
    # "nothing rated R or worse", "no PG-13 or anything stronger": that rating and the ones above
    (("or", "worse"), 1, True), (("and", "worse"), 1, True), (("or", "anything", "worse"), 1, True),
    (("or", "anything", "higher"), 1, True), (("or", "anything", "above"), 1, True),
    (("or", "stronger"), 1, True), (("or", "anything", "stronger"), 1, True),
    (("or", "harsher"), 1, True), (("and", "higher"), 1, True), (("or", "up"), 1, True),
    (("or", "over"), 1, True), (("and", "over"), 1, True), (("or", "racier"), 1, True),
    (("or", "anything", "more"), 1, True),
)
_FRIENDLY = (("kid", "friendly"), ("kids", "friendly"), ("family", "friendly"),
             ("child", "friendly"), ("children", "friendly"), ("kid", "safe"),
             ("family", "safe"), ("safe", "for", "kids"), ("ok", "for", "kids"),
             ("okay", "for", "kids"), ("fine", "for", "kids"), ("suitable", "for", "kids"),
             ("suitable", "for", "children"), ("appropriate", "for", "kids"),
             ("appropriate", "for", "children"), ("ok", "for", "children"),
             ("safe", "for", "children"), ("ok", "for", "the", "kids"),
             ("fine", "for", "the", "kids"), ("safe", "for", "the", "kids"),
             ("suitable", "for", "the", "kids"), ("for", "all", "ages"), ("all", "ages"))
_TEENS = (("for", "teens"), ("for", "teenagers"), ("for", "a", "teenager"), ("for", "my", "teenager"),
          ("for", "my", "teen"), ("teen", "friendly"), ("with", "my", "teenager"),
          ("with", "teenagers"), ("with", "my", "teens"), ("for", "my", "teens"))
_FRIENDLY_FIRST = frozenset(words[0] for words in (*_FRIENDLY, *_TEENS))
_AGE_UNITS = (("year", "old"), ("years", "old"), ("yo",), ("yr", "old"), ("yrs", "old"),
              ("year", "olds"), ("years", "olds"), ("y", "o"))


def names_rating(folded: str) -> bool:
    """``folded`` (words as ``fold`` gives them) is a rating's name: "r", "pg 13", "rated r"."""
    return folded.strip() in _NAMES


def rating_hits(tokens: Sequence[str], negated: Sequence[bool], ratings: Sequence[str],
                expect: str | None = None, used: set[int] | None = None) -> list[tuple]:
    """Every rating wish in ``tokens``, left to right; marks the tokens it reads in ``used``."""
    used = set() if used is None else used
    hits = _friendly(tokens, used) + _ages(tokens, used, expect == "mpaa") + _children_watching(tokens, used)
    if any(h[2].get("audience") for h in hits):  # "ok for kids? my 8yo is here": the same child
        hits = [(s, e, dict(c, audience=True), f) for s, e, c, f in hits]
    text = " ".join(tokens)
    named: list[tuple[int, int, str]] = []
    for pattern, rating in PATTERNS:
        for match in pattern.finditer(text):
            span = _token_span(text, match.start(), match.end())
            if rating in ratings and not used.intersection(span):
                used.update(span)
                named.append((span.start, span.stop, rating))
    rated = {i for s, e, _r in named for i in range(s, e)}
    for i, token in enumerate(tokens):
        lone = LONE.get(token)
        beside = bool(rated & {i - 2, i + 2}) and bool({"or", "and"} & {
            tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens)})  # "PG-13 or R"
        if lone is not None and lone in ratings and i not in used and (
                expect == "mpaa" or negated[i] or beside or _bound_at(tokens, i, i + 1)
                or _accepted_at(tokens, i) or len(tokens) == 1):  # "r" alone: a rating
            used.add(i)
            named.append((i, i + 1, lone))
    if named and not _only_refused(tokens, named, negated):  # "PG-13 please, my kid is 12": the
        hits = [h for h in hits if not h[2].get("audience")]  # rating said outright, not the age's
    for start, end, rating in sorted(named):
        hits.append(_bounded(tokens, start, end, rating, negated, ratings, used))
    return sorted(hits, key=lambda h: h[0])


def _only_refused(tokens: Sequence[str], named: Sequence[tuple[int, int, str]],
                  negated: Sequence[bool]) -> bool:
    """Every rating named is refused outright ("NOT R!! my kids are 8 and 10"): the children's
    ages still bound the rating, a refusal says nothing of what is allowed."""
    return all(negated[s] and _bound_at(tokens, s, e) is None for s, e, _r in named)


def _bounded(tokens: Sequence[str], start: int, end: int, rating: str,
             negated: Sequence[bool], ratings: Sequence[str], used: set[int]) -> tuple:
    """The hit for ``rating`` at ``[start, end)``, widened over a bound said around it."""
    bound = _bound_at(tokens, start, end)
    if bound is None:
        return start, end, {"slot": "mpaa", "values": [rating], "exclude": False}, False
    first, last, direction, inclusive = bound
    used.update(range(first, last))
    at = ORDER.index(rating)
    allowed = (ORDER[: at + inclusive] if direction < 0 else ORDER[at + (not inclusive) :])
    if negated[start] or negated[first]:  # "nothing above PG-13": the rest
        allowed = tuple(r for r in ORDER if r not in allowed)
    values = [r for r in allowed if r in ratings]
    return min(first, start), max(last, end), {"slot": "mpaa", "values": values or [rating],
                                                "exclude": False}, True


def _bound_at(tokens: Sequence[str], start: int, end: int
              ) -> tuple[int, int, int, bool] | None:
    """``(first, last, direction, inclusive)`` of a bound word before or after a rating."""
    for words, direction, inclusive in _BEFORE:
        n = len(words)
        if tuple(tokens[max(0, start - n) : start]) == words and start >= n:
            return start - n, end, direction, inclusive
    for after, direction, inclusive in _AFTER:
        if tuple(tokens[end : end + len(after)]) == after and not _amount_at(tokens, end + len(after)):
            return start, end + len(after), direction, inclusive
    return None


def _amount_at(tokens: Sequence[str], i: int) -> bool:
    """"R and under 2 hours", "PG or under an hour": a number after the bound word bounds
    a length (or an age), never the rating before it."""
    return i < len(tokens) and (tokens[i].isdigit() or tokens[i] in NUMBER_WORDS)


def _accepted_at(tokens: Sequence[str], i: int) -> bool:
    """A lone "r" / "g" said to be acceptable at any question: "r is fine", "r ok", "im ok with
    r", "even r is ok", "g only"."""
    after = [t for t in tokens[i + 1 : i + 4] if t not in _ACCEPT_FILLERS][:1]
    before = tuple(tokens[max(0, i - 2) : i])
    return bool(set(after) & _ACCEPT_WORDS) or before[-1:] in (("even",), ("allow",)) or (
        len(before) == 2 and before[0] in _ACCEPT_WORDS and before[1] == "with")


_ACCEPT_FILLERS = frozenset("is s would be rating rated movies films too also".split())
_ACCEPT_WORDS = frozenset("""fine ok okay alright good works allowed acceptable only cool
    great please pls plz""".split())
_ONLY = frozenset("only just barely".split())


def _children_watching(tokens: Sequence[str], used: set[int]) -> list[tuple]:
    """Children among the audience, with no age: "kids will watch", "watching with my kids",
    "the children are watching too": G or PG. ("the kids are in bed" says nothing.)"""
    for i, token in enumerate(tokens):
        if token not in _CHILDREN or token == "ones" or i in used:
            continue
        near = set(tokens[i + 1 : i + 4]) | set(tokens[max(0, i - 3) : i])
        if near & _WATCH_VERBS:
            used.add(i)
            return [(i, i + 1, {"slot": "mpaa", "values": list(KID_RATINGS), "exclude": False,
                                "audience": True}, True)]
    return []


_WATCH_VERBS = frozenset("watch watching watches watched".split())


def _friendly(tokens: Sequence[str], used: set[int]) -> list[tuple]:
    """"kid-friendly", "ok for kids": G or PG; "for teenagers": up to PG-13."""
    hits = []
    for i in range(len(tokens)):
        if tokens[i] not in _FRIENDLY_FIRST:
            continue
        for table, values in ((_FRIENDLY, KID_RATINGS), (_TEENS, TEEN_RATINGS)):
            for words in table:
                if tuple(tokens[i : i + len(words)]) == words and not used.intersection(
                        range(i, i + len(words))):
                    used.update(range(i, i + len(words)))
                    hits.append((i, i + len(words), {"slot": "mpaa", "values": list(values),
                                                     "exclude": False}, True))
    return hits


def _ages(tokens: Sequence[str], used: set[int], asked: bool = False) -> list[tuple]:
    """Who is watching, by age: "for my 9 year old", "my 6 year old wants ...", "the kids are
    7 and 10", "kids (5 and 8)", "my toddler". The youngest decides (none from 17 up). With
    the rating question open (``asked``), "teens" or "they're 14 and 16" alone say it too."""
    if asked and (bare := _bare_ages(tokens, used)):
        return bare
    ages: list[tuple[int, int, int]] = []  # (age, start, end)
    for i, token in enumerate(tokens):
        if i in used:
            continue
        if token in _YOUNG_WORDS and set(_AUDIENCE_BEFORE) & set(tokens[max(0, i - 2) : i]) or (
                token in _TEEN_WORDS and (asked or _teens_watching(tokens, i))):
            ages.append((_YOUNG_WORDS.get(token, CHILD_AGE), i, i + 1))
            continue
        if token in _SCHOOLERS and set(_AUDIENCE_BEFORE) & set(tokens[max(0, i - 3) : i]):
            ages.append((_SCHOOLERS[token] if tokens[i - 1 : i] != ["high"] else CHILD_AGE, i, i + 1))
            continue  # "my grade schooler", "a first grader", "our high schooler"
        glued = _GLUED_AGE.fullmatch(token)  # "my 6yo", "the 10yos", "a 7yr old"
        if glued and (set(_AUDIENCE_BEFORE) & set(tokens[max(0, i - 2) : i]) or _child_after(
                tokens, i + 1 + (tokens[i + 1 : i + 2] == ["old"]))) and 0 < int(glued[1]) < 100:
            ages.append((int(glued[1]), i, i + 1 + (tokens[i + 1 : i + 2] == ["old"])))
            continue
        if not token.isdigit() or not 0 < int(token) < 100:
            continue
        unit = next((u for u in _AGE_UNITS if tuple(tokens[i + 1 : i + 1 + len(u)]) == u), None)
        before = set(tokens[max(0, i - 3) : i])
        if unit is not None and (_HOLDERS & before or _after_children(tokens, i) or _child_after(
                tokens, i + 1 + len(unit)) or (set(_AUDIENCE_BEFORE) & before or i == 0) and (
                _WATCHING & set(tokens) or unit in _SHORT_UNITS)):  # "my 8 y/o": a child's age
            ages.append((int(token), i, i + 1 + len(unit)))
        elif unit is None and _after_children(tokens, i):
            ages.append((int(token), i, i + 1))
    if not ages:
        return []
    youngest = min(a for a, _s, _e in ages)
    for _age, start, end in ages:
        used.update(range(start, end))
    if youngest >= TEEN_AGE:
        return []
    values = list(KID_RATINGS if youngest < CHILD_AGE else TEEN_RATINGS)
    start, end = min(s for _a, s, _e in ages), max(e for _a, _s, e in ages)
    return [(start, end, {"slot": "mpaa", "values": values, "exclude": False, "audience": True},
             True)]


def _child_after(tokens: Sequence[str], at: int) -> bool:
    """A word for a child right after an age ("my 10 year old daughter", "a 7yo nephew",
    "the 9 year old twins"): the age is that child's, whatever the sentence around it."""
    return any(t in _CHILDREN or t in _SIBLINGS for t in tokens[at : at + 2]
               if t not in ("ones",)) and not set(tokens[at : at + 1]) & {"ago", "later"}


_SHORT_UNITS = (("yo",), ("y", "o"))  # a child's age written as people text it
# school years said for a child's age: "my grade schooler", "a second grader"
_SCHOOLERS = {"schooler": 8, "schoolers": 8, "gradeschooler": 8, "grader": 8, "graders": 8,
              "kindergartener": 5, "kindergartner": 5}


def _bare_ages(tokens: Sequence[str], used: set[int]) -> list[tuple]:
    """"14 and 16", "they're 9 and 12", "both 15" answering the rating question: the ages
    of who watches (numbers under 18 and joining words only)."""
    numbers = [i for i, t in enumerate(tokens) if t.isdigit() and i not in used]
    rest = [t for i, t in enumerate(tokens) if i not in numbers]  # "they're 14 and 16"
    if not numbers or any(not 0 < int(tokens[i]) < TEEN_AGE + 1 for i in numbers) or not set(rest) <= (
            _AGE_JOINS | _BARE_JOINS | {_COMMA}) or tokens in (["13"], ["17"]):  # "13": PG-13
        return []
    youngest = min(int(tokens[i]) for i in numbers)
    if youngest >= TEEN_AGE:
        return []
    used.update(numbers)
    values = list(KID_RATINGS if youngest < CHILD_AGE else TEEN_RATINGS)
    return [(numbers[0], numbers[-1] + 1, {"slot": "mpaa", "values": values, "exclude": False,
                                           "audience": True}, True)]


_BARE_JOINS = frozenset("they theyre both kids years yrs old yo ish or".split())
_COMMA = ","  # ``chatbot.cues.BOUNDARY``


def _after_children(tokens: Sequence[str], i: int) -> bool:
    """A bare number soon after a word for children, joined by "are", "aged", "and", ...:
    "kids are 7 and 10", "children aged 5, 8", "the boys (6 and 9)"."""
    for j in range(i - 1, max(-1, i - 6), -1):
        if tokens[j] in _CHILDREN or tokens[j] in _SIBLINGS or tokens[j] in _TEEN_WORDS:
            # "my lil bro, hes 9", "my teens (14 and 16)"
            return True
        if tokens[j] in ("one", "ones") and j > 0 and tokens[j - 1] in _LITTLE:
            return True  # "my little one is 5", "the wee ones are 4 and 6"
        if tokens[j] in ("they", "theyre") and _CHILDREN & set(tokens[:j]):
            return True  # "my grandchildren are visiting, they are 4 and 7"
        if tokens[j] in ("hes", "shes", "he", "she") and j >= i - 2 - (tokens[i - 1] in _ONLY):
            return True  # "like I said, he's 7", "she's only 4": the child spoken of
        if tokens[j] not in _AGE_JOINS and tokens[j] not in _ONLY and not tokens[j].isdigit():
            return False
    return False


# "for my 5 year old", "with a 4 yr old", "we have a 4 year old and a 7 year old"
_HOLDERS = frozenset("for with have got has babysitting minding".split())
_LITTLE = frozenset("little lil wee small young".split())
_AUDIENCE_BEFORE = ("for", "with", "my", "our", "his", "her", "their", "a", "an", "the", "two",
                    "and")
# "my 6 year old wants something" is who watches; "my 5 year old is asleep" is not
_WATCHING = frozenset("""want wants wanted something anything movie movies film films watch
    watching watches like likes love loves need needs night suits suit suitable appropriate
    ok okay safe fine right party bday birthday sleepover playdate
    loved adores adored obsessed rewatching rewatches rewatched
    us joining joins join here tonight""".split())  # "my 9 year old is with us"
_CHILDREN = frozenset("""kids kid children child son sons daughter daughters boys girls boy girl
    nephew nephews niece nieces grandkids grandchildren grandson granddaughter twins
    siblings ones kiddo kiddos kiddies tots littles youngest youngster youngsters""".split())
_AGE_JOINS = frozenset("""are is aged ages age of and , both who were just turned turning the
    tonight today here now he she hes shes s turns turn will be
    there their theyre""".split())  # "my two sons there eight and ten": dictation's "they're"
# with an age only: "my little brother, he's 9" (an adult brother watching sets no rating)
_SIBLINGS = frozenset("brother brothers bro sister sisters sis cousin cousins".split())
_YOUNG_WORDS = {"toddler": 3, "toddlers": 3, "baby": 1, "babies": 1, "preschooler": 4,
                "preschoolers": 4, "infant": 1, "kindergartener": 5, "kindergartner": 5,
                "tween": 11, "tweens": 11}


# teenagers watching, with no age: "with my teens", "our teenagers", "the teens (14, 16)"
_TEEN_WORDS = frozenset("teen teens teenager teenagers teenaged".split())
_TEEN_HOLDERS = frozenset("my our with the his her their two both".split())
_OWN_TEENS = frozenset("from in during since of was as were".split())  # "from my teens": a time
_FIT_WORDS = frozenset("friendly appropriate safe suitable proof".split())
_GLUED_AGE = re.compile(r"(\d{1,2}) ?(?:yo|yos|yr|yrs|y o)")


def _teens_watching(tokens: Sequence[str], i: int) -> bool:
    """"movie night w my teens", "watching with my teenagers": the teenagers watch; "in my
    teens", "I was a teenager", "from my teenage years" are the user's own past."""
    if tokens[i + 1 : i + 2] and tokens[i + 1] in _FIT_WORDS:  # "teen appropriate", "teenager safe"
        return True
    before = tokens[max(0, i - 2) : i]
    if not before or before[-1] not in _TEEN_HOLDERS and before[-2:] not in (["for", "a"], ["with", "a"]):
        return False
    return not _OWN_TEENS & set(before) and tokens[i + 1 : i + 2] != ["years"]


def _token_span(text: str, start: int, end: int) -> range:
    first = text[:start].count(" ")
    return range(first, first + text[start:end].count(" ") + 1)
