"""Whether a film is a sequel, told from its title and the catalogue: the catalogue links no
films into series (no collection data), so a sequel is told by what people see in a title.

A film is a sequel when its title numbers it ("Toy Story 2", "Rocky II", "The Godfather Part
II", "Kill Bill: Vol. 2") or when it belongs to a franchise (``chatbot.franchises``) whose first
film the catalogue has from an earlier year ("The Empire Strikes Back" after *Star Wars*,
"Aliens" after *Alien*). A high number ("Apollo 13", "District 9") counts only when the
catalogue has the film it would follow. Used by the dialog to honour "no sequels" and to
answer "is that a sequel?". Example::

    sequel_of({"title": "Toy Story 2", "year": 1999}, db.find_title)
    # "Toy Story (1995)"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from chatbot.franchises import _OTHER_TITLES
from chatbot.titles import _NUMERALS, normalise_title, sequel_key

Finder = Callable[[str], Mapping[str, Any] | None]

# series whose members are films of their own, not sequels ("Iron Man" is no sequel of Marvel)
_UMBRELLAS = frozenset(("marvel", "mcu", "dc", "avengers", "wizarding world", "middle earth",
                        "middle earth films", "hannibal", "hannibal lecter", "godzilla", "bourne",
                        "cars"))
_MARKED = re.compile(r"\b(?:part|pt|vol|volume|chapter) (?P<n>\d+)\b")
_ROMAN = frozenset(("ii", "iii", "iv", "vi", "vii", "viii", "ix"))
# kings and queens are numbered too: "Richard III" is Shakespeare's, no sequel
_REGNAL = frozenset("richard henry edward george louis charles james william elizabeth mary".split())
_LOW = range(2, 5)  # "Toy Story 3", "Scream 4": numbered low, a sequel whatever the catalogue


def sequel_of(movie: Mapping[str, Any], find: Finder) -> str | None:
    """The film ``movie`` follows, as "Title (year)", "a film before it" when only its title
    numbers it, or None when nothing tells it is a sequel."""
    title = str(movie.get("title") or "")
    head = title.partition(":")[0]
    words = normalise_title(title).split()
    numbered = _numbered(head, title)
    if numbered is not None:
        base, number, plainly = numbered
        earlier = _earlier(base, movie, find, number)
        if earlier is not None:
            return earlier
        if plainly:
            return "a film before it"
    return _franchise_earlier(" ".join(words), movie, find)


def _numbered(head: str, title: str) -> tuple[str, int, bool] | None:
    """``(base, number, plainly)`` when the title numbers the film: "Part 2" anywhere, or a
    number ending the part before its colon; ``plainly`` when the number says sequel alone
    (a marker, a roman numeral, a low digit), not "Apollo 13"."""
    raw = [_NUMERALS.get(w, w) if i else w for i, w in enumerate(normalise_title(title).split())]
    marked = _MARKED.search(" ".join(raw))
    base = " ".join(raw)[: marked.start()].strip() if marked else ""
    if marked and base and int(marked["n"]) >= 2:  # "Kill Bill: Vol. 2": the words before it
        return base, int(marked["n"]), True
    head_words = normalise_title(head).split()
    if len(head_words) < 2:
        return None
    last = head_words[-1]
    number = last if last.isdigit() else _NUMERALS.get(last, "") if last in _ROMAN or len(last) > 2 else ""
    if not number.isdigit() or not 2 <= int(number) <= 20:
        return None
    base = " ".join(head_words[:-1])
    if not re.search(r"[a-z]", base):  # "8½" is no eighth film
        return None
    plainly = last in _ROMAN and base not in _REGNAL or last.isdigit() and int(last) in _LOW
    return base, int(number), plainly


def _earlier(base: str, movie: Mapping[str, Any], find: Finder, number: int) -> str | None:
    """The catalogue's film called ``base`` (or ``base`` with a lower number), older than ``movie``."""
    bare = (base,) if number in _LOW else ()  # "Toy Story 2" follows "Toy Story"; "Client 9" no "Client"
    for said in (*bare, *(f"{base} {n}" for n in range(number - 1, 0, -1))):
        found = find(said)
        if found is None or found.get("id") == movie.get("id"):
            continue
        key = sequel_key(normalise_title(str(found.get("title") or "").partition(":")[0]))
        if key in (sequel_key(said), sequel_key(base)) and _older(found, movie):
            return _named(found)
    return None


def _franchise_earlier(key: str, movie: Mapping[str, Any], find: Finder) -> str | None:
    """The first film of a franchise ``key`` belongs to, when the catalogue has it from before."""
    for name, others in _OTHER_TITLES.items():
        if name in _UMBRELLAS:
            continue
        if not any(f"{key} ".startswith(f"{words} ") for words in (name, *others)):
            continue
        first = find(name)
        if first is not None and first.get("id") != movie.get("id") and _older(first, movie):
            return _named(first)
    return None


def _older(found: Mapping[str, Any], movie: Mapping[str, Any]) -> bool:
    return bool(found.get("year") and movie.get("year") and int(found["year"]) < int(movie["year"]))


def _named(movie: Mapping[str, Any]) -> str:
    return f"{movie['title']} ({movie['year']})" if movie.get("year") else str(movie["title"])


