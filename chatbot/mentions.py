"""People named in one utterance: who, with which cue ("with X", "by X", "a Tarantino
film"), polarity and "or" group, and a name-like answer that names nobody. Pure; used by
``chatbot.nlu`` (the person wishes it lists) over a ``chatbot.names.NameIndex``.

Example::

    reader = PeopleReader(names, common, is_genre)
    reader.find("comedy with jim carey".split(), None, set(), [False] * 3)[0]["name"]   # 'Jim Carrey'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz

from chatbot.cues import BOUNDARY, joined_by_or
from chatbot.everyday import EverydayWords
from chatbot.fondness import LIKING_WORDS, PERSON_NOUNS, fond_of, points_back
from chatbot.genres import FILM_WORDS
from chatbot.lexicon import SLANG
from chatbot.names import COMMON_ZIPF, CUED_COMMON_ZIPF, STOPWORDS, NameIndex
from chatbot.namesakes import place_after_from
from chatbot.spans import anaphora, swap_span
from chatbot.text import fold

PERSON_SLOTS = ("actor", "director")
SAME_NAME = 60  # rapidfuzz ratio: a word this close to a person's name is it, misspelt
NAME_LIKE_ZIPF = 4.0  # a word rarer than this (wordfreq zipf) may be part of an unknown name

_CUES = {
    "director": frozenset("by director directed from filmmaker".split()),
    "actor": frozenset("with starring stars star featuring actor actress".split()),
}
_CUES_AFTER = {"director": frozenset("directed directs directing director make made".split()),
               "actor": frozenset("starring stars acts acting plays actor actress lead".split())}
_ROLE_VERBS = frozenset("directed directs starred stars acted acts plays made".split())
_CUE_FILLERS = frozenset("is as a the fine good great ok okay would be please for being in himself herself"
                         .split())
_VOWELS = frozenset("aeiouy")
_VERY_COMMON_ZIPF = 5.8  # "said", "will": words first, first names a long way after
_SAYING_WORDS = frozenset("said say do meant mean".split())
_CUE_WORDS = frozenset("with w by starring featuring from".split())  # "w" as in "w/ keanu"
_REFUSAL_CUES = frozenset("without no not nor except excluding minus sans".split())
_NAME_PARTICLES = frozenset("de del della di da van von der le la mc mac st".split())
_ONE_WORDS = frozenset(("one", "ones"))
_WISHING_BEFORE = frozenset("""prefer prefers preferably rather maybe perhaps love loves adore
    adores""".split())  # "i love de niro": the person, as at a person's question
_WISHING_AFTER = frozenset("pls plz please instead preferably".split())
# "make it spielberg", "switch to tarantino", "go with nolan": a wish changed to the word after
_SWITCHES = tuple(tuple(p.split()) for p in ("make it", "make that", "make this", "switch to",
                  "switch it to", "change to", "change it to", "change that to", "go with",
                  "swap to", "swap it for", "swap for", "how about", "what about", "rather have"))
_ARTICLES = frozenset("a an another".split())  # "another denzel one"
_SOME = frozenset("any some more".split())  # "got any sly movies?": whose films
_LIST_JOINS = frozenset(("and", "or", "nor", BOUNDARY))


def _switched_to(tokens: Sequence[str]) -> set[int]:
    """Positions right after a phrase that changes a wish ("wait no make it spielberg")."""
    return {i + len(p) for p in _SWITCHES for i in range(len(tokens) - len(p))
            if tuple(tokens[i : i + len(p)]) == p}


class PeopleReader:
    """Finds the people an utterance names (``find``) over ``names``; ``common`` is wordfreq's
    English zipf per word, ``is_genre`` whether a word is a genre word ("a Hitchcock thriller"),
    ``intent_words`` words of the intent phrases (never part of an unknown name)."""

    def __init__(self, names: NameIndex, common: Mapping[str, float],
                 is_genre: Callable[[str], bool], intent_words: frozenset[str] = frozenset()) -> None:
        self._names = names
        self._common = common
        self._is_genre = is_genre
        self._intent_words = intent_words
        self._everyday = EverydayWords(common, lambda w: any(d == 0 for _, d in names.neighbours(w)))

    def find(self, tokens: list[str], expect: str | None, used: set[int],
             negated: list[bool], cuts: Sequence[int] = (), asking: bool = False) -> list[dict]:
        """People named, with cue, polarity and "or" group; "Brad Pitt, no wait, Edward
        Norton" keeps only the name after the correction cue; "directed by Spielberg or
        Lucas" gives Lucas the cue of the list; "he shouldn't be in it" excludes the last
        one named as an actor."""
        role = expect if expect in PERSON_SLOTS else None
        free = [t if i not in used else "\0" for i, t in enumerate(tokens)]
        cued = {i + 1 for i, t in enumerate(tokens) if t in _CUE_WORDS}
        cued |= {i for i in range(1, len(tokens) - 1) if self.film_of(tokens, i, i + 1)}
        cued |= {i for i in range(len(tokens) - 1) if tokens[i + 1] in _ROLE_VERBS}  # "X directed"
        cued |= self._refused_words(tokens)  # "a thriller without keanu" as the first message
        cued |= self._wished_words(tokens)  # "seen it, meh. sandler pls", "prefer villeneuve"
        cued |= self._leading_surnames(tokens, cuts)  # "kubrick before 1967", "tarantino, not too long"
        cued |= {i + 1 for i, t in enumerate(tokens[:-1]) if t in _SAYING_WORDS
                 and self._names.famous_surname(tokens[i + 1])}  # "i said EASTWOOD", "let's do eastwood"
        if role and BOUNDARY in tokens[1:3]:  # "chris, under 2 hours": the answer leads with it
            cued |= set(range(tokens.index(BOUNDARY)))
        pronoun = points_back(tokens)  # "him", "his", "that man"
        if pronoun is not None:  # "tarantino, but a movie he didn't act in": he was named
            cued |= {i for i in range(pronoun) if self._common.get(tokens[i], 0.0) < NAME_LIKE_ZIPF}
        if asking:  # "did Spielberg make it?": a lone surname in a question about the film,
            # but not an everyday word ("fell" in "I fell asleep" is no Sam Fell)
            cued |= {i for i, t in enumerate(tokens) if self._common.get(t, 0.0) < COMMON_ZIPF
                     or self._names.famous_surname(t)}
        people: list[dict] = []
        previous: tuple[int, str | None] = (-1, None)
        matches = self._names.find(free, role=role, cued=cued)
        matches = [m for m in matches if not (self._common.get(tokens[m.start], 0.0) >= NAME_LIKE_ZIPF
                                              and place_after_from(tokens, m, matches))]
        matches = [m for m in matches if not self._other_first_name(tokens, m, matches)
                   and not self._everyday_typo(tokens, m)]
        cut = next((c for c in reversed(cuts) if any(m.start > c for m in matches)), None)
        if cut is not None:  # the last correction naming someone wins
            matches = [m for m in matches if m.start > cut]
        swap = swap_span(tokens)  # "switch Tom Cruise for Tom Hanks": Cruise is retracted
        if swap and any(m.start > swap[1] for m in matches):
            negated = [n or swap[0] < i < swap[1] for i, n in enumerate(negated)]
        for match in matches:
            used.update(range(match.start, match.end))
            group = len(people)
            listed = people and set(tokens[previous[0] : match.start]) <= _LIST_JOINS | {"the"}
            if people and joined_by_or(tokens, previous[0], match.start):
                group = people[-1]["group"]
            cue = _cue(tokens, match.start, match.end) or (
                "film_of" if self.film_of(tokens, match.start, match.end) else None) or (
                previous[1] if listed else None)
            previous = (match.end, cue)
            for person in match.family or (match.person,):
                people.append(_person(person, match, cue, negated[match.start], group))
        people += [dict(p, cue=other, group=len(people) + n) for n, (p, other) in enumerate(
            (p, _coordinated_role(tokens, p["at"], p["cue"])) for p in list(people)) if other]
        return people + anaphora(tokens, people)

    def _refused_words(self, tokens: list[str]) -> set[int]:
        """Name-like words right after a refusal ("without keanu", "no sandler please"): a
        lone name there is read as at a person's question, whatever question is open."""
        return {i + 1 for i, t in enumerate(tokens[:-1]) if _refusal_at(tokens, i) and (
            self._common.get(tokens[i + 1], 0.0) < NAME_LIKE_ZIPF or tokens[i + 1] in _NAME_PARTICLES
            or self._names.famous_surname(tokens[i + 1])  # "without de niro" too
            or self._names.shared_first_name(tokens[i + 1])
            and self._common.get(tokens[i + 1], 0.0) < CUED_COMMON_ZIPF)}
        # "without hugh", "anyone but matt": a first name, not an everyday word ("no will")

    def _leading_surnames(self, tokens: list[str], cuts: Sequence[int] = ()) -> set[int]:
        """A catalogue surname that is no everyday word or genre, leading its clause before other wishes
        ("kubrick before 1967", "nolan and under 2 hours", "miyazaki, surprise me"): named as the
        first of the wishes, as at a person's question. Not in a message that corrects itself
        ("wait no, stallone. on second thought willis is fine"): there the correction's own
        reading decides who is meant."""
        if cuts:
            return set()
        starts = [0] + [i + 1 for i, t in enumerate(tokens[:-1]) if t == BOUNDARY]
        return {i for i in starts if i < len(tokens) and self._common.get(tokens[i], 0.0) < NAME_LIKE_ZIPF
                and self._names.last_name(tokens[i]) and not self._is_genre(tokens[i])}

    def _wished_words(self, tokens: list[str]) -> set[int]:
        """Name-like words asked for by a word of wishing beside them ("sandler pls", "prefer
        villeneuve", "rather nolan"), in a longer message where the lone word would not be
        read as a name: they are, as at a person's question."""
        at = {i + 1 for i, t in enumerate(tokens[:-1]) if t in _WISHING_BEFORE} | {
            i - 1 for i, t in enumerate(tokens) if i and t in _WISHING_AFTER} | _switched_to(tokens) | fond_of(tokens)
        return {i for i in at if self._common.get(tokens[i], 0.0) < NAME_LIKE_ZIPF
                or self._names.famous_surname(tokens[i]) or tokens[i] in _NAME_PARTICLES
                and i + 1 < len(tokens) and self._names.famous_surname(f"{tokens[i]} {tokens[i + 1]}")}

    def _other_first_name(self, tokens: list[str], match: Any, matches: Sequence[Any]) -> bool:
        """"nothing with Sherlock Holmes", "no Jack Sparrow": one name of a person beside a
        rare word that is no part of theirs is someone else's full name (a character's), not
        Katie Holmes or Jack Nicholson ("katy holmes" is Katie, misspelt)."""
        if match.end - match.start != 1 or not match.person:
            return False
        parts = fold(str(match.person.name)).split()
        if _split_name(tokens, match, matches):
            return True
        return any(self._name_like(tokens, at, matches, at < match.start)
                   and fuzz.ratio(tokens[at], part) < SAME_NAME
                   for at, part in ((match.start - 1, parts[0]), (match.end, parts[-1]))
                   if 0 <= at < len(tokens))

    def _everyday_typo(self, tokens: list[str], match: Any) -> bool:
        """"a con man" is no Ron Mann: a name matched only through typos, on everyday words
        none of which is a part of the name ("sean pen" is Sean Penn, "murphy" Eddie Murphy)
        or a first name many share, is no name said."""
        said = tokens[match.start : match.end]
        parts = {p for person in (match.family or (match.person,)) if person
                 for p in fold(str(person.name)).split()}
        return bool(match.distance) and not parts & set(said) and all(
            self._common.get(w, 0.0) >= NAME_LIKE_ZIPF and not self._names.shared_first_name(w)
            and not self._names.famous_surname(w) for w in said)  # "stephen spilberg" is one

    def _name_like(self, tokens: list[str], at: int, matches: Sequence[Any], first: bool) -> bool:
        """Before the name: a rare word or someone's first name ("sherlock", "jack"); after
        it: someone's surname ("sparrow"); never a film or genre word."""
        word = tokens[at]
        if word in LIKING_WORDS or word in PERSON_NOUNS:  # "adore hanks", "that kubrick guy"
            return False
        named = (self._common.get(word, 0.0) < NAME_LIKE_ZIPF or self._names.first_name(word)
                 and self._common.get(word, 0.0) < _VERY_COMMON_ZIPF) \
            if first else self._names.last_name(word) and self._common.get(word, 0.0) < _VERY_COMMON_ZIPF
        # "i said eastwood", "do eastwood after all": "said" is no Saïd, "after" no surname
        return named and word.isalpha() and word not in STOPWORDS and word not in _CUE_WORDS and \
            word not in FILM_WORDS and word not in _ARTICLES | _ONE_WORDS and not self._is_genre(word) and not any(
                m.start <= at < m.end for m in matches)

    def film_of(self, tokens: list[str], start: int, end: int) -> bool:
        """"a Tarantino film", "an old Hitchcock thriller": a name between an article (and
        maybe one word) and a film or genre word names whose film it is."""
        after = tokens[end] if end < len(tokens) else ""
        film = after in FILM_WORDS or after in _ONE_WORDS or self._is_genre(after)  # "a keanu one"
        return film and bool((_ARTICLES | _SOME) & set(tokens[max(0, start - 2) : start]))

    def unknown(self, tokens: list[str], used: set[int], expect: str | None,
                people: list[dict]) -> str | None:
        """A name-like answer that names nobody ("Johnathan Krumplestein"): one to three
        words with vowels, none an everyday word, asked for a person or after "with" / "by"."""
        if people:
            return None
        cue = next((i + 1 for i, t in enumerate(tokens) if t in _CUE_WORDS), None)
        if expect not in PERSON_SLOTS and cue is None:
            return None
        start = cue if cue is not None else 0
        words = []
        for i in range(start, len(tokens)):
            token = tokens[i]
            if token == BOUNDARY or i in used:
                break
            if token in STOPWORDS or token in SLANG or token in self._intent_words:
                continue
            words.append(token)
        plausible = 1 <= len(words) <= 3 and all(
            w.isalpha() and len(w) >= 2 and set(w) & _VOWELS and
            self._common.get(w, 0) < NAME_LIKE_ZIPF for w in words) and not all(
            map(self._names.is_everyday_word, words)) and not all(
            map(self._everyday.like, words))  # "good vibes", "not fussed", "my neice": no name
        return " ".join(w.capitalize() for w in words) if plausible else None


