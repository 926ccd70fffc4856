"""Local language understanding: intents, entities and constraints of one utterance. Pure.

``Understander(vocabulary)(text, expect)`` returns a JSON-able dict, e.g. for
``"a 90s comedy that isn't with Jim Carey"``::

    {"intent": "unknown",
     "constraints": [{"slot": "year", "range": [1990, 1999], "exclude": False},
                     {"slot": "genre", "values": ["comedy"], "exclude": False}],
     "people": [{"name": "Jim Carrey", "roles": ["actor"], "cue": "actor", "typos": 1,
                 "negated": True, "sure": True, "alternatives": [], "group": 0}],
     "genres": ["comedy"], "negated_genres": [], "mpaa": None,    # the same, older keys
     "title": None, "question": [], "correction": False, "addition": False,
     "rest": "a that", "empty": False}

**Constraints** are ``chatbot.constraints`` dicts (genre, MPAA rating; release years and
runtime minutes as integer, inclusive ranges, None for an open end: "something short" is
``{"slot": "runtime", "range": [None, 100], "exclude": False}``). People are listed, not yet constraints:
which slot a person fills (actor or director) is the policy's to decide, from the cue word,
the question asked and the person's credits. Entities joined by "or" ("comedy or horror",
"Tom Hanks or Harrison Ford") share one constraint or ``group`` (any of them); otherwise each
is its own (all of them). An entity inside the scope of a negation ("no dramas", "anything but
R", "a film that isn't a comedy") is an exclusion (``"exclude": True`` / ``"negated": True``).

Within one utterance, what follows a correction cue wins: "a comedy, wait no, a drama" gives
drama and lists comedy under ``retracted``; an exclusion of a value the same utterance asks for
("horror, but not a slasher": both read as horror) is dropped. How the utterance's wishes
combine with the earlier ones is the policy's to decide (``chatbot.policy``).

``expect`` is the slot just asked about ("genre", "actor", "director", "mpaa" or None); it
allows readings that would be too loose elsewhere (a lone surname, a lone "R", a typo in a
genre word). Weak genre words ("love", "kids") count only where they name a kind of film
("a movie for the kids"), so "I love it" and "the kids are in bed" fill nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from chatbot.constraints import minutes
from chatbot.constraints import years as year_constraint
from chatbot.cues import (
    BOUNDARY,
    approves,
    clause_tokens,
    correction_at,
    is_addition,
    joined_by_or,
    negation_mask,
    question_topics,
    runtime_ranges,
    year_ranges,
)
from chatbot.lexicon import (
    GENRE_SYNONYMS,
    INTENT_PHRASES,
    MPAA_PATTERNS,
    WEAK_GENRE_SYNONYMS,
)
from chatbot.names import STOPWORDS, NameIndex
from chatbot.text import clean_input, fold, fold_utterance

INTENTS = ("yes", "no", "no_preference", "greeting", "bye", "another", "unknown")
PERSON_SLOTS = ("actor", "director")

_WEAK_BEFORE = frozenset("for about with some a an in more something anything bit little "
                         "really very".split())
_WEAK_AFTER = frozenset("movie movies film films flick flicks friendly story stories stuff "
                        "themed one ones show shows".split())
_DETERMINERS = frozenset("the my our your his her their little young".split())
_ROMCOM = frozenset({("romcom",), ("rom", "com")})
_CUES = {
    "director": frozenset("by director directed from filmmaker".split()),
    "actor": frozenset("with starring stars star featuring actor actress".split()),
}
_CUES_AFTER = {"director": frozenset("directed directs directing director".split()),
               "actor": frozenset("starring stars acts acting plays actor actress lead".split())}
_CUE_FILLERS = frozenset("is as a the fine good great ok okay would be please for being in"
                         .split())
_FILM_WORDS = frozenset("film films movie movies flick flicks picture joint".split())
_CUE_WORDS = frozenset("with by starring featuring from".split())

_LONE_MPAA = {"r": "R", "g": "G"}
_TITLE_CUE = re.compile(
    r"(?:\b(?:something|anything|one|ones|movies?|films?|stuff|similar|others?)\s+like"
    r"|^\s*(?:just\s+)?like|\bsimilar\s+to|\bin the (?:style|vein) of|\breminds? me of"
    r"|\balong the lines of|\bsame (?:vibe|feel|style) as|\bthe likes of)\s+(?P<title>.+)",
    re.IGNORECASE,
)
# "I really liked The Shawshank Redemption": a title only if the catalogue has it
_LIKED_TITLE = re.compile(r"\b(?:liked|loved|enjoyed|adored|fan of|watched)\s+(?P<title>.+)",
                          re.IGNORECASE)
_TITLE_END = re.compile(
    r"\s*(?:[,;!?]|\.(?:\s|$))|\s(?:but|with|starring|by|from the|rated|that|which|only|"
    r"because|please|though|except|and (?:something|maybe|also|with))\b", re.IGNORECASE)
_TITLE_TAIL = re.compile(r"[\s.!?,;:]*(?:please|thanks|thank you)?[\s.!?,;:]*$", re.IGNORECASE)
MAX_TITLE_WORDS = 12


class Understander:
    """Intent, entity and constraint extraction over one catalogue's vocabulary.

    ``vocabulary`` is ``{"genres": [...], "actors": {name: films}, "directors": {name: films},
    "mpaa": [...], "titles": [...], "years": [first, last]}`` as ``Db.vocabulary()`` returns
    it (titles and years optional). Example::

        nlu = Understander(db.vocabulary())
        nlu("something like The Matrix", "genre")["title"]   # 'The Matrix'
    """

    def __init__(self, vocabulary: Mapping[str, Any]) -> None:
        known = {fold(g).replace(" ", "-") for g in vocabulary.get("genres", ())}
        self._known = known
        strong = {k: v for k, v in GENRE_SYNONYMS.items() if v in known}
        strong |= {g.replace("-", " "): g for g in known}
        weak = {k: v for k, v in WEAK_GENRE_SYNONYMS.items() if v in known}
        # Exact words first, then stems: "music" and "musical" share the stem "music".
        self._strong = {tuple(fold(k).split()): v for k, v in strong.items()}
        self._strong |= {_stem_phrase(k): v for k, v in strong.items()
                         if _stem_phrase(k) not in self._strong}
        self._weak = {(fold(k),): v for k, v in weak.items()}
        self._fuzzy_genre_words = {k: v for k, v in strong.items() if " " not in k and len(k) >= 5}
        self._mpaa = set(vocabulary.get("mpaa", ())) or {"G", "PG", "PG-13", "R", "NC-17"}
        self._titles = {_title_key(t): t for t in vocabulary.get("titles", ()) if _title_key(t)}
        self._known_titles = frozenset(self._titles.values())
        self._last_year = (vocabulary.get("years") or [None, None])[1]
        reserved = set(strong) | set(WEAK_GENRE_SYNONYMS) | _phrase_words(INTENT_PHRASES)
        self._names = NameIndex(
            _counts(vocabulary.get("actors", {})),
            _counts(vocabulary.get("directors", {})),
            reserved=reserved,
        )

    def __call__(self, text: str, expect: str | None = None) -> dict[str, Any]:
        """Understand ``text`` (any string; it is cleaned first) asked about slot ``expect``."""
        cleaned, _ = clean_input(text)
        title, rest_text = self._split_title(cleaned)
        tokens = clause_tokens(rest_text)
        negated = negation_mask(tokens)
        used: set[int] = set()
        hits = self._ratings(tokens, expect, negated, used)
        hits += [(s, e, year_constraint(a, b)) for s, e, a, b in self._years(tokens, used)]
        hits += [(s, e, minutes(a, b)) for s, e, a, b in self._spans(runtime_ranges(tokens), used)]
        corrected_at = correction_at(tokens)
        people = self._people(tokens, expect, used, negated, corrected_at)
        hits += self._genres(tokens, expect, used)
        hits, retracted = _self_corrected(sorted(hits, key=lambda h: h[0]), corrected_at)
        constraints = _constraints(hits, tokens, negated)
        return {
            "intent": intent_of(tokens),
            "constraints": constraints,
            "people": people,
            **_legacy_keys(constraints),
            "title": title,
            "question": question_topics(tokens, cleaned),
            "approval": approves(tokens),
            "correction": corrected_at is not None,
            "retracted": retracted,
            "addition": is_addition(tokens),
            "rest": _rest(rest_text, {tokens[i] for i in used}),
            "empty": not cleaned,
        }

    def _genres(self, tokens: list[str], expect: str | None, used: set[int]) -> list[tuple]:
        free = [t if i not in used else "\0" for i, t in enumerate(tokens)]
        stems = [_stem(t) for t in free]
        found = _phrase_hits(free, stems, self._strong)
        found += [h for h in _phrase_hits(free, free, self._weak) if _weak_fits(tokens, h[0])
                  and not any(h[0] < s + n and s < h[0] + h[1] for s, n, _g in found)]
        if not found and expect == "genre":
            found = self._fuzzy_genres(free)
        hits = []
        for start, size, genre in sorted(found):
            used.update(range(start, start + size))
            hits.append((start, start + size, {"slot": "genre", "values": [genre], "exclude": False}))
            if tuple(tokens[start : start + size]) in _ROMCOM and "romance" in self._known:
                hits.append((start, start + size,
                             {"slot": "genre", "values": ["romance"], "exclude": False}))
        return hits

    def _fuzzy_genres(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        found = []
        for i, token in enumerate(tokens):
            if len(token) < 5 or token in STOPWORDS:
                continue
            limit = 2 if len(token) >= 8 else 1
            best = process.extractOne(token, self._fuzzy_genre_words.keys(), scorer=OSA.distance,
                                      score_cutoff=limit)
            if best is not None:
                found.append((i, 1, self._fuzzy_genre_words[best[0]]))
        return found

    def _people(self, tokens: list[str], expect: str | None, used: set[int],
                negated: list[bool], corrected_at: int | None = None) -> list[dict]:
        """People named, with cue, polarity and "or" group; "Brad Pitt, no wait, Edward
        Norton" keeps only the name after the correction cue."""
        role = expect if expect in PERSON_SLOTS else None
        free = [t if i not in used else "\0" for i, t in enumerate(tokens)]
        cued = {i + 1 for i, t in enumerate(tokens) if t in _CUE_WORDS}
        cued |= {i for i in range(1, len(tokens) - 1) if self._film_of(tokens, i, i + 1)}
        people: list[dict] = []
        previous_end = -1
        matches = self._names.find(free, role=role, cued=cued)
        if corrected_at is not None and any(m.start > corrected_at for m in matches):
            matches = [m for m in matches if m.start > corrected_at]
        for match in matches:
            used.update(range(match.start, match.end))
            group = len(people)
            if people and joined_by_or(tokens, previous_end, match.start):
                group = people[-1]["group"]
            previous_end = match.end
            for person in match.family or (match.person,):
                people.append({
                    "name": person.name,
                    "roles": person.roles,
                    "films": {"actor": person.actor_films, "director": person.director_films},
                    "cue": _cue(tokens, match.start, match.end) or (
                        "film_of" if self._film_of(tokens, match.start, match.end) else None),
                    "typos": match.distance,
                    "negated": negated[match.start],
                    "sure": match.sure,
                    "alternatives": list(match.alternatives),
                    "group": group,
                })
        return people

    def _film_of(self, tokens: list[str], start: int, end: int) -> bool:
        """"a Tarantino film", "an old Hitchcock thriller": a name between an article (and
        maybe one word) and a film or genre word names whose film it is."""
        after = tokens[end] if end < len(tokens) else ""
        film = after in _FILM_WORDS or (after,) in self._strong or (_stem(after),) in self._strong
        return film and bool({"a", "an"} & set(tokens[max(0, start - 2) : start]))

    def _ratings(self, tokens: list[str], expect: str | None, negated: list[bool],
                 used: set[int]) -> list[tuple]:
        text = " ".join(tokens)
        hits = []
        for pattern, rating in MPAA_PATTERNS:
            for hit in pattern.finditer(text):
                span = _token_span(text, hit.start(), hit.end())
                if rating in self._mpaa and not used.intersection(span):
                    used.update(span)
                    hits.append((span.start, span.stop,
                                 {"slot": "mpaa", "values": [rating], "exclude": False}))
        rated = {i for h in hits for i in range(h[0], h[1])}
        for i, token in enumerate(tokens):
            lone = _LONE_MPAA.get(token)
            beside = bool(rated & {i - 2, i + 2}) and bool({"or", "and"} & {
                tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens)})  # "PG-13 or R"
            if lone in self._mpaa and i not in used and (expect == "mpaa" or negated[i] or beside):
                used.add(i)
                hits.append((i, i + 1, {"slot": "mpaa", "values": [lone], "exclude": False}))
        return hits

    def _years(self, tokens: list[str], used: set[int]) -> list[tuple]:
        return self._spans(year_ranges(tokens, self._last_year), used)

    @staticmethod
    def _spans(found: list[tuple], used: set[int]) -> list[tuple]:
        """The ``(start, end, ...)`` hits on tokens not used yet; their tokens become used."""
        free = [h for h in found if not used.intersection(range(h[0], h[1]))]
        for hit in free:
            used.update(range(hit[0], hit[1]))
        return free

    def _split_title(self, text: str) -> tuple[str | None, str]:
        """``"like Alien but funnier"`` -> ``("Alien", ", but funnier")``: the film named after
        a "like"/"similar to" cue, and the rest of the text (for the other entities)."""
        match = _TITLE_CUE.search(text)
        if not match:
            return self._liked_title(text)
        title, after = self._title_at(match["title"])
        if title not in self._known_titles:
            title = _TITLE_TAIL.sub("", title).strip(" \"'“”‘’")
        if not title or fold(title) in STOPWORDS:
            return None, text
        return title[:200], f"{text[: match.start('title')]} , {after}"

    def _liked_title(self, text: str) -> tuple[str | None, str]:
        """"I loved Alien": a catalogue title, capitalised or of two words or more, after a
        verb of liking; anything else ("I loved it", "I liked comedy") is no title."""
        match = _LIKED_TITLE.search(text)
        if not match:
            return None, text
        title, after = self._title_at(match["title"])
        said = match["title"][: len(title)]
        plausible = title in self._known_titles and (said[:1].isupper() or " " in title) and \
            fold(title) not in STOPWORDS and tuple(fold(title).split()) not in self._strong
        if not plausible:
            return None, text
        return title, f"{text[: match.start('title')]} , {after}"

    def _title_at(self, text: str) -> tuple[str, str]:
        """The longest run of words opening ``text`` that is a known title, else the words up
        to the end of the clause; and what follows."""
        words = text.split()
        for size in range(min(len(words), MAX_TITLE_WORDS), 0, -1):
            known = self._titles.get(_title_key(" ".join(words[:size])))
            if known:
                return known, " ".join(words[size:])
        end = _TITLE_END.search(text)
        return (text[: end.start()], text[end.start() :]) if end else (text, "")


