"""People an answer named, and people named through another film, made usable as wishes.
Pure; no IO (the title lookup is passed in).

* **the person an answer named**: after "who directed jaws?" -> "Jaws was directed by Steven
  Spielberg", "ok something by him" / "more of his films" asks for Spielberg. The answer's
  person is kept in the state (``REFERENT_KEY``) for ``REFERENT_TURNS`` turns, and a pronoun
  after a wish cue ("by him", "with her", "his films") is spelt as the name.
* **a person named through a film**: "anything by the director of jaws", "something with the
  star of gravity" is that film's director or lead, spelt as the name before understanding
  ("who is the director of jaws?" asks a question: only a wish cue before it counts).

Example::

    state = {"turns": 3}
    remember(state, [("Steven Spielberg", "director")])
    state["turns"] = 4
    resolve("ok something by him", state, lambda t: None)   # 'ok something by Steven Spielberg'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatbot.answers import cast_listed
from chatbot.fondness import LIKING_PATTERN
from chatbot.text import english_words, pattern

REFERENT_KEY = "referent"
MAX_NAMED = 6  # an answer naming more ("who stars in it?" lists six) is no referent
REFERENT_TURNS = 3  # a pronoun may point back at an answer's person this many turns later
_CUED_PRONOUN = re.compile(
    r"\b(?P<cue>by|with|from|starring|featuring|of)\s+(?P<pronoun>him|her|them)\b", re.I)
_POSSESSIVE = re.compile(
    r"\b(?P<pronoun>his|her|their)\s+(?P<noun>(?:other\s+)?(?:films?|movies?|stuff|work))\b", re.I)
# "more of hers", "anything else of his": the person's films
_OF_THEIRS = re.compile(r"\b(?P<cue>of)\s+(?P<pronoun>his|hers|theirs)\b(?!\s+(?:films?|movies?|stuff|work))",
                        re.I)
# "oh i love him", "big fan of her" just after an answer named one person: that person, liked
_LIKED_PRONOUN = re.compile(rf"\b(?P<cue>{LIKING_PATTERN})\s+(?P<pronoun>him|her)\b(?!\s+in\b)", re.I)
_PLURAL = ("them", "their", "they", "theirs")
# "same director pls", "more from that director": the director of the film on the table
_SAME_DIRECTOR = re.compile(r"\b(?:(?:by|from|of)\s+(?:the\s+)?(?:same|that|this)|(?:the\s+)?same)\s+"
                            r"(?:director|filmmaker)\b(?!\s*(?:'s|s\b|is\b|was\b))", re.I)
_SUBJECT = re.compile(r"\b(?P<pronoun>he|she|they)\s+(?P<verb>directed|made|did|starred in|"
                      r"was in|is in|acted in|played in)\b", re.I)
_THROUGH_FILM = re.compile(
    r"\b(?P<cue>by|from|with|starring|featuring)\s+(?:the\s+)?(?:(?P<role>director|maker|filmmaker|"
    r"star|lead|main actor|main actress|lead actor|lead actress)\s+of"
    r"|(?:(?:guy|person|man|woman|lady|one|people|folks)\s+(?:who|that)|whoever)\s+"
    r"(?P<made>directed|made))"
    r"\s+(?P<title>.+)", re.I)
_TITLE_END = re.compile(r"\s*(?:[,;!?.]|\bbut\b|\band\b|\bor\b|\bplease\b|\bpls\b|$)", re.I)
_DIRECTING = ("director", "maker", "filmmaker")


def remember(state: dict[str, Any], people: Sequence[tuple[str, str]]) -> None:
    """Keep the people an answer named (``(name, role)``, up to six: "them"/"their" is any of
    them, "him"/"her" is one, asked which when there are several); none: forget."""
    if 1 <= len(people) <= MAX_NAMED:
        state[REFERENT_KEY] = {"names": [p[0] for p in people], "role": people[0][1],
                               "turn": state.get("turns", 0)}
    else:
        state.pop(REFERENT_KEY, None)


def answered_people(topics: Sequence[str], movie: Mapping[str, Any],
                    actors: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The people an answer about ``movie`` names: its director for "who directed it?", the
    cast it lists for "who's in it?" (``actors`` asked for come first, as in the answer)."""
    if "director" in topics:
        return [(d, "director") for d in movie.get("directors") or () if d]
    if "cast" in topics or "leads" in topics:
        return [(c, "actor") for c in cast_listed(movie, actors, leads="cast" not in topics)]
    return []