def _split_name(tokens: list[str], match: Any, matches: Sequence[Any]) -> bool:
    """"Jack Sparrow": one person's first name then another's surname, side by side, are one
    name nobody in the catalogue has (not Jack Nicholson and Walter Sparrow)."""
    def lone(m: Any, index: int) -> bool:
        return m.end - m.start == 1 and bool(m.person) and \
            fold(str(m.person.name)).split()[index] == tokens[m.start]

    pairs = [(m, match) for m in matches if m.end == match.start] + [
        (match, m) for m in matches if m.start == match.end]
    return any(lone(first, 0) and lone(last, -1) for first, last in pairs)


def _person(person: Any, match: Any, cue: str | None, negated: bool, group: int) -> dict:
    return {
        "name": person.name,
        "roles": person.roles,
        "films": {"actor": person.actor_films, "director": person.director_films},
        "fame": {"actor": person.fame_as("actor"), "director": person.fame_as("director")},
        "cue": cue,
        "typos": match.distance,
        "negated": negated,
        "sure": match.sure,
        "alternatives": list(match.alternatives),
        "choices": [p.name for p in match.choices],
        "choice_roles": {p.name: (p.known_for or p.roles or ("actor",))[0] for p in match.choices},
        "bearers": [_bearer(p) for p in getattr(match, "bearers", ())],
        "namesakes": {p.name: (p.known_for or p.roles or ("actor",))[0]
                      for p in getattr(match, "namesakes", ())},
        "notable": list(person.notable),
        "known_for": list(person.known_for),
        "group": group,
        "at": match.start,
    }