def intent_of(tokens: list[str]) -> str:
    """The dialog act of folded ``tokens``: one of ``INTENTS``.

    Example: ``intent_of("no i have not".split())`` -> ``'no'``.
    """
    text = f" {' '.join(tokens)} "
    if not tokens:
        return "unknown"
    if _contains(text, INTENT_PHRASES["bye"]):
        return "bye"
    if _contains(text, INTENT_PHRASES["no_preference_phrase"]):
        return "no_preference"
    if _contains(text, INTENT_PHRASES["yes_override"]):
        return "yes"
    another = _first(tokens, INTENT_PHRASES["another"])
    if another is not None:
        negated = {"not", "never"} & set(tokens[max(0, another[0] - 3) : another[0]])
        return "no" if negated else "another"
    yes, no = _first(tokens, INTENT_PHRASES["yes"]), _first(tokens, INTENT_PHRASES["no"])
    if yes or no:
        return "yes" if no is None or (yes is not None and yes < no) else "no"
    if _first(tokens, INTENT_PHRASES["no_preference"]):
        return "no_preference"
    if _first(tokens, INTENT_PHRASES["greeting"]):
        return "greeting"
    return "unknown"


def _contains(padded_text: str, phrases: Iterable[str]) -> bool:
    return any(f" {p} " in padded_text for p in phrases)


