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
_ADJECTIVE_FILM = re.compile(_NAME + r"(?:-ish|ish|-esque|esque|-style|-like|ian)\s+(?:film|movie)s?\b")


def as_film_of(text: str, is_person: Callable[[str], bool]) -> str:
    """``text`` with each famous name used as an adjective or possessive said as "a X film";
    ``is_person`` tells a folded name ("nolan", "wes anderson") of someone famous."""
    for pattern in (_POSSESSIVE, _ADJECTIVE_FILM, _ADJECTIVE):
        text = pattern.sub(lambda m: _film_of(m, is_person), text)
    return text


def _film_of(match: re.Match[str], is_person: Callable[[str], bool]) -> str:
    name = match["name"]
    words = name.split()
    for start in range(len(words)):  # "like Wes Anderson's stuff", then "Anderson"
        said = " ".join(words[start:])
        if is_person(fold(said)) or is_person(fold(said.rstrip("'"))):
            return f"{' '.join(words[:start])} a {said} film".lstrip()
    return match.group(0)
