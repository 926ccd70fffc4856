"""A film asked for by its title: "do u have The Others (2001)?", "I meant Vertigo, the
Hitchcock one", "got Shining? the Kubrick one", "can I get memento". Pure; no IO.

A clause that opens with a cue asking for a film by name ("I meant", "can I get", "do you
have", "I want to watch", "let's watch", "how about") and goes on with a catalogue title
asks for that film; so does a title followed by its year in parentheses anywhere. The year in
parentheses belongs to the title (it tells films of one title apart), never a wish for films
of that year. An everyday-words title ("Up", "Heat") counts only when written with a capital,
followed by its year, or described ("the Kubrick one"). Example::

    wanted_title("do u have The Others (2001)?", index.exact, common)   # 'The Others (2001)'
    without_title_years("do u have The Others (2001)?", index.exact)    # 'do u have The Others?'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from chatbot.questions import title_then
from chatbot.text import fold

Exact = Callable[[str], str | None]
MAX_TITLE_WORDS = 8
RARE_ZIPF = 3.5  # a lower-case title with no word rarer than this needs a hint after it
_YEAR = re.compile(r"\s*\((1[89]\d\d|20\d\d)\)")
# a clause ends at ".", "!", "?" or ";", but not at the dots of initials or a title's "Mr."
# ("do you have E.T. the Extra-Terrestrial", "got Fantastic Mr. Fox?")
_CLAUSE = re.compile(r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|Jr|vs)\.|[^.!?;])+")
_BARE_YEAR = re.compile(r"(?<=[\w'!])\s+(1[89]\d\d|20\d\d)\b(?!s|'s)")
_RANGE_AFTER = re.compile(r"\s*(?:-|–|to|or|and|through|till|until)\s*'?\d", re.I)
_CUES = tuple(tuple(c.split()) for c in (
    "i meant", "i mean", "meant", "no i meant", "can i get", "could i get", "can i have",
    "could i have", "can you get", "can we get", "can we watch", "can we do", "got",
    "have you got", "do you have", "do u have", "you got", "u got", "any chance of",
    "i want to watch", "i wanna watch", "i want to see", "i wanna see", "we want to watch",
    "we wanna watch", "lets watch", "lets do", "let us watch", "how about", "what about",
    "put on", "play", "give me", "id like", "i would like", "we want", "i want", "id love",
    "i would love", "wed love", "we would love", "we would like", "wed like", "i feel like", "im in the mood for",
    "show me", "show us", "can you show me", "just show me",
    "in the mood for", "i fancy", "we fancy", "could we watch", "could i watch", "maybe"))
# cues that ask for a film instead of the one proposed: an everyday-words title after them
# is one ("just give me collateral", "i'd rather have point break", "i was thinking mamma mia")
_INSTEAD_CUES = frozenset(tuple(c.split()) for c in (
    "i wanted", "we wanted", "i was thinking", "i was thinking of", "im thinking", "thinking of",
    "i was hoping for", "gimme", "give me", "id rather", "id rather have", "id prefer",
    "i prefer", "ill have", "we will have", "ill take", "go back to", "back to", "rather"))
_CUES += tuple(_INSTEAD_CUES - set(_CUES))
# "I'd like *to watch* The Godfather", "i feel like *watching* heat": the verb after a cue
_ADVERBS = frozenset("really actually honestly just".split())
_WATCH_VERBS = frozenset("to watch see rewatch watching seeing rewatching".split())
_FILLERS = frozenset("""no nah nope ok okay well oh wait actually sorry anyway anyways yes
    yeah yep hmm um and but so then seen it already bro dude man ooh omg ugh meh lol hm""".split())
_AFTER = frozenset("""the instead then tonight now thanks thx maybe pls plz please tbh lol
    lmao haha tho though""".split())  # "X instead", "X pls"
# words after a title said alone that ask for it: "four weddings pls", "toy story 2 then"
_ASKING_AFTER = frozenset("instead then pls plz please".split())
_SOUNDS = re.compile(r"^(?:h?m+|u+m+|o+h+|a+h+|e+h+|u+g+h+|h+m+)$")  # "mmm", "ehh": no words
_HINTED = re.compile(r"^,?\s*(the|that)\b", re.I)  # "memento, the nolan film"


def wanted_title(text: str, exact: Exact, common: Mapping[str, float],
                 started: Exact | None = None) -> str | None:
    """The title (with "(year)" when one was given) that ``text`` asks for, else None;
    ``started`` finds the long title a few words start ("four weddings"), trusted only
    after a cue asking for a film instead or before "pls"/"then"/"instead"."""
    shortened = _either(exact, started) if started is not None else exact
    for clause in _CLAUSE.findall(text):
        found = _year_titled(clause, exact) or _cued(clause, exact, common, shortened) or _unknown(clause)
        if found:
            return found
    return None


# "hook or e t would be even better, do you have those", "do you have lotr or wall e?": a list
# of titles asked for, each to be answered
_THOSE = re.compile(r"\b(?:do|have|got)\s+(?:you|u)\s+(?:have|got\s+)?\s*(?:those|them|these|either|both|"
                    r"any\s+of\s+(?:those|them|these))\b", re.I)
_LIST_CUE = re.compile(r"\b(?:do|have)\s+(?:you|u)\s+(?:have|got)\s+(?:either\s+)?", re.I)
_WOULD = re.compile(r"\s+(?:would|will|might|could)\s+be\b.*$|\s+(?:though|tho)\b.*$", re.I)
Listed = Callable[[str], tuple[list[str], str]]


def wanted_titles(text: str, listed: Listed) -> list[str]:
    """The titles of a list asked for, two or more, else []: before "do you have those"
    (in the same sentence) or after "do you have" ("do you have Hook or E.T.?")."""
    for clause in _CLAUSE.findall(text):
        those = _THOSE.search(clause)
        if those:
            before = _WOULD.sub("", clause[: those.start()].rstrip(" ,"))
            words = before.split()
            for start in range(len(words)):  # the list opens after the sentence's other words
                titles, rest = listed(" ".join(words[start:]))
                if len(titles) > 1 and not rest.strip(" ,") and _joined(" ".join(words[start:]), titles):
                    return titles
        cue = _LIST_CUE.search(clause)
        if cue:
            titles, rest = listed(clause[cue.end() :])
            if len(titles) > 1 and _joined(clause[cue.end() : len(clause) - len(rest)], titles):
                return titles
    return []


def _joined(said: str, titles: list[str]) -> bool:
    """Each title after the first follows "or", "and" or a comma: "citizen kane 3" is one
    title asked for (a sequel the catalogue lacks), never *Citizen Kane* and *3*."""
    return len(re.findall(r"\b(?:or|and|nor)\b|[,&/+]", said, re.I)) >= len(titles) - 1


def with_title_years(text: str, exact: Exact, common: Mapping[str, float]) -> str:
    """``text`` with a bare year said right after a catalogue title put in parentheses: "do
    you have star trek 2009", "how long is king kong 1976?" name that film of the title (a
    remake, a reboot), never films of that year. The title must plainly be one (a rare
    word, a capital or two words or more): "a comedy 1995" stays a year."""
    def parenthesised(match: re.Match[str]) -> str:
        if _RANGE_AFTER.match(text, match.end()):  # "star trek 2009 to 2013": a span of years
            return match.group(0)
        said = _said_title_ending(text[: match.start()], exact)
        if said is None or not _plainly_a_title(said, "", common) and len(
                [w for w in fold(said).split() if w not in ("the", "a", "an", "of")]) < 2:
            return match.group(0)
        return f" ({match.group(1)})"
    return _BARE_YEAR.sub(parenthesised, text)


def asked_with_year(asked: str, wanted: str | None) -> str:
    """The title asked about with the year said after it ("how long is King Kong (1976)?")."""
    match = _YEAR.search(wanted or "")
    same = match is not None and fold(str(wanted)[: match.start()]) == fold(asked)
    return str(wanted) if same else asked


def without_title_years(text: str, exact: Exact, wanted: str | None = None) -> str:
    """``text`` without the "(year)" written after a catalogue title (or any, when a film
    was ``wanted`` by title: "any chance of Se7en (1995)?")."""
    def drop(match: re.Match[str]) -> str:
        return "" if wanted or _title_ending(text[: match.start()], exact) else match.group(0)
    return _YEAR.sub(drop, text)


def _year_titled(clause: str, exact: Exact) -> str | None:
    match = _YEAR.search(clause)
    if match is None:
        return None
    before = clause[: match.start()]
    title = _title_ending(before, exact)
    said = _said_title_ending(before, exact) if title else None
    words = before.split()
    lead = " ".join(words[: len(words) - len(str(said).split())]).lower() if said else ""
    if _LIKENESS.search(lead):  # "something darker, like Fight Club (1999)": like it, not it
        return None
    if _TOLD.search(lead) or len(_YEAR.findall(clause)) > 1:
        return None  # "loved Heat (1995), Ronin (1998)": films told of, none asked for
    return f"{title} ({match.group(1)})" if title else None


# a list of films the user loved or has seen names them, asks for none of them
_TOLD = re.compile(r"\b(?:loved|liked|enjoyed|adored|seen|saw|watched|fav(?:ou?rites?|s)|hated|"
                   r"disliked|already)\b", re.I)
_LIKENESS = re.compile(r"\b(?:like|similar\s+to|such\s+as|vein\s+of|lines\s+of|style\s+of|same\s+as)$")


def _unknown(clause: str) -> str | None:
    """A cued title the catalogue lacks, known for one by its "(year)": "got Se7en (1995)?"."""
    match = _YEAR.search(clause)
    if match is None:
        return None
    words = [fold(w) for w in clause[: match.start()].split()]
    start = next((i for i, w in enumerate(words) if w not in _FILLERS), len(words))
    cue = max((c for c in _CUES if tuple(words[start : start + len(c)]) == c), key=len, default=None)
    said = clause[: match.start()].split()[start + len(cue) :] if cue else []
    return f"{' '.join(said)} ({match.group(1)})" if 0 < len(said) <= MAX_TITLE_WORDS else None


def _title_ending(before: str, exact: Exact) -> str | None:
    """The longest catalogue title the words of ``before`` end with."""
    said = _said_title_ending(before, exact)
    return exact(said) if said is not None else None


def _said_title_ending(before: str, exact: Exact) -> str | None:
    """The words of ``before`` that end it and are a catalogue title, as said."""
    words = before.split()
    for size in range(min(len(words), MAX_TITLE_WORDS), 0, -1):
        said = " ".join(words[-size:]).strip(",:;\"'")
        if exact(said) is not None:
            return said
    return None


def _either(exact: Exact, started: Exact) -> Exact:
    return lambda said: exact(said) or started(said)


def _cued(clause: str, exact: Exact, common: Mapping[str, float], shortened: Exact) -> str | None:
    raw = [w for w in clause.split() if fold(w) not in _ADVERBS]  # "I'd *really* like to watch Jaws"
    words = [fold(w) for w in raw]
    start = 0
    while start < len(words) and (words[start] in _FILLERS or _SOUNDS.match(words[start])):
        start += 1
    cue = max((c for c in _CUES if tuple(words[start : start + len(c)]) == c), key=len, default=None)
    if cue is None:
        return _asked_alone(raw[start:], shortened, common)
    at = start + len(cue)
    find = shortened if cue in _INSTEAD_CUES else exact  # "gimme four weddings"
    while at < len(words) - 1 and words[at] in _WATCH_VERBS:
        at += 1
    for size in range(min(len(raw) - at, MAX_TITLE_WORDS), 0, -1):
        said = " ".join(raw[at : at + size]).strip(",:;\"'?")
        title = find(said)
        rest = [w for w in words[at + size :] if w]
        ended = raw[at + size - 1][-1:] in ",;:"  # "what about Zodiac, is that one in your list?"
        if title is None or not ended and not title_then(rest[:1]) and not set(rest[:1]) & _AFTER:
            continue
        if not ended and not set(rest) <= _AFTER and exact(said) is None:
            continue  # "i'd rather have something from the 80s": words going on past a title's start
        article = fold(said).split()[0] in ("a", "an") and fold(title).split()[0] != fold(said).split()[0]
        instead = cue in _INSTEAD_CUES and set(rest) <= _AFTER  # "gimme collateral lol"
        if not article and (instead or _plainly_a_title(said, " ".join(raw[at + size :]), common)):
            return title
    return None


def _asked_alone(raw: list[str], exact: Exact, common: Mapping[str, float]) -> str | None:
    """A clause that is a title and a word asking for it: "ooh four weddings pls", "toy
    story 2 then", "heat instead"."""
    for size in range(min(len(raw) - 1, MAX_TITLE_WORDS), 0, -1):
        rest = [fold(w) for w in raw[size:]]
        if not set(rest) & _ASKING_AFTER or not set(rest) <= _AFTER:
            continue  # a title with "pls", "then", "instead" (alone it may be a wish: "R")
        said = " ".join(raw[:size]).strip(",:;\"'?")
        title = exact(said)
        content = [w for w in fold(said).split() if w not in ("the", "a", "an", "of")]
        if title is not None and (len(content) > 1 or _plainly_a_title(said, "", common)):
            return title
    return None