def _first(tokens: list[str], phrases: Iterable[str]) -> tuple[int, int] | None:
    """``(position, -length)`` of the earliest (then longest) phrase found in ``tokens``."""
    best = None
    for phrase in phrases:
        words = phrase.split()
        for i in range(len(tokens) - len(words) + 1):
            if tokens[i : i + len(words)] == words:
                key = (i, -len(words))
                best = key if best is None or key < best else best
                break
    return best


def _phrase_hits(
    tokens: list[str], stems: list[str], table: dict[tuple[str, ...], str]
) -> list[tuple[int, int, str]]:
    """``(start, size, genre)`` of each phrase of ``table`` found, by word then by stem."""
    hits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(stems):
        for size in (3, 2, 1):
            genre = table.get(tuple(tokens[i : i + size])) or table.get(tuple(stems[i : i + size]))
            if genre and i + size <= len(stems):
                hits.append((i, size, genre))
                i += size
                break
        else:
            i += 1
    return hits




def _weak_fits(tokens: Sequence[str], i: int) -> bool:
    """A weak genre word at ``i`` names a kind of film: "for the kids", "kids movie"."""
    j = i - 1
    while j >= 0 and tokens[j] in _DETERMINERS:
        j -= 1
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    return (j >= 0 and tokens[j] in _WEAK_BEFORE) or after in _WEAK_AFTER


