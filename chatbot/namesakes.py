"""Which of several readings of a name the user meant, when the plain order of
``chatbot.names`` (sure first, fewest typos, longest) would pick a little-known person: a lone
word ("Jacky") inside a window naming someone famous ("jacky chan": Jackie Chan), a closer
spelling of someone obscure ("Jacki R. Chan"), or a word after "from" that names a place
("a film from Boston"). Pure; the readings are ``chatbot.names.NameMatch``-like objects.

Example: for "with jacky chan", ``outnamed(<Jacky>, readings)`` is True when a reading of
"jacky chan" names Jackie Chan, who is better known than the one-word "Jacky".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chatbot.text import fold

KNOWN_BETTER = 2.0  # a reading of someone this many times better known wins the same window


class _Person(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def notable(self) -> tuple[str, ...]: ...

    def fame_as(self, role: str | None) -> float: ...


class Reading(Protocol):
    """A person found at utterance tokens ``[start, end)``; ``sure`` unless to be confirmed."""

    @property
    def person(self) -> _Person: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def sure(self) -> bool: ...


def outnamed(match: Reading, found: Sequence[Reading]) -> bool:
    """A lone word naming someone little known ("Jacky", "Jonny Lee Miller" by "jonny") inside
    a longer window that names someone better known ("jacky chan": Jackie Chan; "jonny dep":
    Johnny Depp): the whole window is the name the user meant, typos and all."""
    if match.end - match.start > 1 or match.person.notable:
        return False
    return any(other.end - other.start > 1 and other.start <= match.start < other.end
               and other.person.fame_as(None) > match.person.fame_as(None) for other in found)


def cut_short(match: Reading, found: Sequence[Reading]) -> bool:
    """A name spelt right ("Francis Ford") at the start of a longer window that names someone
    far better known with a typo in the rest ("francis ford copola": Francis Ford Coppola): the
    user said the longer name and misspelt its end."""
    return any(other.start == match.start and other.end > match.end
               and other.person.fame_as(None) > KNOWN_BETTER * match.person.fame_as(None)
               for other in found)


def better_known_typo(match: Reading, found: Sequence[Reading]) -> bool:
    """Two unsure readings of the same misspelt window ("jacky chan": Jacki R. Chan one edit
    away, Jackie Chan two): the far better known person is the one meant."""
    return not match.sure and any(
        not other.sure and (other.start, other.end) == (match.start, match.end)
        and other.person.fame_as(None) > KNOWN_BETTER * match.person.fame_as(None)
        for other in found)


def first_name_contradicts(match: Reading, found: Sequence[Reading],
                           tokens: Sequence[str]) -> bool:
    """A one-word surname reading ("hardie": Jerry Hardin) whose first name is not the word
    said before it ("tom"), while a reading of both words names someone of that first name
    ("tom hardie": Tom Hardy): the user gave the first name, so the other reading wins, however
    well known the namesake."""
    if match.end - match.start > 1 or match.start == 0:
        return False
    said = tokens[match.start - 1]
    if _first_name(match.person) == said:
        return False
    return any(other.start == match.start - 1 and other.end == match.end
               and _first_name(other.person) == said for other in found)


def _first_name(person: _Person) -> str:
    words = fold(person.name).split()
    return words[0] if len(words) > 1 else ""


def place_after_from(tokens: Sequence[str], match: Reading, found: Sequence[Reading]) -> bool:
    """"something from Hong Kong", "a film from Paris": an English word (the caller checks)
    after "from", or the word after it, names a place far more often than a little-known
    person; only someone famous is read there ("a film from Kubrick")."""
    if match.person.notable or match.end - match.start > 1:
        return False
    before = tokens[max(0, match.start - 2) : match.start]
    if before[-1:] == ["from"]:
        return True
    return before[:1] == ["from"] and not any(  # "from hong kong": "kong" after an unnamed word
        m.start <= match.start - 1 < m.end and m.person.notable for m in found)