def _plainly_a_title(said: str, after: str, common: Mapping[str, float]) -> bool:
    words = [w for w in fold(said).split() if w not in ("the", "a", "an", "of")]
    rare = any(common.get(w, 0.0) < RARE_ZIPF for w in words)
    capital = any(w[:1].isupper() for w in said.split() if fold(w) not in ("i",))
    return bool(words) and (rare or capital or bool(_HINTED.match(after.strip())))


# "layer cake sounds good, how long is that one": a film approved by name is the one taken
_APPROVING = re.compile(r"^\s*(?:sounds|looks|seems|is|would\s+be|could\s+be)\s+(?:really\s+|so\s+|pretty\s+|way\s+)?"
                        r"(?:good|great|fun|cool|nice|interesting|perfect|better|awesome|fine|ok|okay|"
                        r"promising|decent|like\s+a\s+plan)\b", re.I)
_POINTING = frozenset("it that this which one them those these he she they".split())


def approved_title(text: str, exact: Exact, common: Mapping[str, float]) -> str | None:
    """The catalogue film a clause opens with and approves ("Layer Cake sounds good", "ok
    superbad looks fun"), else None; "that sounds good" points back and names none."""
    for clause in _CLAUSE.findall(text):
        raw = clause.split()
        start = 0
        while start < len(raw) and (fold(raw[start]) in _FILLERS or _SOUNDS.match(fold(raw[start]))):
            start += 1
        for size in range(min(len(raw) - start, MAX_TITLE_WORDS), 0, -1):
            said = " ".join(raw[start : start + size]).strip(",:;\"'")
            if fold(said) in _POINTING or not _APPROVING.match(" ".join(raw[start + size :])):
                continue
            title = exact(said)
            if title is not None and _plainly_a_title(said, "", common):
                return title
    return None