def _self_corrected(hits: list[tuple[int, int, dict]], corrected_at: int | None
                    ) -> tuple[list[tuple[int, int, dict]], list[dict]]:
    """"a comedy, wait no, a drama": a slot named on both sides of a correction cue keeps
    what follows it; what precedes it is retracted."""
    if corrected_at is None:
        return hits, []
    later = {h[2]["slot"] for h in hits if h[0] > corrected_at}
    retracted = [h[2] for h in hits if h[0] < corrected_at and h[2]["slot"] in later]
    return [h for h in hits if h[0] > corrected_at or h[2]["slot"] not in later], retracted


def _constraints(hits: list[tuple[int, int, dict]], tokens: list[str],
                 negated: list[bool]) -> list[dict]:
    """One constraint per entity, exclusions marked; entities joined by "or" share one. An
    exclusion of a value also asked for ("horror, but not a slasher": both read as horror)
    is a finer wish than the catalogue can tell, so it is dropped."""
    constraints: list[dict] = []
    previous: tuple[int, dict] | None = None
    for start, end, constraint in hits:
        constraint = dict(constraint, exclude=negated[start])
        if (previous is not None and "range" not in constraint
                and previous[1]["slot"] == constraint["slot"]
                and previous[1]["exclude"] == constraint["exclude"]
                and joined_by_or(tokens, previous[0], start)):
            previous[1]["values"] += [v for v in constraint["values"]
                                      if v not in previous[1]["values"]]
        elif not any(c == constraint for c in constraints):
            constraints.append(constraint)
        previous = (end, constraints[-1])
    asked = {(c["slot"], v) for c in constraints if not c["exclude"] for v in c.get("values", ())}
    return [c for c in constraints if not (c["exclude"] and "range" not in c
                                           and {(c["slot"], v) for v in c["values"]} <= asked)]


