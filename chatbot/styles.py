"""A person's name used as an adjective or a possessive: "Nolan's stuff", "Kubrick's films",
"something Tarantino-ish", "a Lynchian mood" is a wish for that person's films, said as "a
Nolan film" (which ``chatbot.mentions`` reads as the person, cue ``film_of``), never a title
("Nolan's stuff" is no film; *Hitchcock*, 2012, is not "a Hitchcock film").

Only a famous person's surname or a full name (``is_person``) is rewritten, so "Schindler's
List" and "Charlotte's Web" stay titles. Pure; no IO. Example::

    as_film_of("something like Nolan's stuff", lambda n: n == "nolan")
    # 'something like a Nolan film'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from chatbot.text import fold

_NAME = r"(?P<name>(?:[A-Za-z][\w.\-]*\s+)?[A-Za-z][\w\-]*?)"
_POSSESSIVE = re.compile(
    _NAME + r"(?:'s|’s|s'|’)\s+(?:(?:old|older|newer|later|early|earlier|best|other|recent)\s+)?"
    r"(?:stuff|films?|movies?|work|flicks?|ones?|filmography|catalog(?:ue)?|classics?|things?)\b")
_ADJECTIVE = re.compile(_NAME + r"(?:-ish|ish|-esque|esque|-style|-like|ian)\b(?!\s+(?:film|movie)s?\b)")
# "spielberg stuff", "tarantino-type stuff", "lucas type movies": a bare name before such words,
# and each name of a list before them ("spielberg or lucas stuff": both)
_BARE = re.compile(_NAME + r"(?:[\s\-](?:type|style|kind\s+of))?\s+(?:stuff|films|movies|flicks|things)\b")
_LISTED = re.compile(r"(?P<name>[A-Za-z][\w\-]*)\s*(?:,|\bor\b|\band\b|\bnor\b)\s*(?=a\s+[\w.\-]+(?:\s+[\w.\-]+)?\s+film\b)")
_ADJECTIVE_FILM = re.compile(_NAME + r"(?:-ish|ish|-esque|esque|-style|-like|ian)\s+(?:film|movie)s?\b")


def as_film_of(text: str, is_person: Callable[[str], bool]) -> str:
    """``text`` with each famous name used as an adjective or possessive said as "a X film";
    ``is_person`` tells a folded name ("nolan", "wes anderson") of someone famous."""
    for pattern in (_POSSESSIVE, _ADJECTIVE_FILM, _ADJECTIVE, _BARE):
        text = pattern.sub(lambda m: _film_of(m, is_person), text)
    for _ in range(text.count(" film")):  # each pass reaches one name further back in a list
        text = _LISTED.sub(lambda m: _listed_film_of(m, is_person), text)
    return text


def _listed_film_of(match: re.Match[str], is_person: Callable[[str], bool]) -> str:
    """"spielberg or a lucas film": the name listed before is a film of theirs too."""
    name = match["name"]
    return f"a {name} film{match.group(0)[len(name):]}" if is_person(fold(name)) else match.group(0)


def _film_of(match: re.Match[str], is_person: Callable[[str], bool]) -> str:
    name = match["name"]
    words = name.split()
    for start in range(len(words)):  # "like Wes Anderson's stuff", then "Anderson"
        said = " ".join(words[start:])
        if is_person(fold(said)) or is_person(fold(said.rstrip("'"))):
            return f"{' '.join(words[:start])} a {said} film".lstrip()
    return match.group(0)
