"""Finding actors and directors named in an utterance, tolerant of case, accents, apostrophes,
nicknames and typos, over tens of thousands of names in well under a millisecond per turn.

How: names are folded (``chatbot.text.fold``) into token tuples. A window of the utterance
matches a name when its tokens are equal (also with a familiar first name such as "leo" for
"leonardo", or without a middle initial), equal once joined (``"o toole"`` = ``"otoole"``), or
equal after one token is swapped for a vocabulary word within a small edit distance
(``rapidfuzz``'s optimal-string-alignment distance; the candidates come from a deletion index,
so a typo costs a handful of dict look-ups, not a scan). A window with one exact token and one
badly spelt one ("tom hanx") is scored against the people sharing the exact token with
``rapidfuzz.fuzz.ratio``.

Every match says whether it is **sure**. Not sure — the user should be asked "Did you mean
...?" — are: a badly spelt name (ratio under ``SURE_RATIO``), a lone first name ("denzel"),
a lone surname shared by people of similar fame, and any match with a close second. A lone
token is read as a name only when a person was asked for or a cue ("with", "by") precedes it,
and never when it is a common first name shared by many people ("tom", "kevin").

Example::

    index = NameIndex({"Jim Carrey": 25, "Peter O'Toole": 30}, {"Ron Howard": 12})
    [m.name for m in index.find("comedy with jim carey".split())]   # ['Jim Carrey']
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from chatbot.nicknames import ALIASES, FIRST_NAME_FORMS
from chatbot.text import fold

MAX_NAME_TOKENS = 4
SURE_RATIO = 88.0  # fuzz.ratio of the window and the name at or above which a typo is sure
LOOSE_RATIO = 78.0  # ... below which a one-exact-token window is no name at all
CLOSE_RATIO = 4.0  # a second candidate this close makes a match unsure
DOMINANCE = 3  # a lone token means the person with this many times the films of the next
_MIN_FUZZY_LEN = 3
_LONG_TOKEN_LEN = 8  # tokens this long may carry two typos
_CACHE_LIMIT = 4096
FAMILY_WORDS = frozenset("brothers bros sisters siblings".split())

STOPWORDS = frozenset(
    """a about all an and any anything are as at be but by can could did do does dont for
    from good great have he her him his how i if in is it just like likes love me more movie
    movies my no not nothing of ok okay on one or please really see she so some something
    star stars starring sure than thanks that the them then there they this to very want
    was watch we well what which who will with would yes you your film films director
    directed actor actress prefer preference maybe none never""".split()
)


@dataclass(frozen=True)
class Person:
    """A name from the catalogue and how many films credit it in each role."""

    name: str
    actor_films: int = 0
    director_films: int = 0

    def films_as(self, role: str | None) -> int:
        if role == "actor":
            return self.actor_films
        if role == "director":
            return self.director_films
        return self.actor_films + self.director_films

    @property
    def roles(self) -> list[str]:
        return [r for r, n in (("actor", self.actor_films), ("director", self.director_films)) if n]


@dataclass(frozen=True)
class NameMatch:
    """``person`` found at utterance tokens ``[start, end)`` with ``distance`` typos.

    ``sure`` is False when the user should confirm it; ``alternatives`` are close seconds.
    ``family`` holds everyone a "the Coen brothers" names (``person`` is the first of them).
    """

    person: Person
    start: int
    end: int
    distance: int
    sure: bool = True
    alternatives: tuple[str, ...] = ()
    family: tuple[Person, ...] = ()

    @property
    def name(self) -> str:
        return self.person.name


class NameIndex:
    """Exact, nickname, joined and typo-tolerant look-up of people over folded token windows."""

    def __init__(
        self,
        actors: Mapping[str, int],
        directors: Mapping[str, int],
        *,
        reserved: Iterable[str] = (),
    ) -> None:
        self._people = _merge_people(actors, directors)
        self._reserved = STOPWORDS | {fold(w) for w in reserved}
        self._by_tokens: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._by_joined: dict[str, list[int]] = defaultdict(list)
        self._by_last: dict[str, list[int]] = defaultdict(list)
        self._by_first: dict[str, list[int]] = defaultdict(list)
        self._folded: list[str] = []
        for pid, person in enumerate(self._people):
            tokens = tuple(fold(person.name).split())
            self._folded.append(" ".join(tokens))
            if not tokens or len(tokens) > MAX_NAME_TOKENS:
                continue
            self._add(pid, tokens)
        self._vocabulary = {t for tokens in self._by_tokens for t in tokens}
        self._deletions = _deletion_index(self._vocabulary)
        self._longest_word = max(map(len, self._vocabulary), default=0)
        self._aliases = {tuple(fold(k).split()): v for k, v in ALIASES.items()}
        # each word of a nickname -> whom the nickname names ("rock" -> Dwayne Johnson)
        self._aliased = {w: v for k, v in self._aliases.items() for w in k if w not in STOPWORDS}
        self._neighbour_cache: dict[str, list[tuple[str, int]]] = {}

    def _add(self, pid: int, tokens: tuple[str, ...]) -> None:
        self._by_tokens[tokens].append(pid)
        self._by_joined["".join(tokens)].append(pid)
        if len(tokens) == 3 and len(tokens[1]) == 1:  # "Samuel L. Jackson" as "samuel jackson"
            self._by_tokens[(tokens[0], tokens[2])].append(pid)
        if len(tokens) > 1:
            self._by_first[tokens[0]].append(pid)
            self._by_last[tokens[-1]].append(pid)
            if len(tokens) > 2:  # "van damme", "de niro"
                self._by_last[" ".join(tokens[-2:])].append(pid)

    def __len__(self) -> int:
        return len(self._people)

    def find(self, tokens: list[str], *, role: str | None = None,
             cued: Iterable[int] = ()) -> list[NameMatch]:
        """People named in folded ``tokens``, left to right, without overlaps.

        ``role`` ("actor"/"director") is the slot being asked about: it breaks ties between
        namesakes and allows a lone surname ("Carrey") or a one-word name ("Cher"), as does a
        position in ``cued`` (a token right after "with", "by", ...).
        """
        cued = set(cued)
        found = [m for m in self._candidates(tokens, role, cued) if m is not None]
        found.sort(key=lambda m: (not m.sure, m.distance, -(m.end - m.start), m.start))
        chosen: list[NameMatch] = []
        taken: set[int] = set()
        for match in found:
            span = set(range(match.start, match.end))
            if not span & taken:
                chosen.append(match)
                taken |= span
        return sorted(chosen, key=lambda m: m.start)

    def _candidates(self, tokens: list[str], role: str | None,
                    cued: set[int]) -> Iterable[NameMatch | None]:
        yield from self._families(tokens, role)
        for size in range(min(MAX_NAME_TOKENS, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                window = tuple(tokens[start : start + size])
                if size == 1:  # a lone word is a name only where a person is expected
                    if (role or start in cued) and self._may_stand_alone(window[0]):
                        yield self._alias(window, start, role) or self._lone(window[0], start, role)
                    continue
                alias = self._alias(window, start, role)
                if alias is not None:
                    yield alias
                    continue
                exact = self._exact(window, start, role)
                yield exact
                if exact is None:
                    yield self._fuzzy(window, start, role)
                    if size == 2:
                        yield self._loose(window, start, role)

    def _alias(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        name = self._aliases.get(window)
        pids = self._by_tokens.get(tuple(fold(name).split())) if name else None
        return self._best(pids, start, start + len(window), 0, role)

    def _exact(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        # Joined spellings ("de niro" for "De Niro") never swallow a cue word: "by ron howard"
        # must not read as "Byron Howard".
        pids = self._by_tokens.get(window)
        if not pids and not any(t in self._reserved for t in window):
            pids = self._by_joined.get("".join(window))
        for form in () if pids else FIRST_NAME_FORMS.get(window[0], ()):
            pids = self._by_tokens.get((form, *window[1:]))
            if pids:
                break
        return self._best(pids, start, start + len(window), 0, role)

    def _fuzzy(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        """One token of the window replaced by a near vocabulary word; the others exact."""
        if all(t in self._reserved for t in window):
            return None
        best: NameMatch | None = None
        for i, token in enumerate(window):
            if token in self._reserved or len(token) < _MIN_FUZZY_LEN:
                continue
            for neighbour, distance in self.neighbours(token):
                pids = self._by_tokens.get(window[:i] + (neighbour,) + window[i + 1 :])
                match = self._best(pids, start, start + len(window), distance, role)
                if match and (best is None or _better(match, best, role)):
                    best = match
        if best is None:
            return None
        score = fuzz.ratio(" ".join(window), fold(best.name))
        return best if score >= SURE_RATIO else _unsure(best)

    def _loose(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        """``("tom", "hanx")``: one token exact as a first or last name, the other spelt
        badly; scored against the people sharing the exact token. Never sure."""
        first, last = window
        if first in self._reserved or last in self._reserved or min(len(first), len(last)) < 2:
            return None
        if first in self._by_first:
            pids, other, pos = self._by_first[first], last, -1
        elif last in self._by_last:
            pids, other, pos = self._by_last[last], first, 0
        else:
            return None
        choices = {pid: self._folded[pid] for pid in pids
                   if not role or self._people[pid].films_as(role)}
        hits = process.extract(" ".join(window), choices, scorer=fuzz.ratio,
                               score_cutoff=LOOSE_RATIO, limit=3)
        hits = [h for h in hits if _similar_token(other, h[0].split()[pos])]
        if not hits:
            return None
        top = max(hits, key=lambda h: (h[1], self._people[h[2]].films_as(role)))
        others = tuple(self._people[h[2]].name for h in hits
                       if h[2] != top[2] and h[1] >= top[1] - CLOSE_RATIO)
        return NameMatch(self._people[top[2]], start, start + 2, 2, False, others)

    def _lone(self, token: str, start: int, role: str | None) -> NameMatch | None:
        """One token: a one-word name ("Cher"), a surname ("Carrey": sure when that person
        dwarfs the namesakes), or a first name ("denzel": only ever a suggestion). A token
        that is a familiar first name ("leo") or part of a nickname of someone else ("rock",
        from "the rock") is never a sure surname."""
        whole = self._best(self._by_tokens.get((token,)), start, start + 1, 0, role)
        if whole is not None:
            return whole
        forms = (token, *FIRST_NAME_FORMS.get(token, ()))
        first = self._dominant([p for f in forms for p in self._by_first.get(f, ())], role,
                               min_films=10)
        first_name = token in FIRST_NAME_FORMS or len(self._by_first.get(token, ())) > len(
            self._by_last.get(token, ()))
        surname = None if first_name else self._surname(token, role)
        if surname is not None:
            person, sure = surname
            sure = sure and self._aliased.get(token, person.name) == person.name
            return NameMatch(person, start, start + 1, 1, sure)
        if first is not None:
            return NameMatch(first[0], start, start + 1, 1, False)
        return None

    def _surname(self, token: str, role: str | None) -> tuple[Person, bool] | None:
        found = self._dominant(self._by_last.get(token), role)
        if found is None and len(token) >= 5:
            near = [w for w, _d in self.neighbours(token) if w in self._by_last]
            if near:
                found = self._dominant(self._by_last[near[0]], role)
        return found

    def _dominant(self, pids: list[int] | None, role: str | None,
                  min_films: int = 3) -> tuple[Person, bool] | None:
        """The person of ``pids`` with the most films in ``role``, and whether they dwarf the
        rest (sure); None when nobody has ``min_films`` or two are equally known."""
        people = sorted((self._people[p] for p in set(pids or ())),
                        key=lambda p: -p.films_as(role))
        if not people or people[0].films_as(role) < min_films:
            return None
        second = people[1].films_as(role) if len(people) > 1 else 0
        if second * DOMINANCE > people[0].films_as(role):
            return (people[0], False) if second * 1.5 <= people[0].films_as(role) else None
        return people[0], True

    def _families(self, tokens: list[str], role: str | None) -> Iterable[NameMatch | None]:
        """"the Coen brothers", "the Farrellys": everyone of that surname in the role."""
        for i, token in enumerate(tokens):
            surname = token
            if i + 1 < len(tokens) and tokens[i + 1] in FAMILY_WORDS:
                end = i + 2
            elif token.endswith("s") and i and tokens[i - 1] == "the" and token[:-1] in self._by_last:
                surname, end = token[:-1], i + 1
            else:
                continue
            start = i - 1 if i and tokens[i - 1] == "the" else i  # "the Wachowskis" is the family
            people = [self._people[p] for p in self._by_last.get(surname, ())]
            for slot in (role, "director", "actor") if role else ("director", "actor"):
                members = tuple(p for p in people if p.films_as(slot) >= 2)
                if len(members) >= 2:
                    yield NameMatch(members[0], start, end, 0, True, (), members)
                    break

    def _may_stand_alone(self, token: str) -> bool:
        return len(token) >= 3 and token not in self._reserved and not token.isdigit()

    def _best(self, pids: list[int] | None, start: int, end: int, distance: int,
              role: str | None) -> NameMatch | None:
        people = [self._people[p] for p in pids or ()]
        if role:
            people = [p for p in people if p.films_as(role)] or people
        if not people:
            return None
        person = max(people, key=lambda p: (p.films_as(role), p.films_as(None), p.name))
        return NameMatch(person, start, end, distance)

    def neighbours(self, token: str) -> list[tuple[str, int]]:
        """Vocabulary words within 1 edit of ``token`` (2 for long tokens), nearest first."""
        cached = self._neighbour_cache.get(token)
        if cached is not None:
            return cached
        limit = 2 if len(token) >= _LONG_TOKEN_LEN else 1
        if len(token) > self._longest_word + limit:
            # No word is within `limit` edits, and the search below grows with len(token) ** 3:
            # a 2,000-letter "word" cost a turn minutes (a CPU denial of service).
            return []
        keys = {token} | _deletions(token)
        if limit == 2:
            keys |= {d2 for d1 in _deletions(token) for d2 in _deletions(d1)}
        words = {w for key in keys for w in self._deletions.get(key, ())}
        words |= {key for key in keys if key in self._vocabulary}
        found = sorted(
            (d, w) for w in words
            if w != token and (d := OSA.distance(token, w, score_cutoff=limit)) <= limit
        )
        result = [(w, d) for d, w in found]
        if len(self._neighbour_cache) >= _CACHE_LIMIT:
            self._neighbour_cache.clear()
        self._neighbour_cache[token] = result
        return result


def _unsure(match: NameMatch) -> NameMatch:
    return NameMatch(match.person, match.start, match.end, match.distance, False)


def _similar_token(said: str, name_token: str) -> bool:
    return said[:1] == name_token[:1] and fuzz.ratio(said, name_token) >= 60


def _better(a: NameMatch, b: NameMatch, role: str | None) -> bool:
    return (a.distance, -a.person.films_as(role)) < (b.distance, -b.person.films_as(role))


def _merge_people(actors: Mapping[str, int], directors: Mapping[str, int]) -> list[Person]:
    names = sorted(set(actors) | set(directors))
    return [Person(n, int(actors.get(n, 0)), int(directors.get(n, 0))) for n in names]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _deletion_index(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for word in vocabulary:
        if len(word) >= _MIN_FUZZY_LEN:
            for key in itertools.chain((word,), _deletions(word)):
                index.setdefault(key, []).append(word)
    return index