def sequel_answer(movie: Mapping[str, Any], find: Finder) -> str:
    """"Is it a sequel?" about ``movie``, answered from its title and the catalogue."""
    title = str(movie.get("title") or "It")
    follows = sequel_of(movie, find)
    if follows == "a film before it":
        return f"Yes, going by its title {title} is a sequel"
    if follows:
        return f"Yes, {title} is a sequel: it follows {follows}"
    return (f"No, as far as I can tell {title} is no sequel: its title numbers no earlier film "
            "and I know of no series it continues")


# -- "no sequels please" -------------------------------------------------------------------
_SEQUEL_WORDS = r"(?:sequels?|prequels?|part ?(?:2|two|ii)s?|follow ?ups?|spin ?offs?|franchise (?:films?|movies?|stuff)|franchises)"
_REFUSING = re.compile(
    r"\b(?:no|not|nothing|without|none|never|dont|do not|hate|hates|avoid|skip|except|tired of|"
    r"sick of|rather not|no more|not into|anything but|no more|nope|nah|spare me|enough)\b"
    rf"[^,.;!?]*\b{_SEQUEL_WORDS}\b"
    rf"|\b{_SEQUEL_WORDS}\b[^,.;!?]*\b(?:please no|pls no|no thanks|not for me|not my thing|no|nope)\b"
    # sequels judged as a kind ("sequels are never as good", "part twos suck"): plural, generic
    r"|\b(?:sequels|prequels|part (?:2|two|ii)s)\b[^,.;!?]*\b(?:suck|sucks|bad|worse|worst|never|"
    r"boring|lame|overrated|cash grabs?|trash|garbage|meh|not as good|rarely|hate)\b"
    r"|\b(?:only|just) (?:the )?(?:originals?|firsts?|first ones?|first films?|first movies?|standalones?)\b"
    r"|\b(?:originals?|standalones?|stand alones?) only\b|\bstand ?alone (?:films?|movies?|ones?)\b")
_ASKING = re.compile(r"^\s*(?:is|isnt|was|wasnt|does|doesnt|are|arent|do|has|hasnt|have|any)\b")


def refuses_sequels(text: str) -> bool:
    """The words refuse sequels: "no sequels pls", "nothing with sequels", "I hate part twos",
    "only originals", "standalone films"; never a question ("is that a sequel?")."""
    return any(not _ASKING.match(clause) and _REFUSING.search(clause) for clause in _clauses(text))


def without_sequel_refusal(text: str) -> str:
    """``text`` less its clauses refusing sequels ("a comedy, no sequels" -> "a comedy")."""
    kept = [c for c in _CLAUSE.split(text) if not (_REFUSING.search(_folded(c)) and not _ASKING.match(_folded(c)))]
    return ", ".join(c.strip() for c in kept if c.strip())


_CLAUSE = re.compile(r"[,.;!?]+|(?<!anything)(?<!everything)\s+(?:but|and|though|tho)\s+", re.I)


def _folded(clause: str) -> str:
    return re.sub(r"['’]", "", clause.lower()).replace("-", " ").strip()


def _clauses(text: str) -> list[str]:
    return [_folded(c) for c in _CLAUSE.split(text) if c.strip()]


# -- "is that a sequel?" or "does it have a sequel?" ---------------------------------------
_IS_ASKED = re.compile(
    r"\b(?:is|was|isnt|wasnt|s)(?: not)?\s+(?:it|that|this|the (?:film|movie)|that one|this one|that film|"
    r"this film|that movie|this movie)\s+(?:a |an |the |one of the )?(?:sequel|prequel|part|follow|"
    r"first|original|spin|remake|continuation|series|franchise)"
    r"|\b(?:is|was|isnt|wasnt)(?: not)?\s+(?!there\b)[\w\s]*?\b(?:a|an) (?:sequel|prequel|follow up|spin off|continuation)\b"
    r"|\bpart of (?:a|the|some) (?:series|franchise|trilogy|saga)|\bthe first (?:one|film|movie)\b"
    r"|\b(?:a|the) sequel to\b|\bsequel of\b")


def asks_if_sequel(text: str) -> bool:
    """The question asks whether the film IS a sequel ("is that a sequel?", "is it part of a
    series?"), not whether it HAS one ("does it have a sequel?")."""
    return bool(_IS_ASKED.search(_folded(text)))


def later_answer(movie: Mapping[str, Any], find: Finder) -> str | None:
    """"Does it have a sequel?": the numbered follow-up the catalogue has, or None."""
    key = sequel_key(normalise_title(str(movie.get("title") or "").partition(":")[0]))
    numbered = _numbered(str(movie.get("title") or "").partition(":")[0], str(movie.get("title") or ""))
    base, number = (numbered[0], numbered[1]) if numbered else (key, 1)
    later = find(f"{base} {number + 1}")
    if later is None or later.get("id") == movie.get("id") or not _older(movie, later):
        return None
    head = sequel_key(normalise_title(str(later.get("title") or "").partition(":")[0]))
    if head != sequel_key(f"{base} {number + 1}"):
        return None
    return f"Yes, {movie.get('title')} has a sequel in my catalogue: {_named(later)}"