def ambiguous(text: str, state: Mapping[str, Any]) -> list[str]:
    """The names "him"/"her" in ``text`` may be, when the answer it points back at named
    several ("who's in titanic?" then "something with her"): the user is asked which; else []."""
    referent = state.get(REFERENT_KEY)
    if not referent or state.get("turns", 0) - int(referent.get("turn", 0)) > REFERENT_TURNS:
        return []
    names = list(referent.get("names") or ())
    singular = [m for pattern in (_CUED_PRONOUN, _POSSESSIVE, _SUBJECT, _OF_THEIRS)
                for m in pattern.finditer(text) if m["pronoun"].lower() not in _PLURAL]
    return names if len(names) > 1 and singular and own_person(state) is None else []


def own_person(state: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(name, role)`` of the person the user last asked for who is credited on the film on
    the table ("Scorsese" then Goodfellas): whom "him"/"her" means when an answer since named
    several people ("something else from him" after its cast was listed), else None."""
    film = state.get("current") or {}
    credited = {*(film.get("cast") or ()), *(film.get("directors") or ())}
    for wish in reversed(list(state.get("wishes") or ())):
        if wish.get("slot") in _NAME_SLOTS and not wish.get("exclude"):
            for name in reversed(list(wish.get("values") or ())):
                if name in credited:
                    return name, str(wish["slot"])
    return None


def spelt_as(text: str, name: str) -> str:
    """``text`` with its singular pronouns after a wish cue spelt as ``name`` ("nothing with
    her" -> "nothing with Kate Winslet"): to read whether the person is wished or refused."""
    return _CUED_PRONOUN.sub(lambda m: f"{m['cue']} {name}", text)


_NAME_SLOTS = ("actor", "director")
# words around a lone first name or surname that leave it standing alone ("I said NOT Arnold",
# "no more Pacino please"); any other word beside it may make it someone else's name
_AROUND = frozenset("""i said not no nope never nothing with without by from and or but want
    dont don't do like more any him her please pls again just really than instead of
    forget drop ditch scrap remove lose about then scratch cross out off
    has have had did done been made make was is in""".split())  # "what else has Hackman done?"


_GIVING_UP = ("scratch", "drop", "forget", "ditch", "lose", "not", "no", "without", "remove", "scrap",
              "cross out")
_NAME_CUES = frozenset("with starring featuring by is was and not no more".split())


def spelt_in_full(text: str, wishes: Sequence[Mapping[str, Any]],
                  film: Mapping[str, Any] | None = None,
                  elsewhere: Callable[[str, str], bool] = lambda surname, name: False) -> str:
    """``text`` with a lone first name or surname of a person already wished for or refused
    spelt in full ("no!! I said NOT Arnold" after Arnold Schwarzenegger: that Arnold); then
    a lone surname of someone credited on the film on the table ("is hemsworth in it?" while
    Star Trek is proposed: its Chris Hemsworth, not another Hemsworth), unless
    ``elsewhere(surname, name)``: the surname means someone else ("make it duvall")."""
    names = [v for w in wishes if w.get("slot") in _NAME_SLOTS for v in w.get("values") or ()]
    for name in names:
        if name.lower() in text.lower():
            continue
        for part in (p for p in name.split() if len(p) >= 4):
            text = _spelt(text, part, name)
        if len(name.split()[0]) == 3 and name.lower() not in text.lower():
            text = _short_given_up(text, name)
    credited = [*((film or {}).get("cast") or ()), *((film or {}).get("directors") or ())]
    known = [(n.lower(), n.lower().split()) for n in [*names, *credited]]  # once, not per name
    for name in credited:
        if _in_full_name(text, name.split()[-1], known):
            continue  # "by Martin Scorsese": no Catherine Scorsese of the cast for his surname
        if name.lower() not in text.lower() and len(name.split()) > 1 and len(name.split()[-1]) >= 4 and \
                not elsewhere(name.split()[-1], name):
            text = _spelt(text, name.split()[-1], name, everyday=True)
    return text


def _short_given_up(text: str, name: str) -> str:
    """"scratch jim, adam sandler please", "not tom": a wished person's short first name right
    after a word that gives the person up is that person (a three-letter name is otherwise
    too often an everyday word to spell in full)."""
    def full(match: re.Match[str]) -> str:
        after = re.search(r"^\s*([\w']+)", text[match.end() :])
        alone = not after or after.group(1).lower() in _AROUND
        return f"{match['verb']} {name}" if alone else match.group(0)

    return pattern(rf"\b(?P<verb>{'|'.join(_GIVING_UP)})\s+{re.escape(name.split()[0])}\b", re.I).sub(full, text)


def _in_full_name(text: str, part: str, names: Sequence[tuple[str, list[str]]]) -> bool:
    """Whether ``part`` is said in ``text`` inside one of ``names`` (each lowered, and its
    words) written in full."""
    part, text = part.lower(), text.lower()
    return any(part in words and name in text for name, words in names)


def _spelt(text: str, part: str, name: str, everyday: bool = False) -> str:
    def full(match: re.Match[str]) -> str:
        return name if _alone(text, match, everyday) else match.group(0)

    return pattern(rf"(?<![\w'-]){re.escape(part)}(?![\w'-])", re.I).sub(full, text)


# "nah, not that actor", "can't stand him", "she's awful": a person of the film shown refused
_CAST_CRITICISM = re.compile(
    r"\b(?:not|no|hate|dislike|can'?t\s+stand|cannot\s+stand|don'?t\s+like|do\s+not\s+like"
    r"|not\s+a\s+fan\s+of|can'?t\s+bear|sick\s+of|tired\s+of)\s+"
    r"(?:(?:(?:that|this|the)\s+(?:actor|actress|guy|lead|bloke|dude|woman|lady|man|star)\b)"
    r"|(?:him|her)(?=\s*(?:[,.!?;]|$|again|though|tho|please|pls|in\s+(?:it|that|this)|at\s+all)))"
    r"|\b(?:he|she)\s*(?:'s|is)\s+(?:awful|terrible|the\s+worst|annoying|unbearable|horrible|so\s+bad"
    r"|a\s+terrible\s+actor|a\s+bad\s+actor|no\s+good)\b", re.I)


def criticises_cast(text: str) -> bool:
    """``text`` refuses someone of the film shown without naming them ("no, not that actor",
    "ugh I can't stand him"): the user is asked which of the names described, to leave out."""
    return _CAST_CRITICISM.search(text) is not None


def which_one(choices: Sequence[str], refused: bool) -> dict[str, Any]:
    """The "Did you mean A, B or C?" for "him"/"her" among several; the one picked is
    wished for, or refused when the pronoun was ("nothing with her")."""
    return {"name": choices[0], "slot": "actor", "choices": list(choices),
            "constraint": {"slot": "actor", "values": list(choices[:1]), "exclude": refused}}


def _alone(text: str, match: re.Match[str], everyday: bool = False) -> bool:
    """No word beside the name part may be another part of a name; with ``everyday``, any
    common English word beside it leaves it alone too ("is hemsworth in it")."""
    before = re.findall(r"[\w']+", text[: match.start()])[-1:]
    after = re.search(r"^\s*([\w']+)", text[match.end():])
    words = [(before[0] if before else "").lower(), (after.group(1) if after else "").lower()]
    if everyday and match.group(0).lower() in english_words():  # "pine", "long", "stone"
        # an everyday word is a name only in a name's place: "with pine then", "is stone in it"
        return words[0] in _NAME_CUES and (words[1] in _AROUND or words[1] in ("", "in", "then"))
    around = (lambda w: w in _AROUND or w in english_words()) if everyday else _AROUND.__contains__
    return all(not w or around(w) or not w[0].isalpha() for w in words)


def resolve(text: str, state: Mapping[str, Any], find_title: Callable[[str], Mapping[str, Any] | None]
            ) -> str:
    """``text`` with "the director of <film>" and, soon after an answer naming one person, a
    cued pronoun ("by him", "his films") spelt as the person's name."""
    text = _THROUGH_FILM.sub(lambda m: _through_film(m, find_title), text)
    text = _same_director(text, state)
    text = _like_shown(text, state)
    referent = state.get(REFERENT_KEY)
    if not referent or state.get("turns", 0) - int(referent.get("turn", 0)) > REFERENT_TURNS:
        referent = None
    names, role = list((referent or {}).get("names") or ()), (referent or {}).get("role", "actor")
    own = own_person(state)
    if own is not None and len(names) != 1:  # several named since (or none): the user's own
        names, role = [own[0]], own[1]
    if not names:
        return text
    cue = "by" if role == "director" else "with"  # "something with him" of a director: his films

    def name(match: re.Match[str]) -> str:
        if match["pronoun"].lower() in _PLURAL:  # "them": everyone the answer named
            return " or ".join((referent or {}).get("names") or ()) or match["pronoun"]
        return names[0] if len(names) == 1 else match["pronoun"]

    text = _OF_THEIRS.sub(lambda m: f"films {cue} {name(m)}" if name(m) != m["pronoun"] else m.group(0), text)
    text = _CUED_PRONOUN.sub(lambda m: f"{cue} {name(m)}" if name(m) != m["pronoun"] else m.group(0), text)
    text = _LIKED_PRONOUN.sub(lambda m: f"{m['cue']} {name(m)}" if name(m) != m["pronoun"] else m.group(0), text)
    text = _POSSESSIVE.sub(lambda m: f"{m['noun']} {cue} {name(m)}" if name(m) != m["pronoun"]
                           else m.group(0), text)
    return _SUBJECT.sub(lambda m: f"{name(m)} {m['verb']}", text)


def _like_shown(text: str, state: Mapping[str, Any]) -> str:
    """"something like it but more kid friendly", "anything like that one but funnier" while a
    film is proposed -> "... like <its title> ...": films like it, the other wishes kept."""
    title = (state.get("current") or {}).get("title")
    if not title or state.get("stage") not in _SHOWN_STAGES:
        return text
    return _LIKE_IT.sub(lambda m: f"{m['lead']}like {title}", text)


# while a film is proposed (``chatbot.question_routes.ANSWER_STAGES``)
_SHOWN_STAGES = ("watched", "like", "another")
_LIKE_IT = re.compile(
    r"\b(?P<lead>(?:something|anything|one|ones|films?|movies?|stuff|more|else)\s+(?:(?:just|kinda|"
    r"kind\s+of|sort\s+of|a\s+bit|a\s+little|more|similar)\s+)?)like\s+(?:it|that|this)(?:\s+one)?\b"
    r"(?!\s*(?:'|’|is\b|was\b|but\s+(?:older|newer|shorter|longer)\b))", re.I)


def _same_director(text: str, state: Mapping[str, Any]) -> str:
    """"same director pls" -> "by <the director of the film on the table>" (the one the user
    asked for, when the film has several)."""
    directors = [d for d in (state.get("current") or {}).get("directors") or () if d]
    if not directors:
        return text
    own = own_person(state)
    name = own[0] if own and own[1] == "director" else directors[0]
    return _SAME_DIRECTOR.sub(f"by {name}", text)


def _through_film(match: re.Match[str], find_title: Callable[[str], Mapping[str, Any] | None]) -> str:
    """"by the director of jaws, but funny" -> "by Steven Spielberg, but funny" (unchanged when the
    film or its person is unknown)."""
    rest = match["title"]
    end = _TITLE_END.search(rest)
    words = rest[: end.start() if end else len(rest)].split()
    for size in range(min(len(words), 8), 0, -1):
        movie = find_title(" ".join(words[:size]))
        if movie is None:
            continue
        directing = bool(match["made"]) or match["role"].lower() in _DIRECTING
        people = movie.get("directors") if directing else movie.get("cast")
        named = [p for p in people or () if p]
        if not named:
            return match.group(0)
        said = " ".join(words[:size])
        tail = rest.lstrip()[len(said):] if rest.lstrip().startswith(said) else " ".join(rest.split()[size:])
        cue = "by" if directing else "with"  # "with the director of X": by X's director
        return f"{cue} {named[0]}{tail if tail[:1] in ',;.!? ' else ' ' + tail}".rstrip()
    return match.group(0)
