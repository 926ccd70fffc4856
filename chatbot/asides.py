"""Asides: clauses that tell something of the user's life in passing ("he passed away last
year", "we moved here in 2010", "my kid was born in the 90s"), whose dates are no wish for a
film's release. Pure; no IO. Used by ``chatbot.nlu`` before dates become constraints.

A clause is an aside when a person is its subject (a personal pronoun, or "my"/"his"/... and a
noun: "my brother") and a verb follows, and nothing in it asks for a film: no film or genre
word, no wish verb ("want", "like", "prefer"), no "something"/"anything", and no release word
("from", "made", "released", "came out", "since", "after", "before"). Example::

    tokens = clause_tokens("my brother loved Steve Martin, he passed away last year")
    aside_mask(tokens)   # True on "he passed away last year" only

A date told of the user's own past ("I saw Harrison Ford films back in the 80s", "when I was a
kid in the 90s I loved cartoons") is no wish either, though the clause names films: it says
when they lived it, unless a release word asks for films of then ("films from the 80s").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

BOUNDARY = ","
_JOINS = frozenset("so but and because cause cuz".split())  # "he was born in 2005 so ...": two clauses
_SUBJECTS = frozenset("i he she we they".split())
_POSSESSIVES = frozenset("my his her our their".split())
# words that make a date in the clause a wish about films, not a moment of the user's life
_WISHING = frozenset("""want wanna like love prefer would need looking look fancy feel mood
    something anything one ones movie movies film films flick flicks from made released
    came since after before between newer older recent set era decade decades genre
    show find give recommend suggest watch see pick classic
    said say meant mean asked told
    kind sort type
    thing things taste cup style jam fan favorite favourite""".split())  # "I said 2000 or
# later": the wish, said again; "the kind I grew up on in the 90s": films of then; "the 80s
# aren't my thing", "not a fan of the 90s": a taste in films, not a moment of life
# phrases that put what follows in the user's own past: a date there is when they lived it
_PAST_MARKERS = tuple(tuple(p.split()) for p in (
    "back in", "back then", "back when", "when i was", "when we were", "as a kid", "as kids",
    "as a child", "as a teen", "as a teenager", "growing up", "grew up", "i saw", "we saw",
    "i watched", "we watched", "i was a", "we were", "in my childhood", "in my youth",
    "i used to", "we used to", "my childhood", "since i was",
    "when he was", "when she was", "when they were"))  # "my dad saw it when he was a kid"
# phrases asking for films of that past: "something from my childhood", "like back then",
# "those adventure movies": a date told of the user's past is then the wish
_THEN = tuple(tuple(p.split()) for p in (
    "my childhood", "my youth", "my teens", "my teenage years", "back then", "those days",
    "that time", "that era", "those years", "that decade", "nostalgic", "nostalgia",
    "take me back", "takes me back", "brings back", "bring back", "those", "the same era",
    "from then", "like then", "grew up with", "grew up on", "i grew up watching"))
# what the user was then ("when I was a kid"): no audience, no family genre
_SELVES = frozenset("kid kids child children little young teen teenager teenagers boy girl "
                    "youngster baby toddler".split())
_RELEASE_WORDS = frozenset("from made released came era set".split())
_FILM_WORDS = frozenset("movie movies film films flick flicks".split())
_WHEN = frozenset("ago year years when back month months week weeks".split())


def aside_mask(tokens: Sequence[str], is_genre: Callable[[str], bool] = lambda _w: False
               ) -> list[bool]:
    """True on the tokens of each clause that is an aside (see the module doc); a word for
    which ``is_genre`` holds ("comedies") also makes a clause ask for films."""
    mask = [False] * len(tokens)
    then = _has_phrase(tokens, _THEN)
    start = 0
    for end in [*(i for i, t in enumerate(tokens) if t == BOUNDARY or t in _JOINS), len(tokens)]:
        clause = tokens[start:end]
        if _tells_of_life(clause, is_genre):
            mask[start:end] = [True] * (end - start)
            start = end + 1  # the next clause is read alone ("..., want something newer")
            continue
        for k in event_times(clause):  # "i first saw star wars in 1977": when, not which films
            mask[start + k] = True
        if not then:  # "I grew up in the 90s, something from my childhood": the 90s
            for k in _past_life(clause, is_genre):
                mask[start + k] = True
        start = end + 1
    return mask


_ASKING_WHY = (("why",), ("how", "come"), ("wtf",), ("what", "s", "with"), ("whats", "with"))
_FILLERS = frozenset("but so and ok okay um uh hmm wait".split())


def why_mask(tokens: Sequence[str]) -> list[bool]:
    """True on each clause that asks why ("why only 1979 or earlier??", "how come films from
    2010 or later?"): a bound quoted back from the bot's own reading, no new wish."""
    mask = [False] * len(tokens)
    start = 0
    for end in [*(i for i, t in enumerate(tokens) if t == BOUNDARY), len(tokens)]:
        k = start
        while k < end and tokens[k] in _FILLERS:
            k += 1
        if any(tuple(tokens[k : k + len(p)]) == p for p in _ASKING_WHY):
            mask[start:end] = [True] * (end - start)
        start = end + 1
    return mask


def _past_life(clause: Sequence[str], is_genre: Callable[[str], bool]) -> list[int]:
    """The positions in ``clause`` told of the user's own past: after a marker ("back in",
    "when I was", "as a kid", "I saw", "growing up") up to a release word ("films from the
    80s" asks for them again); a date right before a film or genre word ("90s comedies") still
    names films. "I saw Harrison Ford films back in the 80s": "back in the 80s"."""
    marker = next((k for k in range(len(clause)) if any(
        tuple(clause[k : k + len(m)]) == m for m in _PAST_MARKERS)), None)
    if marker is None or set(clause[max(0, marker - 2) : marker]) & _RELEASE_WORDS:
        return []  # "something from back in the 80s" asks for them
    found = []
    for k in range(marker, len(clause)):
        if clause[k] in _RELEASE_WORDS:
            break
        after = clause[k + 1] if k + 1 < len(clause) else ""
        if not (after in _FILM_WORDS or is_genre(after)):
            found.append(k)
    return found


def _tells_of_life(clause: Sequence[str], is_genre: Callable[[str], bool]) -> bool:
    subject = next((k for k, t in enumerate(clause) if t in _SUBJECTS or (
        t in _POSSESSIVES and k + 1 < len(clause))), None)
    if subject is None or subject + 2 > len(clause):
        return False
    return not any(t in _WISHING or is_genre(t) for t in clause) and any(
        t in _WHEN or t.isdigit() or t.endswith("s") and t[:-1].isdigit() for t in clause)


def event_times(clause: Sequence[str]) -> list[int]:
    """Positions of the dates in ``clause`` that say when something happened to someone ("my
    dad saw it in 1950", "in 1994 i watched a lot of westerns", "graduated in 2001"): "in"
    and a year or decade, in a clause with a verb of a past event; never a release ("made in
    1994", "from 1950", "came out in the 80s") nor a date naming films ("in 1990s comedies");
    "first watched a horror film in 1993" tells when it was watched."""
    if not any(_past_event(t) for t in clause) or set(clause) & _RELEASE_CLAUSE:
        return []
    found = []
    for k, token in enumerate(clause):
        if token != "in":
            continue
        j = k + 1 + (k + 1 < len(clause) and clause[k + 1] in ("the", "early", "late", "mid"))
        date = clause[j] if j < len(clause) else ""
        after = clause[j + 1] if j + 1 < len(clause) else ""
        if _is_date(date) and after not in _FILM_WORDS and not _WISH_BEFORE & set(clause[max(0, k - 2) : k]):
            found += list(range(k, j + 1))
    return found


def _past_event(word: str) -> bool:
    """A verb of something that happened ("saw", "graduated"), not one of a film's making
    ("released", "directed") nor of taste ("loved": "I loved the films in the 80s" asks)."""
    return word in _EVENT_VERBS or (len(word) > 4 and word.endswith("ed") and word not in _NOT_EVENTS)


def _is_date(word: str) -> bool:
    digits = word[:-1] if word.endswith("s") else word
    return digits.isdigit() and (len(digits) == 4 and digits[:2] in ("18", "19", "20") or (
        word.endswith("s") and len(digits) == 2))


_EVENT_VERBS = frozenset("""saw seen watched was were met went moved got grew lived left took had did
    became bought married graduated started finished visited retired died passed worked
    studied dated turned caught heard found""".split())
_NOT_EVENTS = frozenset("""released directed produced filmed animated rated starred dubbed based
    remade rebooted shot made loved liked enjoyed preferred adored wanted needed watched""".split()) - {
    "watched"}
_RELEASE_CLAUSE = frozenset("from released made came era set filmed produced".split())
_WISH_BEFORE = frozenset("stuff something anything ones one".split())  # "something in the 70s"


def past_selves(tokens: Sequence[str]) -> list[int]:
    """Positions of what the user was in their past ("when I was a kid", "as a teen", "I was a
    little girl"): a word for the user then, not for who watches now (no family genre, no
    rating for children)."""
    found = []
    for k in range(len(tokens)):
        if not any(tuple(tokens[k : k + len(m)]) == m for m in _PAST_MARKERS):
            continue
        for j in range(k + 1, min(len(tokens), k + 6)):
            if tokens[j] in _SELVES:
                found.append(j)
            elif tokens[j] == BOUNDARY:
                break
    return found


def _has_phrase(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(tokens[k : k + len(p)]) == p for k in range(len(tokens)) for p in phrases)


def ages_of_people(tokens: Sequence[str]) -> list[int]:
    """Positions of words giving someone's age, not a film's years: "we are both in our
    seventies", "she's in her 20s", "how old is Al Pacino" (the "old")."""
    found: list[int] = []
    for k, token in enumerate(tokens):
        if token in _POSSESSIVES and k and tokens[k - 1] == "in":
            j = k + 1 + (k + 1 < len(tokens) and tokens[k + 1] in _PARTS_OF_DECADE)
            if j < len(tokens) and (tokens[j] in _DECADE_WORDS or tokens[j].rstrip("s").isdigit()):
                found.extend(range(k - 1, j + 1))
        if tokens[k : k + 2] == ["how", "old"] and k + 2 < len(tokens) and tokens[k + 2] in _BE:
            found.extend((k, k + 1))
    return found


def asks_age(tokens: Sequence[str]) -> bool:
    """"how old is Al Pacino?", "how old was he in it": a person's age asked (a film's is "how
    old is it")."""
    return any(tokens[k : k + 2] == ["how", "old"] and k + 3 < len(tokens) and tokens[k + 2] in _BE
               and tokens[k + 3] not in ("it", "this", "that", "the") for k in range(len(tokens)))


_POSSESSIVES = frozenset("my our his her their your".split())
_PARTS_OF_DECADE = frozenset("early late mid".split())
_DECADE_WORDS = frozenset("""teens twenties thirties forties fifties sixties seventies eighties
    nineties""".split())
_BE = frozenset("is was s are were".split())