def _bearer(person: Any) -> dict:
    """A namesake the context may mean instead, with what the policy needs to give a slot."""
    return {"name": person.name, "roles": person.roles, "known_for": list(person.known_for),
            "notable": list(person.notable),
            "films": {"actor": person.actor_films, "director": person.director_films},
            "fame": {"actor": person.fame_as("actor"), "director": person.fame_as("director")}}


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


def _coordinated_role(tokens: list[str], start: int, cue: str | None) -> str | None:
    """"directed by and starring Clint Eastwood", "starring and directed by X": the other role
    the name was given by a cue joined with "and" to its own, if any."""
    other = {"actor": "director", "director": "actor"}.get(str(cue))
    if other is None:
        return None
    j = start - 1
    while j >= 0 and (tokens[j] in _CUES[str(cue)] or tokens[j] in _CUES_AFTER[str(cue)]):
        j -= 1
    if j == start - 1 or j < 1 or tokens[j] != "and":
        return None
    before = tokens[j - 1]
    return other if before in _CUES[other] or before in _CUES_AFTER[other] else None


def _refusal_at(tokens: Sequence[str], i: int) -> bool:
    """A refusal opens at ``i``: "without", "no", "except"; "anyone but", "anything but"."""
    return tokens[i] in _REFUSAL_CUES or tokens[i] == "but" and i > 0 and tokens[i - 1] in _ANY_BUT


_ANY_BUT = frozenset("anyone anybody anything whoever".split())
