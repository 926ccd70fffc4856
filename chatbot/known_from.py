"""People named by a film they are known for: "that guy from the bourne movies", "the
actress from Titanic", "the director of Jaws", "whoever was in Pulp Fiction". Pure; no IO
(the catalogue is reached through the callables passed in).

The film's credits decide, never a character's or a title's words: a director named so is the
film's director (spelt as "directed by <name>"); an actor is the one credited at the head of
every film of a franchise said in the plural ("the bourne movies"), else the user is asked
which of the film's first-listed cast they mean (the catalogue has no billing order and no
record of who is a woman, so "the actress" is asked among a few more). Example::

    films = lambda said: [{"title": "Jaws", "directors": ["Steven Spielberg"], "cast": [...]}]
    known_from("the director of jaws", films)   # ('directed by Steven Spielberg', [])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

FilmsFn = Callable[[str, bool], Sequence[Mapping[str, Any]]]
"""``(title said, plural) -> films``: the film called so (or, plural, the films whose titles
carry the words, best known first), as catalogue dicts; [] when none."""

ASKED_AMONG = 3  # "the guy from Heat": which of its first three listed?
ASKED_AMONG_WOMEN = 4  # "the actress from Titanic": one more, as the catalogue can't tell
FRANCHISE_FILMS = 3  # fewer films of a name are too few to tell its lead from the cast order
DOMINANT = 1.5  # a franchise's lead: this many times the next one's share of its films

_NOUN = (r"(?:main\s+|lead\s+|leading\s+)?(?:guy|actor|actress|star|lead|woman|lady|man|girl|dude|"
         r"bloke|chick|fella|fellow|person|one|boy|kid|director|filmmaker|maker)")
_LINK = (r"(?:from|in|of|(?:who|that)\s+(?:was|is|were|are)\s+in|(?:who|that)\s+(?:starred|played|acted)"
         r"\s+in|(?:who|that)\s+(?:directed|made|did))")
_KNOWN_FROM = re.compile(
    rf"(?:\b(?:that|the|this)\s+(?P<noun>{_NOUN})\s+(?P<link>{_LINK})"
    r"|\bwhoever\s+(?P<who>was\s+in|is\s+in|starred\s+in|played\s+in|acted\s+in|directed|made))"
    r"\s+(?P<title>.+)", re.I)
_CLAUSE_END = re.compile(r"\s*(?:[,;!?]|\.(?:\s|$)|\bbut\b|\bplease\b|\bpls\b|$)", re.I)
_CUE_BEFORE = re.compile(r"\b(?:with|without|by|from|starring|featuring)\s*$", re.I)
_PLURAL = re.compile(r"\s+(?:movies|films|flicks|ones|series|franchise|trilogy|saga|sequels)$", re.I)
_AFTER_TITLE = frozenset("""and or in from with again though tho then instead too either either
    anymore please pls""".split())
_WOMEN = frozenset("actress woman lady girl chick".split())
_DIRECTING = frozenset("director filmmaker maker directed made did".split())
# "who is the director of jaws?": a question about the film, answered elsewhere
_ASKS_WHO = re.compile(r"^\s*(?:who|whos|who's|what|whats|what's|which|name|tell)\b", re.I)


def known_from(text: str, films: FilmsFn) -> tuple[str, list[str]]:
    """``(text, [])`` with the person spelt as their name, or ``(text, choices)`` when the
    film's cast leaves it open (the user is asked which; ``text`` spelt with the first, to
    read whether the person is wished for or refused); ``text`` unchanged when no film is
    named so or the catalogue lacks it."""
    if _ASKS_WHO.match(text):
        return text, []
    match = _KNOWN_FROM.search(text)
    if match is None:
        return text, []
    said, found, plural = _film_said(match["title"], films)
    if not found or _named_so(match, said, films):
        return text, []
    word = (match["noun"] or match["who"]).split()[-1].lower()
    directing = word in _DIRECTING or (match["link"] or "x").split()[-1].lower() in _DIRECTING
    tail, head = match["title"][len(said):], text[: match.start()]
    cued = bool(_CUE_BEFORE.search(head))  # "nothing with that guy from ...": cued already
    if directing:
        directors = [d for d in found[0].get("directors") or () if d]
        if not directors:
            return text, []
        return f"{head}{'' if cued else 'directed by '}{' or '.join(directors)}{tail}", []
    lead, choices = _lead(found, word in _WOMEN, plural)
    if lead is None and not choices:
        return text, []
    return f"{head}{'' if cued else 'with '}{lead or choices[0]}{tail}", [] if lead else choices


def _named_so(match: re.Match[str], said: str, films: FilmsFn) -> bool:
    """"the man in the iron mask", "the one from the 90s": a title itself, or "one" with no
    verb of acting or making (a film pointed at, not a person)."""
    if match["noun"] is None:
        return False
    if match["noun"].split()[-1].lower() == "one" and not (match["link"] or "").lower().startswith(("who", "that")):
        return True
    whole = f"{match.group(0)[: match.start('title') - match.start()]}{said}".strip()
    return any(str(f.get("title", "")).lower().removeprefix("the ") == whole.lower().removeprefix("the ")
               for f in films(whole, False))


def _film_said(rest: str, films: FilmsFn) -> tuple[str, Sequence[Mapping[str, Any]], bool]:
    """The longest start of ``rest`` (up to the clause's end) that names a film, its films,
    and whether it was said in the plural ("the fast and furious films")."""
    end = _CLAUSE_END.search(rest)
    words = rest[: end.start() if end else len(rest)].split()
    for size in range(min(len(words), 8), 0, -1):
        if size < len(words) and words[size].lower() not in _AFTER_TITLE:
            continue  # "the girl in the red dress": no film *Red* with a dress after it
        said = " ".join(words[:size])
        plural = _PLURAL.search(said) is not None
        found = films(_PLURAL.sub("", said), plural)
        if found:
            return said, found, plural and len(found) > 1
    return "", [], False


def _lead(films: Sequence[Mapping[str, Any]], woman: bool, plural: bool) -> tuple[str | None, list[str]]:
    """The franchise's lead when one heads its films clearly, else the few to ask among."""
    shares: dict[str, float] = {}
    for film in films[: 8 if plural else 1]:
        # Spielberg listed in Jaws' cast: a cameo; Stallone first in Rocky II: its lead
        cast = [c for c in film.get("cast") or () if c]
        acting = cast[:1] + [c for c in cast[1:] if c not in (film.get("directors") or ())]
        for position, name in enumerate(acting[:ASKED_AMONG_WOMEN]):
            shares[name] = shares.get(name, 0.0) + 1.0 / (position + 1)
    ranked = sorted(shares, key=lambda n: -shares[n])
    if not ranked:
        return None, []  # a film without cast: no one to name
    if plural and len(films) >= FRANCHISE_FILMS and (len(ranked) == 1 or shares[ranked[0]] >= DOMINANT * shares[ranked[1]]):
        return ranked[0], []
    return None, ranked[: ASKED_AMONG_WOMEN if woman else ASKED_AMONG]
