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
a lone surname shared by people of similar fame (then the match carries the ``choices``:
"Wes Anderson or Paul Thomas Anderson?"), and any match with a close second. A lone token is
read as a name only when a person was asked for or a cue ("with", "by") precedes it — a name
after "and"/"or" following a name counts as cued ("with de niro and pacino") — and never when
it is a common first name shared by many people ("tom", "kevin"), chat slang ("man", "bro"),
or an everyday word ("thought", "same"; by ``wordfreq``'s English frequencies, given as
``common``) unless it is the whole answer ("cruise"). An everyday word is never "corrected"
into a name ("instead" is not a typo of "Winstead").

Fame and roles (``chatbot.people``): a lone surname means its far best-known bearer
("murray": Bill; "kubrick": Stanley, a director, even at the actor question), and as the whole
answer it names even someone outside the most famous ("pacino"); the role it fills is the
policy's to decide, by what the person is known for (``known_for``). A role question does not
hand a famous name to a little-known namesake in that role ("Morgan Freeman" at the director
question is the actor, not Morgan J. Freeman), and a famous person's misspelt name beats a
little-known exact token or closer spelling inside it ("jacky chan": Jackie Chan, not the
one-word "Jacky" nor Jacki R. Chan; ``chatbot.namesakes``).

Example::

    index = NameIndex({"Jim Carrey": 25, "Peter O'Toole": 30}, {"Ron Howard": 12})
    [m.name for m in index.find("comedy with jim carey".split())]   # ['Jim Carrey']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from chatbot.namesakes import better_known_typo, cut_short, first_name_contradicts, outnamed
from chatbot.nicknames import ALIASES, FIRST_NAME_FORMS
from chatbot.people import Person, merge_people
from chatbot.plainwords import plural_of_everyday_word
from chatbot.spelling import LONG_WORD_LEN as _LONG_TOKEN_LEN
from chatbot.spelling import MIN_FUZZY_LEN as _MIN_FUZZY_LEN
from chatbot.spelling import NearWords
from chatbot.text import fold, foreign_phrase

MAX_NAME_TOKENS = 4
COMMON_ZIPF = 4.5  # an English word this frequent (zipf) is a lone name only as the whole answer
RARE_NAME_ZIPF = 4.0  # ... a lone name of someone not famous is a word rarer than this
CUED_COMMON_ZIPF = 5.0  # ... or, below this, right after "with" / "by"
MIN_LONE_FAME = 1.0  # a lone surname names nobody less known than this (about 1 seen film)
FAME_DOMINANCE = 2.0  # a lone surname's bearer is sure with this many times the next one's fame
FIRST_NAME_DOMINANCE = 4.0  # ... a lone first name's ("clint") with this many times
CHOICE_MIN_FILMS = 10  # a lone first name's bearers offered to choose from have this many films
CHOICES = 4  # ... and at most this many are offered (or left out, for "without hugh")
FIRST_NAME_MIN_FAME = 5.0  # ... and only someone this well known (a lead of several seen films)
CONTEXT_MIN_FILMS = 5  # a lone surname's bearer the context may pick has this many films
CONTEXT_BEARERS = 8  # ... and at most this many, the best known, are weighed
SURE_RATIO = 88.0  # fuzz.ratio of the window and the name at or above which a typo is sure
LOOSE_RATIO = 78.0  # ... below which a one-exact-token window is no name at all
CLOSE_RATIO = 4.0  # a second candidate this close makes a match unsure
DOMINANCE = 3  # a lone token means the person with this many times the films of the next
_CACHE_LIMIT = 4096
FAMILY_WORDS = frozenset("brothers bros sisters siblings".split())
_SUFFIXES = frozenset("jr sr ii iii iv".split())
_PARTICLES = frozenset("de del della di da van von der den le la du st mc mac".split())
_LIST_WORDS = frozenset(("and", "or", "nor", ",", "&"))
_BARE_LIST_MAX = 5  # surnames alone in one list ("hanks, streep, pacino, de niro or pesci")
_ANSWER_FILLERS = frozenset("""please obviously maybe definitely probably i guess think
    how about what of course the actor actress director mr mrs ms miss""".split())

