"""A lone surname said while a film is shown: its credited bearer only when the words point at
that film. "is duvall in it?" while *The Shining* is shown asks about its Shelley Duvall;
"scratch that, make it duvall" wishes for the Duvall best known in the catalogue (Robert,
75 films), as the surname said alone means, not a bit player of the film on the table.
Pure; the reading of a name is passed in. Example::

    about_shown_film("is duvall in it?")               # True
    about_shown_film("scratch that, make it duvall")   # False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Read = Callable[[str], Sequence[Mapping[str, Any]]]  # the people a text names, as the NLU reads them

# a question, or words that point at the film or a person of it ("in it", "from this one", "her")
_AT_FILM = re.compile(
    r"\?|\b(?:in|from|of|on)\s+(?:it|this|that|there|the\s+(?:film|movie|cast))\b"
    r"|\b(?:this|that)\s+(?:one|film|movie|cast)\b|\b(?:he|she|him|her|his|hers)\b"
    r"|\b(?:the|that|this)\s+(?:actor|actress|lead|guy|girl|woman|man|director)\b"
    r"|^\s*(?:is|was|does|did|who|whos|who's|isn'?t|wasn'?t)\b", re.I)


def about_shown_film(text: str) -> bool:
    """The words are about the film shown (a question, "in it", "that actor"), so a surname
    in them is the one credited on it."""
    return _AT_FILM.search(text) is not None


def better_known(surname: str, credited: str, read: Read) -> bool:
    """Someone other than ``credited`` is who ``surname`` said alone means, with more films in
    the catalogue: "duvall" is Robert Duvall, not *The Shining*'s Shelley Duvall."""
    alone = list(read(surname))  # unsure ("dillon": Matt or Melinda): the one with most films first
    if not alone or alone[0].get("name") == credited:
        return False
    own = [p for p in read(credited) if p.get("name") == credited]
    return not own or _films(alone[0]) > _films(own[0])


def _films(person: Mapping[str, Any]) -> int:
    return sum(int(n) for n in dict(person.get("films") or {}).values())