def _legacy_keys(constraints: list[dict]) -> dict[str, Any]:
    """``genres`` / ``negated_genres`` / ``mpaa`` as before constraints existed."""
    def values(slot: str, excluded: bool) -> list[str]:
        return [v for c in constraints if c["slot"] == slot and c["exclude"] == excluded
                for v in c["values"]]

    ratings = values("mpaa", False)
    return {"genres": list(dict.fromkeys(values("genre", False))),
            "negated_genres": list(dict.fromkeys(values("genre", True))),
            "mpaa": ratings[0] if ratings else None}


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """The Snowball (English) stem of one folded word: the only stemming the NLU does."""
    return _stemmer().stem(word)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from chatbot.stemming import SnowballStemmer

    return SnowballStemmer("english")


def _stem_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in fold(phrase).split())


def _title_key(title: str) -> str:
    words = fold(title).split()
    if len(words) > 1 and words[0] in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


def _cue(tokens: list[str], start: int, end: int) -> str | None:
    """The role a cue word gives the name at ``[start, end)``: "with X", "by X", "X directed",
    "X is fine as director"."""
    before = tokens[max(0, start - 2) : start]
    for role, words in _CUES.items():
        if any(t in words for t in before):
            return role
    for after in tokens[end : end + 4]:
        for role, words in _CUES_AFTER.items():
            if after in words:
                return role
        if after not in _CUE_FILLERS:
            break
    return None


def _token_span(text: str, start: int, end: int) -> range:
    first = text[:start].count(" ")
    return range(first, first + text[start:end].count(" ") + 1)


def _rest(text: str, entity_tokens: set[str]) -> str:
    """``text`` without the words that carried entities (for sentiment)."""
    words = [w for w in text.split() if not set(fold_utterance(w).split()) <= entity_tokens
             or not fold_utterance(w)]
    return " ".join(w for w in words if w != BOUNDARY)


def _phrase_words(table: Mapping[str, Iterable[str]]) -> set[str]:
    return {word for phrases in table.values() for p in phrases for word in p.split()}


def _counts(people: Mapping[str, int] | Iterable[str]) -> dict[str, int]:
    if isinstance(people, Mapping):
        return {str(k): int(v) for k, v in people.items()}
    return dict.fromkeys(people, 1)