STOPWORDS = frozenset(
    """a about all an and any anything are as at be but by can could did do does dont for
    from good great have he her him his how i if in is it just like likes love me more movie
    movies my no not nothing of ok okay on one or please really see she so some something
    star stars starring sure than thanks that the them then there they this to very want
    was watch we well what which who will with would yes you your film films director
    directed actor actress prefer preference maybe none never hes shes lil""".split()
)


@dataclass(frozen=True)
class NameMatch:
    """``person`` found at utterance tokens ``[start, end)`` with ``distance`` typos.

    ``sure`` is False when the user should confirm it; ``alternatives`` are close seconds.
    ``family`` holds everyone a "the Coen brothers" names (``person`` is the first of them).
    ``choices``: the equally known bearers of a lone surname, to ask "A or B?";
    ``bearers``: everyone of that surname with films enough to be meant (best known first),
    for the conversation's context to choose from ("a western with Stewart": James);
    ``namesakes``: everyone of a lone first name with films enough to be meant ("without
    hugh" leaves them all out, however many).
    """

    person: Person
    start: int
    end: int
    distance: int
    sure: bool = True
    alternatives: tuple[str, ...] = ()
    family: tuple[Person, ...] = ()
    choices: tuple[Person, ...] = ()
    bearers: tuple[Person, ...] = ()
    namesakes: tuple[Person, ...] = ()

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
        fame: Mapping[str, Mapping[str, float]] | None = None,
        common: Mapping[str, float] | None = None,
        slang: Iterable[str] = (),
    ) -> None:
        """``actors``/``directors``: name -> films; ``fame``: ``{"actor": {name: votes},
        "director": {...}}``; ``common``: folded English word -> zipf frequency; ``slang``:
        words never read as a name alone; ``reserved``: words never read as part of one."""
        self._people = merge_people(actors, directors, fame)
        self._reserved = STOPWORDS | {fold(w) for w in reserved}
        self._common = dict(common or {})
        self._slang = frozenset(slang)
        self._by_tokens: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._by_joined: dict[str, list[int]] = defaultdict(list)
        self._by_last: dict[str, list[int]] = defaultdict(list)
        self._surnames: dict[int, list[str]] | None = None  # by length (_near_surnames)
        self._by_first: dict[str, list[int]] = defaultdict(list)
        self._folded: list[str] = []
        for pid, person in enumerate(self._people):
            tokens = tuple(fold(person.name).split())
            self._folded.append(" ".join(tokens))
            if not tokens or len(tokens) > MAX_NAME_TOKENS:
                continue
            self._add(pid, tokens)
        self._fame_known = any(p.actor_fame is not None for p in self._people[:1])
        self._vocabulary = {t for tokens in self._by_tokens for t in tokens}
        self._spelling = NearWords(self._vocabulary)
        self._aliases = {tuple(fold(k).split()): v for k, v in ALIASES.items()}
        # each word of a nickname -> whom the nickname names ("rock" -> Dwayne Johnson)
        self._aliased = {w: v for k, v in self._aliases.items() for w in k if w not in STOPWORDS}
        self._lone_cache: dict[tuple[str, str | None], NameMatch | None] = {}

    def _add(self, pid: int, tokens: tuple[str, ...]) -> None:
        self._by_tokens[tokens].append(pid)
        self._by_joined["".join(tokens)].append(pid)
        if len(tokens) == 3 and len(tokens[1]) == 1:  # "Samuel L. Jackson" as "samuel jackson"
            self._by_tokens[(tokens[0], tokens[2])].append(pid)
        if len(tokens) > 1:
            self._by_first[tokens[0]].append(pid)
            self._by_last[tokens[-1]].append(pid)
            if len(tokens) > 2 and tokens[-2] in _PARTICLES:  # "van damme", "de niro", "deniro"
                self._by_last[" ".join(tokens[-2:])].append(pid)
                self._by_last["".join(tokens[-2:])].append(pid)
            if len(tokens) > 2 and tokens[-1] in _SUFFIXES:  # "downey" of "Robert Downey Jr."
                self._by_last[tokens[-2]].append(pid)

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
        bare = self._bare(tokens)
        chosen = self._choose(tokens, role, cued, bare)
        listed = {m.end + 1 for m in chosen if m.end < len(tokens) and tokens[m.end] in _LIST_WORDS}
        if listed - cued:  # "with de niro and pacino": a name after "and" is cued too
            chosen = self._choose(tokens, role, cued | listed, bare)
        chosen = [self._surname_in_list(m, tokens, chosen) for m in chosen]
        return sorted(chosen + self._listed_surnames(tokens, chosen), key=lambda m: m.start)

    def _listed_surnames(self, tokens: list[str], chosen: list[NameMatch]) -> list[NameMatch]:
        """"Gable or Tracy": a rarer word listed right after a surname read as one, that no
        reading took, is a surname too (Spencer Tracy)."""
        taken = {i for m in chosen for i in range(m.start, m.end)}
        found = []
        for m in chosen:
            at = m.end + 1
            if (m.end - m.start == 1 and at < len(tokens) and tokens[m.end] in _LIST_WORDS
                    and at not in taken and fold(m.name).split()[-1] == tokens[m.start]
                    and self._common.get(tokens[at], 0.0) < COMMON_ZIPF):
                match = self._surname_in_list(NameMatch(m.person, at, at + 1, 1), tokens, [m])
                if match.person is not m.person:
                    found.append(match)
        return found

    def _surname_in_list(self, match: NameMatch, tokens: list[str], chosen: list[NameMatch]) -> NameMatch:
        """"Eastwood or Wayne": a lone word listed beside a surname is a surname too, its
        bearer the one with the most films (John Wayne, not Wayne Wang by his first name)."""
        word = tokens[match.start] if match.end - match.start == 1 else ""
        if not word or fold(match.name).split()[-1] == word:
            return match
        beside = [o for o in chosen if o is not match and o.end - o.start == 1
                  and fold(o.name).split()[-1] == tokens[o.start]
                  and set(tokens[min(o.end, match.end) : max(o.start, match.start)]) <= _LIST_WORDS]
        bearers = sorted((self._people[p] for p in set(self._by_last.get(word, ()))),
                         key=lambda p: (-p.films_as(None), p.name))
        if not beside or not bearers or bearers[0].films_as(None) < CHOICE_MIN_FILMS:
            return match
        return NameMatch(bearers[0], match.start, match.end, match.distance)

    def _choose(self, tokens: list[str], role: str | None, cued: set[int],
                bare: bool) -> list[NameMatch]:
        found = [m for m in self._candidates(tokens, role, cued, bare) if m is not None]
        found = [m for m in found if not outnamed(m, found) and not better_known_typo(m, found)
                 and not cut_short(m, found)
                 and not first_name_contradicts(m, found, tokens) and not _inside_longer(m, found)]
        found.sort(key=lambda m: (not m.sure, m.distance, -(m.end - m.start), m.start))
        chosen: list[NameMatch] = []
        taken: set[int] = set()
        for match in found:
            span = set(range(match.start, match.end))
            if not span & taken:
                chosen.append(match)
                taken |= span
        return sorted(chosen, key=lambda m: m.start)

    def _bare(self, tokens: list[str]) -> bool:
        """The utterance is one word and fillers ("cruise", "stone please"), or a list of
        single words ("either hitchcock or wilder")."""
        content = [t for i, t in enumerate(tokens) if t not in _ANSWER_FILLERS
                   and t not in _LIST_WORDS and t not in self._slang and t != "either"
                   and not (t in _PARTICLES and i + 1 < len(tokens))]  # "dicaprio pls", "de niro"
        listed = all(self._listed_at(tokens, i) for i, t in enumerate(tokens) if t in content[1:] and i)
        return len(content) == 1 or (1 < len(content) <= _BARE_LIST_MAX and listed)

    @staticmethod
    def _listed_at(tokens: list[str], i: int) -> bool:
        """Word ``i`` starts an item of a list: after "and", ",", "either", or after a particle
        that does ("pacino, de niro & pesci": "niro" is listed as "de niro")."""
        before = i - 1 if tokens[i - 1] not in _PARTICLES or i < 2 else i - 2
        return tokens[before] in _LIST_WORDS or tokens[before] in ("either", "neither")

    def _candidates(self, tokens: list[str], role: str | None, cued: set[int],
                    bare: bool) -> Iterable[NameMatch | None]:
        yield from self._families(tokens, role)
        for size in range(min(MAX_NAME_TOKENS, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                window = tuple(tokens[start : start + size])
                if size == 1:  # a lone word is a name only where a person is expected
                    if (role or start in cued or bare) and self._may_stand_alone(
                            window[0], start in cued, bare):
                        match = self._alias(window, start, role) or self._lone(
                            window[0], start, role or _acted(tokens, start))  # "anything with leo"
                        if role or start in cued or (match and self._known_alone(match, window[0])):
                            yield match  # "hanks", "pacino" as the whole answer to any question
                    continue
                alias = self._alias(window, start, role)
                if alias is not None:
                    yield alias
                    continue
                exact = self._exact(window, start, role)
                yield exact
                if exact is None and size == 2 and (role or start in cued or bare) and \
                        window[0] in _PARTICLES:  # "de niro", "van damme" alone
                    yield self._lone(" ".join(window), start, role, end=start + 2)
                elif exact is None:
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
        if all(t in self._reserved or self._common.get(t, 0.0) >= COMMON_ZIPF for t in window):
            return None  # "the same guy" is no typo of "the game"
        if len(window) > 1 and foreign_phrase(window):
            return None  # "keine ahnung" (no idea) is German, no typo of "Kevin Kline"
        best: NameMatch | None = None
        for i, token in enumerate(window):
            if token in self._reserved or len(token) < _MIN_FUZZY_LEN or (
                    self.is_everyday_word(token) and all(  # "a banger": no "A. Langer"
                        j == i or self._common.get(t, 0.0) >= COMMON_ZIPF for j, t in enumerate(window))):
                continue
            for neighbour, distance in self.neighbours(token):
                pids = self._by_tokens.get(window[:i] + (neighbour,) + window[i + 1 :])
                match = self._best(pids, start, start + len(window), distance, role)
                if match and (best is None or _better(match, best, role)):
                    best = match
        if best is None and len(window) == 2:
            best = self._fuzzy_both(window, start, role)
        if best is None:
            return None
        score = fuzz.ratio(" ".join(window), fold(best.name))
        return best if score >= SURE_RATIO else _unsure(best)

    def _fuzzy_both(self, window: tuple[str, ...], start: int, role: str | None
                    ) -> NameMatch | None:
        """Both words of a two-word name misspelt ("scarlet johanson")."""
        if min(map(len, window)) < _MIN_FUZZY_LEN or any(t in self._reserved for t in window):
            return None
        best: NameMatch | None = None
        firsts = [(w, d) for w, d in self.neighbours(window[0]) if w in self._by_first]
        lasts = [(w, d) for w, d in self.neighbours(window[1]) if w in self._by_last]
        for first, d1 in firsts:
            for last, d2 in lasts:
                match = self._best(self._by_tokens.get((first, last)), start, start + 2,
                                   d1 + d2, role)
                if match and (best is None or _better(match, best, role)):
                    best = match
        return best

    def _loose(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        """``("tom", "hanx")``: one token exact as a first or last name, the other spelt
        badly; scored against the people sharing the exact token. Never sure."""
        first, last = window
        if first in self._reserved or last in self._reserved or min(len(first), len(last)) < 2:
            return None
        hits = []  # the people sharing the first name, then those sharing the surname
        forms = (first, *FIRST_NAME_FORMS.get(first, ()))  # "stephen spielbrg": Steven
        for pids, other, pos in (([p for f in forms for p in self._by_first.get(f, ())], last, -1),
                                 (self._by_last.get(last, ()), first, 0)):
            choices = {pid: self._folded[pid] for pid in pids
                       if not role or self._people[pid].films_as(role)}
            found = process.extract(" ".join(window), choices, scorer=fuzz.ratio,
                                    score_cutoff=LOOSE_RATIO, limit=3)
            hits += [h for h in found if _similar_token(other, h[0].split()[pos])]
            if pos == -1:  # the first name said: someone famous of that first name whose
                # surname sounds alike, however far the spelling ("tom cruz": Tom Cruise)
                hits += [(choices[pid], 0.0, pid) for pid in choices if self._people[pid].notable
                         and _similar_token(other, choices[pid].split()[-1])]
        if not hits:
            return None
        # someone famous before a closer spelling of someone little known ("jacky chan")
        top = max(hits, key=lambda h: (bool(self._people[h[2]].notable), h[1],
                                       self._people[h[2]].films_as(role)))
        fame = self._people[top[2]].fame_as(None)
        others = tuple(self._people[h[2]].name for h in hits
                       if h[2] != top[2] and h[1] >= top[1] - CLOSE_RATIO
                       and self._people[h[2]].fame_as(None) * FAME_DOMINANCE > fame)
        return NameMatch(self._people[top[2]], start, start + 2, 2, False, others)

    def _lone(self, token: str, start: int, role: str | None,
              end: int | None = None) -> NameMatch | None:
        """One word: a one-word name ("Cher"), a surname ("Carrey", "de niro": sure when that
        person dwarfs the namesakes, else the close ones are ``choices``), or a first name
        ("denzel": only ever a suggestion). A familiar first name ("leo") or a word of someone
        else's nickname ("rock", from "the rock") is never a sure surname. The index never
        changes, so each (word, role) is worked out once."""
        end = start + 1 if end is None else end
        key = (token, role)
        if key not in self._lone_cache:
            if len(self._lone_cache) >= _CACHE_LIMIT:
                self._lone_cache.clear()
            self._lone_cache[key] = self._lone_at_zero(token, role, end - start)
        found = self._lone_cache[key]
        return None if found is None else replace(found, start=start, end=end)

    def _lone_at_zero(self, token: str, role: str | None, size: int) -> NameMatch | None:
        start, end = 0, size
        if token[-1:] == "s" and (token,) not in self._by_tokens and len(self._namesakes(
                token[:-1])) > max(1, len(self._by_last.get(token, ()))):
            return self._lone_at_zero(token[:-1], role, size)  # "no hughs at all": the Hughs
        whole = self._best(self._by_tokens.get((token,)), start, end, 0, role)
        if whole is not None:
            return whole
        forms = (token, *FIRST_NAME_FORMS.get(token, ()))
        bearers = [p for f in forms for p in self._by_first.get(f, ())]
        first = self._dominant(bearers, role, min_films=10)
        if first is None:  # "clint": Eastwood by fame (not Howard by film count), if sure
            famous = self._dominant(bearers, role, known_for=True)
            first = famous if famous and self._first_name_sure(famous[0], bearers) else None
        first_name = token in FIRST_NAME_FORMS or len(self._by_first.get(token, ())) > len(
            self._by_last.get(token, ()))
        surname = self._surname(token, role)
        if surname is not None and first_name and not (
                surname[0].notable and token not in FIRST_NAME_FORMS):
            surname = None  # "tom", "kevin": a first name; "scott": Ridley, known by it
        if surname is not None:
            person, sure, choices = surname
            sure = sure and self._aliased.get(token, person.name) == person.name
            return NameMatch(person, start, end, 1, sure, choices=choices, bearers=() if sure else
                             tuple(dict.fromkeys((*choices, *self._bearers(token, role)))))
        if first is not None and self._first_name_sure(first[0], bearers):
            return NameMatch(first[0], start, end, 1, True)  # "denzel", "clint": one famous bearer
        namesakes = self._namesakes(token)
        picks = self._first_name_choices(self._by_first.get(token) or [], role) or \
            self._first_name_choices(bearers, role)  # "kate": Winslet before any Catherine
        if first is not None and fold(first[0].name).split()[0] != token:
            picks = ()  # "leo": Leonardo DiCaprio, known by the familiar name, is asked about
        if first is not None and first[0] in picks:  # the best known first ("ethan"), then
            picks = (first[0], *[p for p in picks if p != first[0]])  # the others
        if len(picks) > 1:  # "hugh": Grant, Jackman or Laurie? asked, never one picked
            return NameMatch(picks[0], start, end, 1, False, choices=picks[:CHOICES],
                             namesakes=namesakes)
        if first is None and len(namesakes) > 1:  # "no steve": every Steve it may be
            return NameMatch(namesakes[0], start, end, 1, False, namesakes=namesakes)
        if first is None:
            return None
        # "no steve": Spielberg, known as Steven, and every Steve; "no arnold": asked about
        # Schwarzenegger, known by that very name
        familiar = len(namesakes) > 1 and fold(first[0].name).split()[0] != token
        return NameMatch(first[0], start, end, 1, False,
                         namesakes=tuple(dict.fromkeys((first[0], *namesakes))) if familiar else ())

    def _namesakes(self, token: str) -> tuple[Person, ...]:
        """Everyone with the first name ``token`` exactly and ``CHOICE_MIN_FILMS`` films,
        most films first: all whom "without <first name>" may mean."""
        people = {self._people[p] for p in self._by_first.get(token, ())}
        return tuple(sorted((p for p in people if p.films_as(None) >= CHOICE_MIN_FILMS),
                            key=lambda p: (-p.films_as(None), p.name)))

    def _first_name_choices(self, bearers: list[int], role: str | None) -> tuple[Person, ...]:
        """The bearers of a first name a user most likely means, to ask which: those with the
        most films (in ``role``; fame is no measure here, a director's outweighs an actor's)."""
        people = [self._people[p] for p in set(bearers)]
        people = [p for p in people if p.films_as(role) >= CHOICE_MIN_FILMS]
        people.sort(key=lambda p: (-p.films_as(role), p.name))
        close = [p for p in people if 2 * p.films_as(role) >= people[0].films_as(role)] if people else []
        return tuple(close) if len(close) > 1 else ()  # "nicole": Kidman, no choice

    def _first_name_sure(self, person: Person, bearers: list[int]) -> bool:
        """A lone first name is sure when its bearer has ``FIRST_NAME_DOMINANCE`` times the
        fame (in any role) of every other bearer ("clint", "denzel"; not "steven")."""
        if not self._fame_known or person.fame_as(None) < FIRST_NAME_MIN_FAME:
            return False
        others = (self._people[p].fame_as(None) for p in set(bearers))
        second = max((f for f in others if f is not None and f < person.fame_as(None)), default=0.0)
        # a director's fame outweighs an actor's: "ethan" is no sure Coen beside Ethan Hawke,
        # who has three times his films
        first = fold(person.name).split()[0]
        most = max((self._people[p].films_as(None) for p in set(bearers)
                    if fold(self._people[p].name).split()[0] == first), default=0)
        return person.fame_as(None) >= FIRST_NAME_DOMINANCE * second and 2 * person.films_as(None) >= most

    def _surname(self, token: str, role: str | None
                 ) -> tuple[Person, bool, tuple[Person, ...]] | None:
        found = self._dominant(self._by_last.get(token), role, known_for=True)
        if found is None and len(token) >= 5 and token not in self._common:
            # a misspelt surname ("schwarzeneger", "kubrik"): of the near surnames' best known
            # bearers, someone well known first, then the nearest (not the alphabetically
            # first: "kubik" is as near as "kubrick"); sure only for someone well known
            near = [(d, f) for w, d in self._near_surnames(token)
                    if (f := self._dominant(self._by_last[w], role, known_for=True))]
            found = min(near, key=lambda n: (not n[1][0].notable, n[0], -n[1][0].fame_as(None)),
                        default=(0, None))[1]
            found = (found[0], found[1] and bool(found[0].notable), found[2]) if found else None
        return found

    def _bearers(self, token: str, role: str | None) -> tuple[Person, ...]:
        """The people a lone surname may mean: ``CONTEXT_MIN_FILMS`` films or more (in
        ``role`` when they have any there), the best known first."""
        people = {self._people[p] for p in self._by_last.get(token, ())}
        known = [p for p in people if p.films_as(role) >= CONTEXT_MIN_FILMS] or [
            p for p in people if p.films_as(None) >= CONTEXT_MIN_FILMS]
        known.sort(key=lambda p: (-p.fame_as(None), p.name))
        return tuple(known[:CONTEXT_BEARERS])

    def _near_surnames(self, token: str) -> list[tuple[str, int]]:
        """Surnames within ``neighbours``' reach; for a long word that finds none, a scan of
        the surnames within 2 edits (the deletion index misses two dropped letters:
        "swarzenegger")."""
        near = [(w, d) for w, d in self.neighbours(token) if w in self._by_last]
        if near or len(token) < _LONG_TOKEN_LEN:
            return near
        if self._surnames is None:  # by length: a scan of those within 2 letters takes ~1 ms
            self._surnames = defaultdict(list)
            for word in sorted(self._by_last):
                self._surnames[len(word)].append(word)
        same_size = [w for n in range(len(token) - 2, len(token) + 3) for w in self._surnames.get(n, ())]
        hits = process.extract(token, same_size, scorer=Levenshtein.distance, score_cutoff=2,
                               limit=3)
        return [(w, int(d)) for w, d, _i in sorted(hits, key=lambda h: (h[1], h[0]))]

    def _dominant(self, pids: list[int] | None, role: str | None, min_films: int = 3,
                  known_for: bool = False) -> tuple[Person, bool, tuple[Person, ...]] | None:
        """The best known of ``pids`` (in ``role``; with ``known_for``, in any role when
        someone is far better known there), whether they dwarf the rest (sure), and the
        close ones to choose from when they do not; None when nobody is known enough."""
        people = [self._people[p] for p in set(pids or ())]
        if not people:
            return None
        scope = role
        if known_for and role and not any(role in p.notable for p in people) and any(
                p.notable for p in people):
            scope = None  # "kubrick" at the actor question: Stanley, known as a director
        people.sort(key=lambda p: (-bool(p.notable), -p.fame_as(scope), p.name))
        top = people[0]
        if (top.fame_as(scope) < MIN_LONE_FAME) if self._fame_known and known_for else (
                top.films_as(scope) < min_films):
            return None
        ratio = FAME_DOMINANCE if self._fame_known and known_for else DOMINANCE
        close = tuple(p for p in people[1:3] if p.fame_as(scope) * ratio > top.fame_as(scope))
        if not close:
            return top, True, ()
        if known_for and self._fame_known:
            return top, False, (top, *close)
        return (top, False, ()) if close[0].fame_as(scope) * 1.5 <= top.fame_as(scope) else None

    def _families(self, tokens: list[str], role: str | None) -> Iterable[NameMatch | None]:
        """"the Coen brothers", "the Farrellys": everyone of that surname in the role."""
        for i, token in enumerate(tokens):
            surname = token
            if i + 1 < len(tokens) and tokens[i + 1] in FAMILY_WORDS:
                end = i + 2
            elif token.endswith("s") and i and tokens[i - 1] == "the" and token[:-1] in self._by_last \
                    and not plural_of_everyday_word(token, self._common.get(token, 0.0)):
                surname, end = token[:-1], i + 1
            else:
                continue
            start = i - 1 if i and tokens[i - 1] == "the" else i  # "the Wachowskis" is the family
            people = sorted((self._people[p] for p in self._by_last.get(surname, ())),
                            key=lambda p: -p.fame_as(None))
            for slot in ("director", "actor"):
                members = tuple(p for p in people if p.films_as(slot) >= 2)
                if len(members) >= 2:
                    yield NameMatch(members[0], start, end, 0, True, (), members)
                    break

    def _known_alone(self, match: NameMatch, token: str) -> bool:
        """A lone word that is the whole answer names someone famous, or anyone whose name it
        is when it is no common English word ("pacino", "mcdormand"; not "bell")."""
        exact = token in self._by_last or (token,) in self._by_tokens  # "comdy" is no "Cody"
        return bool(match.person.notable) or (
            exact and self._common.get(token, 0.0) < RARE_NAME_ZIPF)

    def _may_stand_alone(self, token: str, cued: bool, bare: bool) -> bool:
        """A word that may be a name by itself: not slang, and an everyday word only as the
        whole answer (or, if less common, right after "with"/"by")."""
        if len(token) < 3 or token in self._reserved or token in self._slang or token.isdigit():
            return False
        zipf = self._common.get(token, 0.0)
        return bare or zipf < COMMON_ZIPF or (cued and zipf < CUED_COMMON_ZIPF)

    def _best(self, pids: list[int] | None, start: int, end: int, distance: int,
              role: str | None) -> NameMatch | None:
        people = [self._people[p] for p in pids or ()]
        if not people:
            return None
        if role and not any(role in p.notable for p in people) and any(p.notable for p in people):
            role = None  # "Morgan Freeman" at the director question: the famous actor, not the
            # little-known director Morgan J. Freeman; the policy gives him his slot
        elif role:
            people = [p for p in people if p.films_as(role)] or people
        person = max(people, key=lambda p: (p.fame_as(role), p.fame_as(None), p.name))
        return NameMatch(person, start, end, distance)

    def names_all(self, tokens: Sequence[str]) -> bool:
        """The words are one person's name, exactly ("jackie chan")."""
        return bool(self._by_tokens.get(tuple(tokens)))

    def first_name(self, token: str) -> bool:
        """Someone in the catalogue has this first name ("jack")."""
        return token in self._by_first

    def shared_first_name(self, token: str) -> bool:
        """Several well-known people have this first name ("hugh", "colin"): said alone, it
        means one of them, never a film's title."""
        return len(self._first_name_choices(self._by_first.get(token) or [], None)) > 1

    def last_name(self, token: str) -> bool:
        """Someone in the catalogue has this surname ("sparrow")."""
        return token in self._by_last

    def famous_surname(self, token: str) -> bool:
        """Someone among the most famous in a role has this surname ("stone": Emma, Oliver)."""
        return any(self._people[p].notable for p in self._by_last.get(token, ()))

    def is_everyday_word(self, token: str) -> bool:
        """An English word (wordfreq) that is no word of any name in the catalogue ("banger",
        "vibes"): never a name by itself, never a typo of one."""
        return token in self._common and token not in self._vocabulary

    def neighbours(self, token: str) -> list[tuple[str, int]]:
        """Name words within 1 edit of ``token`` (2 for long tokens), nearest first."""
        return self._spelling.near(token)


def _acted(tokens: Sequence[str], start: int) -> str | None:
    """"actor" for a word right after "with"/"starring" ("anything with leo": DiCaprio, not
    the Leos with more films) or "without" (the same Leo refused), else None."""
    return "actor" if start and tokens[start - 1] in _ACTING_CUES else None


_ACTING_CUES = frozenset("with w without starring featuring".split())


def _inside_longer(match: NameMatch, found: Sequence[NameMatch]) -> bool:
    """A lone word with people to choose from inside a longer name found ("tom" of "tom
    cruz", Tom Cruise misspelt): the longer one is meant."""
    return bool(match.choices) and match.end - match.start == 1 and any(
        o.start <= match.start and o.end >= match.end and o.end - o.start > 1 for o in found)


def _unsure(match: NameMatch) -> NameMatch:
    return NameMatch(match.person, match.start, match.end, match.distance, False)


def _similar_token(said: str, name_token: str) -> bool:
    return said[:1] == name_token[:1] and fuzz.ratio(said, name_token) >= 60


def _better(a: NameMatch, b: NameMatch, role: str | None) -> bool:
    return (a.distance, -a.person.fame_as(role)) < (b.distance, -b.person.fame_as(role))
