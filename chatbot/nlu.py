"""Local language understanding: intents and entities of one utterance. Pure; no IO.

``Understander(vocabulary)(text, expect)`` returns a JSON-able dict, e.g. for
``"a comedy with Jim Carey"``::

    {"intent": "unknown", "genres": ["comedy"], "negated_genres": [],
     "people": [{"name": "Jim Carrey", "roles": ["actor"], "cue": "actor", "typos": 1}],
     "mpaa": None, "title": None, "rest": "a with", "empty": False}

``expect`` is the slot just asked about ("genre", "actor", "director", "mpaa" or None); it
allows readings that would be too loose elsewhere (a lone surname, a lone "R", a typo in a
genre word).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from chatbot.names import STOPWORDS, NameIndex
from chatbot.stemming import SnowballStemmer
from chatbot.text import clean_input, edit_distance, fold, fold_utterance

INTENTS = ("yes", "no", "no_preference", "greeting", "bye", "another", "unknown")
PERSON_SLOTS = ("actor", "director")

# Synonym -> canonical genre. Matched on Snowball stems, so plurals and inflections come free.
GENRE_SYNONYMS: dict[str, str] = {
    **dict.fromkeys("action explosions explosive".split(), "action"),
    "action packed": "action", "martial arts": "action", "kung fu": "action",
    **dict.fromkeys("adventure adventurous quest swashbuckler".split(), "adventure"),
    **dict.fromkeys("animation animated cartoon anime pixar".split(), "animation"),
    **dict.fromkeys("biography biographical biopic".split(), "biography"),
    "true story": "biography",
    **dict.fromkeys("comedy comedic funny humor humour humorous hilarious laugh comic "
                    "lighthearted silly romcom".split(), "comedy"),
    **dict.fromkeys("crime criminal gangster mafia mob heist noir cop police".split(), "crime"),
    **dict.fromkeys("documentary docu doc nonfiction".split(), "documentary"),
    "non fiction": "documentary",
    **dict.fromkeys("drama dramatic tearjerker".split(), "drama"),
    **dict.fromkeys("family children childrens".split(), "family"),
    **dict.fromkeys("fantasy magical wizard dragon fairytale mythical".split(), "fantasy"),
    "fairy tale": "fantasy",
    **dict.fromkeys("history historical".split(), "history"),
    "period piece": "history",
    **dict.fromkeys("horror scary scare frightening spooky creepy terrifying slasher zombie "
                    "vampire".split(), "horror"),
    **dict.fromkeys("music concert".split(), "music"),
    **dict.fromkeys("musical musicals broadway".split(), "musical"),
    "song and dance": "musical",
    **dict.fromkeys("mystery mysterious whodunit whodunnit detective".split(), "mystery"),
    **dict.fromkeys("romance romantic".split(), "romance"),
    "love story": "romance", "rom com": "comedy",
    **dict.fromkeys("scifi sf futuristic alien robot".split(), "sci-fi"),
    "sci fi": "sci-fi", "science fiction": "sci-fi", "outer space": "sci-fi",
    **dict.fromkeys("sport sports athletic football baseball boxing basketball soccer".split(),
                    "sport"),
    **dict.fromkeys("thriller thrilling suspense suspenseful".split(), "thriller"),
    **dict.fromkeys("war military soldier battle wwii ww2".split(), "war"),
    **dict.fromkeys("western cowboy".split(), "western"),
    "wild west": "western",
}
# Words that name a genre only when nothing stronger does ("I love comedy" is not romance).
WEAK_GENRE_SYNONYMS: dict[str, str] = {
    "love": "romance", "space": "sci-fi", "magic": "fantasy", "kids": "family",
    "kid": "family", "serious": "drama", "emotional": "drama", "period": "history",
}
_ROMCOM = ("romcom", "rom com", "romantic comedy")

_NEGATIONS = frozenset("not no without except hate hates dislike but nothing never".split())
_CUES = {
    "director": frozenset("by director directed from filmmaker".split()),
    "actor": frozenset("with starring stars star featuring actor actress".split()),
}

INTENT_PHRASES: dict[str, tuple[str, ...]] = {
    "bye": ("bye", "goodbye", "good bye", "bye bye", "see you", "see ya", "cya", "quit",
            "exit", "stop", "i am done", "that is all", "farewell", "leave me alone"),
    "no_preference_phrase": (
        "no preference", "no preferences", "no pref", "do not care", "dont care",
        "does not matter", "doesnt matter", "not matter", "no one in particular",
        "nothing in particular", "no one", "surprise me", "i do not mind", "do not mind",
        "no idea", "i do not know", "do not know", "not sure", "up to you", "you choose",
        "you pick", "next question", "no favorite", "no favourite", "any of them",
        "all of them", "either one", "it does not matter", "not particularly"),
    "yes_override": ("not bad", "not too bad", "why not", "of course", "i would not mind"),
    "another": ("another", "another one", "something else", "next", "different",
                "other one", "one more", "else", "show me more", "try again", "new one",
                "different one", "more"),
    "no": ("no", "nope", "nah", "not", "never", "negative", "no thanks", "no thank you",
           "i have not", "i did not", "i do not", "have not", "did not", "do not", "n",
           "not really", "no way", "i would not", "havent", "didnt", "dont", "wont", "cant"),
    "yes": ("yes", "yeah", "yea", "yep", "yup", "ya", "y", "sure", "ok", "okay",
            "definitely", "absolutely", "certainly", "indeed", "i do", "i have", "i did",
            "correct", "right", "affirmative", "sounds good", "sounds great", "please",
            "alright", "all right", "i would", "totally", "seen it", "watched it",
            "love it", "like it", "i like it",
            "yes please", "i have seen it", "yes i have"),
    "no_preference": ("any", "anything", "anyone", "anybody", "whoever", "whatever", "none",
                      "nobody", "skip", "pass", "either", "all", "dunno", "idk", "na",
                      "n a", "whichever"),
    "greeting": ("hi", "hello", "hey", "hiya", "howdy", "good morning", "good afternoon",
                 "good evening", "greetings", "yo", "sup", "hi there", "hello there"),
}

_MPAA_PATTERNS = (
    (re.compile(r"\bnc ?17\b"), "NC-17"),
    (re.compile(r"\b(?:x rated|rated x)\b"), "NC-17"),
    (re.compile(r"\bpg ?(?:13|thirteen)\b"), "PG-13"),
    (re.compile(r"\b(?:pg|parental guidance)\b"), "PG"),
    (re.compile(r"\b(?:rated r|r rated|rating r|restricted)\b"), "R"),
    (re.compile(r"\b(?:rated g|g rated|rating g|general audiences?)\b"), "G"),
)
_LONE_MPAA = {"r": "R", "g": "G"}
_TITLE_PATTERN = re.compile(
    r"\b(?:(?:something|anything|one|ones|movies?|films?|stuff|similar)\s+(?:like|to)"
    r"|similar to|in the (?:style|vein) of|reminds me of)\s+(?P<title>.+)",
    re.IGNORECASE,
)
_TITLE_TAIL = re.compile(r"[\s.!?,;:]*(?:please|thanks|thank you)?[\s.!?,;:]*$", re.IGNORECASE)


class Understander:
    """Intent and entity extraction over one catalogue's vocabulary.

    ``vocabulary`` is ``{"genres": [...], "actors": {name: films}, "directors": {name: films},
    "mpaa": [...]}`` as ``Db.vocabulary()`` returns it. Example::

        nlu = Understander(db.vocabulary())
        nlu("something like The Matrix", "genre")["title"]   # 'The Matrix'
    """

    def __init__(self, vocabulary: Mapping[str, Any]) -> None:
        self._stemmer = SnowballStemmer("english")
        known = {fold(g).replace(" ", "-") for g in vocabulary.get("genres", ())}
        self._known = known
        strong = {k: v for k, v in GENRE_SYNONYMS.items() if v in known}
        strong |= {g.replace("-", " "): g for g in known}
        weak = {k: v for k, v in WEAK_GENRE_SYNONYMS.items() if v in known}
        # Exact words first, then stems: "music" and "musical" share the stem "music".
        self._strong = {tuple(fold(k).split()): v for k, v in strong.items()}
        self._strong |= {self._stem_phrase(k): v for k, v in strong.items()
                         if self._stem_phrase(k) not in self._strong}
        self._weak = {self._stem_phrase(k): v for k, v in weak.items()} | {
            tuple(fold(k).split()): v for k, v in weak.items()}
        self._fuzzy_genre_words = {k: v for k, v in strong.items() if " " not in k and len(k) >= 5}
        self._mpaa = set(vocabulary.get("mpaa", ())) or {"G", "PG", "PG-13", "R", "NC-17"}
        reserved = set(strong) | set(WEAK_GENRE_SYNONYMS) | _phrase_words(INTENT_PHRASES)
        self._names = NameIndex(
            _counts(vocabulary.get("actors", {})),
            _counts(vocabulary.get("directors", {})),
            reserved=reserved,
        )

    def __call__(self, text: str, expect: str | None = None) -> dict[str, Any]:
        """Understand ``text`` (any string; it is cleaned first) asked about slot ``expect``."""
        cleaned, _ = clean_input(text)
        title, cleaned_rest = _split_title(cleaned)
        tokens = fold_utterance(cleaned_rest).split()
        used: set[int] = set()
        mpaa = self._mpaa_rating(tokens, expect, used)
        people = self._people(tokens, expect, used)
        genres, negated = self._genres(tokens, expect, used)
        return {
            "intent": intent_of(tokens),
            "genres": genres,
            "negated_genres": negated,
            "people": people,
            "mpaa": mpaa,
            "title": title,
            "rest": _rest(cleaned_rest, {tokens[i] for i in used}),
            "empty": not cleaned,
        }

    def _stem_phrase(self, phrase: str) -> tuple[str, ...]:
        return tuple(self._stemmer.stem(w) for w in fold(phrase).split())

    def _genres(self, tokens: list[str], expect: str | None, used: set[int]) -> tuple[list, list]:
        free = [t if i not in used else "\0" for i, t in enumerate(tokens)]
        stems = [self._stemmer.stem(t) for t in free]
        found = _phrase_hits(free, stems, self._strong)
        if not found:
            found = _phrase_hits(free, stems, self._weak)
        if not found and expect == "genre":
            found = self._fuzzy_genres(free)
        genres: list[str] = []
        negated: list[str] = []
        for start, size, genre in found:
            used.update(range(start, start + size))
            target = negated if _negated(tokens, start) else genres
            if genre not in target:
                target.append(genre)
        if genres and _has_romcom(tokens) and "romance" in self._known and "romance" not in genres:
            genres.append("romance")
        return genres, [g for g in negated if g not in genres]

    def _fuzzy_genres(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        found = []
        for i, token in enumerate(tokens):
            if len(token) < 5 or token in STOPWORDS:
                continue
            limit = 2 if len(token) >= 8 else 1
            best = min(
                ((edit_distance(token, word, limit), genre)
                 for word, genre in self._fuzzy_genre_words.items()),
                default=(limit + 1, ""),
            )
            if best[0] <= limit:
                found.append((i, 1, best[1]))
        return found

    def _people(self, tokens: list[str], expect: str | None, used: set[int]) -> list[dict]:
        role = expect if expect in PERSON_SLOTS else None
        free = [t if i not in used else "\0" for i, t in enumerate(tokens)]
        people = []
        for match in self._names.find(free, role=role):
            used.update(range(match.start, match.end))
            people.append({
                "name": match.name,
                "roles": match.person.roles,
                "cue": _cue(tokens, match.start),
                "typos": match.distance,
            })
        return people

    def _mpaa_rating(self, tokens: list[str], expect: str | None, used: set[int]) -> str | None:
        text = " ".join(tokens)
        for pattern, rating in _MPAA_PATTERNS:
            hit = pattern.search(text)
            if hit and rating in self._mpaa:
                used.update(_token_span(text, hit.start(), hit.end()))
                return rating
        if expect == "mpaa":
            for i, token in enumerate(tokens):
                if _LONE_MPAA.get(token) in self._mpaa:
                    used.add(i)
                    return _LONE_MPAA[token]
        return None


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


def _has_romcom(tokens: list[str]) -> bool:
    return _contains(f" {' '.join(tokens)} ", _ROMCOM)


def _negated(tokens: list[str], position: int) -> bool:
    return any(t in _NEGATIONS for t in tokens[max(0, position - 3) : position])


def _cue(tokens: list[str], position: int) -> str | None:
    before = tokens[max(0, position - 2) : position]
    for role, words in _CUES.items():
        if any(t in words for t in before):
            return role
    return None


def _token_span(text: str, start: int, end: int) -> range:
    first = text[:start].count(" ")
    return range(first, first + text[start:end].count(" ") + 1)


def _split_title(text: str) -> tuple[str | None, str]:
    """``"something like The Mask, please"`` -> ``("The Mask", "something like")``."""
    match = _TITLE_PATTERN.search(text)
    if not match:
        return None, text
    title = _TITLE_TAIL.sub("", match["title"]).strip(" \"'“”‘’")
    if not title or fold(title) in STOPWORDS:
        return None, text
    return title[:200], text[: match.start("title")]


def _rest(text: str, entity_tokens: set[str]) -> str:
    """``text`` without the words that carried entities (for sentiment)."""
    words = [w for w in text.split() if not set(fold_utterance(w).split()) <= entity_tokens
             or not fold_utterance(w)]
    return " ".join(words)


def _phrase_words(table: Mapping[str, Iterable[str]]) -> set[str]:
    return {word for phrases in table.values() for p in phrases for word in p.split()}


def _counts(people: Mapping[str, int] | Iterable[str]) -> dict[str, int]:
    if isinstance(people, Mapping):
        return {str(k): int(v) for k, v in people.items()}
    return dict.fromkeys(people, 1)
