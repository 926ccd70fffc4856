"""What a question is about: the film on the table, the catalogue, another film, or what
else a person of the film has made. Pure; no IO.

A question is told apart by its structure, not by listed examples:

* **the asking part** of a message of several sentences is the clauses that ask (end in "?"
  or open with a question word); a long message's statements are wishes, and only its
  questions are questions ("... maybe Tom Hanks or Matt Damon? What would you suggest?").
* **a catalogue question** has the bot as the one who has: "do you have X?", "have you got
  anything from the 60s?", "u got any westerns", "is X in your catalogue?". Its object is a
  film (a title), a wish (asked for, like any request) or nothing the catalogue knows.
* **what to watch**: a question whose verb is watching, suggesting or having with "what" /
  "which" / "anything" and no film as its object ("what could we watch?", "what do you
  suggest for tonight?") asks for a film.
* **a filmography question** asks what *else* a person has made or been in: "what else has
  the lead been in?", "other films by the director?", "anything more with her?".

Example::

    asking_part("I love sci-fi. Who would you pick?")       # 'Who would you pick?'
    catalogue_question(clause_tokens("do u have the proposal"))    # (3, 5)
    filmography_role(clause_tokens("what else has the lead actor been in"))   # 'actor'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatbot.cues import BOUNDARY
from chatbot.plainwords import function_words_only, kind_of_film, pointing_words
from chatbot.short_titles import longer_title

FILMOGRAPHY_FILMS = 3  # other films named in answer to "what else has she been in?"
_SENTENCES = re.compile(r"[^.!?]+[.!?]*")
_NOT_AN_END = re.compile(r"([.!])(\s+(?:in|on|with|and|or|from|by|for|of|at|to)\b)")
_CLAUSES = re.compile(r"[^.!?;,]+[.!?;,]*")
_OPENERS = frozenset("""what whats how hows who whos why when where which is does do can could
    are will would did any anything got wat wot wut""".split())
_YOU = frozenset("you u ya".split())
_COPULAS = frozenset("is are was were".split())
_ASKED_BEFORE = frozenset("do have did if whether".split())  # "i asked if you have X"
_HAVING = frozenset("have got carry stock know hold".split())
_STORES = frozenset("catalogue catalog list database collection library system selection "
                    "inventory records".split())
_WATCHING = frozenset("watch see suggest recommend pick put choose have got show".split())
_WHICH = frozenset("what whats which anything any".split())
_OBJECTS = frozenset("it that this them one".split())
# "what else", "other films": a list asked for ("anything else with him?" asks for a film)
_ELSE = (("what", "else"), ("other", "films"), ("other", "movies"), ("other", "stuff"),
         ("more", "films"), ("more", "movies"), ("any", "other"), ("else", "has"),
         ("else", "did"), ("else", "is"), ("what", "other"), ("which", "other"),
         ("else", "was"), ("else", "have"), ("other", "things"))
_PERSON_WORDS = frozenset("""lead leads actor actress star stars he she him her his guy girl
    woman man director filmmaker they them main protagonist""".split())
_IN_THE_FILM = frozenset((("in", "it"), ("in", "this"), ("in", "that"), ("in", "there")))
_DIRECTING = frozenset("director directed direct directs made make filmmaker".split())


def asking_part(text: str) -> str | None:
    """The clauses of ``text`` that ask, when it has several sentences and not all of them
    ask; None for a one-sentence message or one that asks nothing or only asks."""
    text = _NOT_AN_END.sub(r"\2", text)  # "is Airplane! in your catalogue?": one sentence
    sentences = [s for s in _SENTENCES.findall(text) if s.strip(" .!?")]
    if len(sentences) < 2:
        return None
    clauses = [c.strip() for c in _CLAUSES.findall(text) if c.strip(" ,;.!?")]
    asking = [c for c in clauses if _asks(c)]
    if not asking or len(asking) == len(clauses):
        return None
    return " ".join(asking)


def _asks(clause: str) -> bool:
    words = clause.lower().replace("'", "").replace("’", "").strip(" ,;.!?").split()
    while len(words) > 3 and words[0] in ("and", "but", "so", "also", "plus"):
        words.pop(0)  # "... and why did you pick it"
    return bool(words) and (clause.rstrip().endswith("?") or words[0] in _OPENERS and len(words) > 2)


# words between "you" and "have" that leave the question whole ("do you even have X?")
_EVEN = frozenset("even actually really still by any chance happen to".split())


def catalogue_question(tokens: Sequence[str]) -> tuple[int, int] | None:
    """``(start, end)`` of the object of a question to the catalogue ("do u have *the
    proposal*", "is *heat* in your catalogue"), or None when the words ask no such thing."""
    words = [t for t in tokens if t != BOUNDARY]
    opens = {n for n, i in enumerate(_word_positions(tokens)) if i == 0 or tokens[i - 1] == BOUNDARY}
    for i in range(len(words) - 1):
        at = next((j for j in range(i + 1, len(words)) if words[j] not in _EVEN), len(words) - 1)
        if words[i] in _YOU and words[at] in _HAVING and (i == 0 or words[i - 1] in _OPENERS
                                                          | _ASKED_BEFORE):
            return at + 1, len(words)  # "do you have X", "have you got X", "do you even have X"
        if words[i] == "got" and i in opens and words[i + 1] in ("any", "anything", "a", "an"):
            return i + 1, len(words)  # "too old, got anything from this century?"
    for i in range(len(words) - 1):
        if words[i] in ("your", "ur") and words[i + 1] in _STORES:  # after the last "is"
            start = next((j + 1 for j in range(i - 1, -1, -1) if words[j] in _COPULAS), 0)
            end = i - 1 if i > 0 and words[i - 1] in ("in", "on") else i
            return start, max(start, end)  # "is Heat in your catalogue"
    return None


def _word_positions(tokens: Sequence[str]) -> list[int]:
    """The index in ``tokens`` of each word (clause marks skipped)."""
    return [i for i, t in enumerate(tokens) if t != BOUNDARY]


def catalogue_object(tokens: Sequence[str]) -> list[str]:
    """The words a catalogue question asks about ("the proposal"), without clause marks."""
    span = catalogue_question(tokens)
    words = [t for t in tokens if t != BOUNDARY]
    return list(words[span[0] : span[1]]) if span else []


def catalogue_title(tokens: Sequence[str], exact: Callable[[str], str | None],
                    message: Sequence[str] = ()) -> str | None:
    """The catalogue film a question to the catalogue names ("do you have the proposal?"):
    the longest opening of its object that ``exact`` (a title lookup) knows, even of everyday
    words, when what follows leaves the title whole ("... with sandra bullock"). An object
    "it" / "that" is the title opening a clause of the ``message`` before it ("cast away
    thats the one. do you have it")."""
    words = _object_words(tokens)
    if function_words_only(words):
        return _earlier_title(message, exact)
    if not words or words[0] in _NOT_TITLES:
        return None
    longer = longer_title(" ".join(words))  # "gone with the wind": no *Gone*, whole or nothing
    if longer is not None:
        return exact(longer)
    for size in range(min(len(words), 8), 0, -1):
        said = " ".join(words[:size])
        if said in _PRONOUNS:
            continue
        title = exact(said)
        if title is not None and title_then(words[size:]):
            return title
    return None


def _earlier_title(message: Sequence[str], exact: Callable[[str], str | None]) -> str | None:
    """The catalogue title opening a clause of ``message`` before its catalogue question."""
    span = catalogue_question(message)
    words = [t for t in message if t != BOUNDARY]
    opens = [n for n, i in enumerate(_word_positions(message)) if i == 0 or message[i - 1] == BOUNDARY]
    asked_at = span[0] - 2 if span else len(words)
    for start, stop in zip(opens, [*opens[1:], len(words)], strict=True):
        stop = min(stop, asked_at)
        for size in range(min(stop - start, 8), 0, -1):
            said, then = " ".join(words[start : start + size]), words[start + size : stop]
            if not pointing_words(said.split()) and (title := exact(said)) and (
                    title_then(then) or then[0] in _COPULAS | {"thats", "its"}):
                return title  # "cast away thats the one"
            ending = " ".join(words[stop - size : stop])  # "thinking about groundhog day"
            if size > 1 and stop - size > start and (title := exact(ending)):
                return title
    return None


def object_text(tokens: Sequence[str]) -> str | None:
    """What a catalogue question asks for, as said ("kuch kuch hota hai"); None when it is
    "anything" or "something" (a request for a film, not for a title), or only pronouns and
    function words ("do you have it", "what do you know about")."""
    words = _object_words(tokens)
    if function_words_only(words) or kind_of_film(catalogue_object(tokens)):
        return None
    return asked_object(words) if words and words[0] not in _NOT_TITLES else None


def _object_words(tokens: Sequence[str]) -> list[str]:
    words = catalogue_object(tokens)
    while words and words[0] in _CATALOGUE_FILLERS:
        words = words[1:]
    return words


_CATALOGUE_FILLERS = frozenset("a copy of the film movie called named titled".split())
_NOT_TITLES = frozenset("""any anything something some more other others films movies lots
    plenty many much stuff anyone anybody""".split())
_PRONOUNS = frozenset("it her him them us me you she he this that they one up the an a".split())


def asks_what_to_watch(tokens: Sequence[str]) -> bool:
    """A question asking for a film: "what could we watch together?", "which would you
    suggest?", "anything you'd recommend for tonight?" (no film as the verb's object)."""
    clause = list(tokens)  # the asking clause: "my son is 12, what can he watch?"
    while BOUNDARY in clause and not set(clause[:3]) & _WHICH:
        clause = clause[clause.index(BOUNDARY) + 1 :]
    words = [t for t in clause if t != BOUNDARY]
    if not words or not (set(words[:3]) & _WHICH):
        return False
    for i, word in enumerate(words):
        if word in _WATCHING:
            after = words[i + 1] if i + 1 < len(words) else ""
            if after not in _OBJECTS and not (word in ("have", "got") and after in ("you", "u")):
                return word not in ("have", "got") or "we" in words or "i" in words
    return False


def filmography_role(tokens: Sequence[str], named: bool = False) -> str | None:
    """``"actor"`` or ``"director"`` when the words ask what else a person made or was in
    ("what else has the lead been in?", "other films by the director?"); None otherwise.
    ``named``: a person is named in the words ("what else is Tom Hanks in?")."""
    words = [t for t in tokens if t != BOUNDARY]
    if not any(tuple(words[i : i + len(p)]) == p for p in _ELSE for i in range(len(words))):
        return None
    if "who" in words[:2] or any(tuple(words[i : i + 2]) in _IN_THE_FILM for i in range(len(words))):
        return None  # "who else is in it?": the cast of the film on the table
    if not (named or set(words) & _PERSON_WORDS):
        return None
    return "director" if set(words) & _DIRECTING else "actor"


def asks_who_is_in(tokens: Sequence[str]) -> bool:
    """"is Pacino in the Godfather 3?", "was Keaton in Batman?", "did Nolan direct Heat?": a
    yes-or-no question whose subject is a person and whose object is a film."""
    words = [t for t in tokens if t != BOUNDARY]
    lead = next((i for i, w in enumerate(words) if w in _IS_IN_OPENERS), None)
    return lead is not None and lead <= 2 and bool(set(words[lead + 2 :]) & _IS_IN_VERBS)


_IS_IN_OPENERS = frozenset("is was isnt wasnt does did doesnt didnt".split())
_IS_IN_VERBS = frozenset("in star stars starring direct directed play act appear".split())


def have_title_reply(movie: Mapping[str, Any]) -> str:
    """"Do you have Heat?": ``'Yes, Heat is in my catalogue.'`` (the film is proposed next)."""
    return f"Yes, {movie.get('title')} is in my catalogue."


def namesake_reply(movie: Mapping[str, Any], other: Mapping[str, Any]) -> str:
    """Another film of the title, nearly as well known: ``'I also have The Parent Trap (1998):
    ask for "The Parent Trap 1998" if you meant that one.'``"""
    title, year = other.get("title"), other.get("year")
    return f'I also have {title} ({year}): ask for "{title} {year}" if you meant that one.'


def hint_miss_reply(title: str, people: Sequence[str]) -> str:
    """A film asked for by title with a person who made no part of it ("Vertigo, the Welles
    one"): ``'My catalogue doesn't credit Orson Welles on Vertigo.'``"""
    names = " or ".join(people)
    return f"My catalogue doesn't credit {names} on {title}."


def catalogue_miss_reply(asked: str) -> str:
    """A catalogue question whose object is no film the catalogue knows."""
    return (f'I couldn\'t find "{asked}" in my catalogue (it has films up to 2014). '
            "I can look for something like a film I have, or go by genre, people, years, "
            "length and rating.")


def filmography_reply(name: str, role: str, films: Sequence[Mapping[str, Any]],
                      title: str | None, *, lead: bool = True,
                      years: Sequence[int] | None = None) -> str:
    """"What else has the lead been in?" -> ``"Besides Heat, Al Pacino is also in The
    Godfather (1972) and Scarface (1983) in my catalogue."``; ``lead``: the person was taken
    from the film (the catalogue has no billing order, so the best-known name); ``title``:
    the film on the table, given only when the person is credited on it in ``role``."""
    verb = "directed" if role == "director" else "is in"
    if title:  # "also" presumes the person made ``title``: the caller passes it only then
        verb = "also directed" if role == "director" else "is also in"
    who = name
    if lead and role == "actor":
        who = f"{name} (the best-known name in its cast; my catalogue has no billing order)"
    during = _during(years)
    if not films:
        return f"I have no other film with {name}{during} in my catalogue."
    listed = [f"{f.get('title')} ({f.get('year')})" if f.get("year") else str(f.get("title"))
              for f in films]
    joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + f" and {listed[-1]}"
    besides = f"Besides {title}, " if title else ""
    return f"{besides}{who} {verb} {joined} in my catalogue{during and ' (' + during.strip() + ')'}."


def _during(years: Sequence[int] | None) -> str:
    """" from the 1970s", " from 1995", " from 1990 to 1995", or "" for no years."""
    if not years:
        return ""
    if years[0] == years[1]:
        return f" from {years[0]}"
    if years[0] % 10 == 0 and years[1] == years[0] + 9:
        return f" from the {years[0]}s"
    return f" from {years[0]} to {years[1]}"


def title_then(rest: Sequence[str]) -> bool:
    """Words after a title that leave it whole: "the proposal *with sandra bullock*", not
    "the godfather *part 7*"."""
    return not rest or rest[0] in _AFTER_TITLE


_AFTER_TITLE = frozenset("with by from starring that which the one in on please pls again or "
                         "and".split())
_LIKE = (("thats", "like"), ("that", "is", "like"), ("like",), ("similar", "to"),
         ("something", "like"), ("anything", "like"))


def asked_object(words: Sequence[str]) -> str:
    """The film a catalogue question asks for, as said: "thats like fast n furious" ->
    "fast n furious"."""
    for cue in _LIKE:
        if tuple(words[: len(cue)]) == cue:
            return " ".join(words[len(cue) :])
    return " ".join(words)


def suitability_reply(movie: Mapping[str, Any], ratings: Sequence[str], rating: str) -> str:
    """"Is it too scary for a little one?": the catalogue knows the rating, not how scary a
    film is, so no bare "yes": ``"I can't tell how scary or violent E.T. is from my
    catalogue; it is rated PG, one of the ratings I'd keep to for that (G or PG)."``.
    ``rating`` is the film's rating as ``chatbot.nlg.rating_text`` words it."""
    title = movie.get("title") or "it"
    head = f"I can't tell how scary or violent {title} is from my catalogue"
    if not ratings:  # "is it really scary?": a yes only for a horror film, and what it is
        genres = list(movie.get("genres") or ("no genre",))
        kinds = ", ".join(genres[:-1]) + f" and {genres[-1]}" if len(genres) > 1 else genres[0]
        lead = f"Yes, {title} is listed as {kinds}" if "horror" in genres else (
            f"My catalogue doesn't list {title} as horror; it is listed as {kinds}")
        said = f"it is {rating}" if rating else "it has no rating in my catalogue"  # never "it is ;"
        return (f"{lead}, and {said}; I can't tell how scary, violent or gory it is beyond that: "
                "my catalogue has no measure of fright, violence or gore.")
    if not movie.get("mpaa"):
        return f"{head}, and it has no MPAA rating there."
    fits = "one of" if movie["mpaa"] in ratings else "not one of"
    allowed = ", ".join(ratings[:-1]) + f" or {ratings[-1]}" if len(ratings) > 1 else ratings[0]
    return f"{head}; it is {rating}, {fits} the ratings I'd keep to for that ({allowed})."


# -- a person's films ranked by a catalogue field ---------------------------------------------
# "the shortest one he did", "his newest", "her best-reviewed film": (field, largest first?)
_SUPERLATIVES = {
    "shortest": ("runtime_min", False), "longest": ("runtime_min", True),
    "newest": ("year", True), "latest": ("year", True), "recent": ("year", True),
    "oldest": ("year", False), "earliest": ("year", False),
    "best": ("critics_meter", True), "worst": ("critics_meter", False),
    "popular": ("votes", True), "famous": ("votes", True), "known": ("votes", True),
    "highest": ("critics_meter", True), "lowest": ("critics_meter", False),
}
_MOST = frozenset("most best".split())  # "most recent", "best known", "most popular"
_SOMEONES = frozenset("he she his her him hers their they director actor actress lead star "
                      "filmmaker".split())
SUPERLATIVE_FILMS = 60  # a person's films weighed, best-known first


def superlative(tokens: Sequence[str], named: bool = False) -> tuple[str, bool] | None:
    """``(field, largest_first)`` when the words ask for a person's film ranked by a catalogue
    field: "whats the shortest one he did?" -> ``("runtime_min", False)``, "which is his
    newest?" -> ``("year", True)``; None without a person ("the newest one" asks for a film).
    ``named``: a person is named in the words ("Tom Hanks' longest film?")."""
    words = [t for t in tokens if t != BOUNDARY]
    if not (named or set(words) & _SOMEONES or any(w.endswith("s") and w[:-1] in _SOMEONES
                                                   for w in words)):
        return None
    for i, word in enumerate(words):
        if word in ("recent", "popular", "famous", "known") and (i == 0 or words[i - 1] not in _MOST):
            continue  # "a recent one with him": a wish, not a ranking
        if word == "best" and i + 1 < len(words) and words[i + 1] in ("known",):
            return ("votes", True)
        if word in _SUPERLATIVES:
            return _SUPERLATIVES[word]
    return None


def ranked_reply(name: str, field: str, largest: bool, movie: Mapping[str, Any] | None) -> str:
    """"Of Peter Jackson's films in my catalogue, the shortest is Bad Taste (1987), at 91
    minutes."; no film with that figure: says so."""
    rank = _RANK_WORDS[field][0 if largest else 1]
    if movie is None:
        return f"I have no film with {name} in my catalogue whose {_FIELD_WORDS[field]} I know."
    said = f"{movie.get('title')} ({movie.get('year')})" if movie.get("year") else str(movie.get("title"))
    value = movie.get(field)
    facts = {"runtime_min": f", at {value} minutes",
             "critics_meter": f": {value}% of {movie.get('critics_reviews')} critics' reviews were positive",
             "votes": f", with {value} MovieLens ratings"}
    return f"Of {name}'s films in my catalogue, the {rank} is {said}{facts.get(field, '')}."


_RANK_WORDS = {"runtime_min": ("longest", "shortest"), "year": ("newest", "oldest"),
               "critics_meter": ("best-reviewed", "worst-reviewed"),
               "votes": ("best-known", "least-known")}
_FIELD_WORDS = {"runtime_min": "length", "year": "year", "critics_meter": "critics' figures",
                "votes": "ratings"}


def age_reply(name: str, first: Mapping[str, Any] | None, last: Mapping[str, Any] | None) -> str:
    """"How old is Al Pacino?": the catalogue has no birth dates, only the years of the
    person's films: ``"My catalogue has no birth dates, so I can't tell how old Al Pacino is;
    the films with them in it run from 1971 (The Panic in Needle Park) to 2014 (Manglehorn)."``"""
    head = f"My catalogue has no birth dates, so I can't tell how old {name} is"
    if first is None or last is None:
        return head + "."
    return (f"{head}; the films with them in it run from {first.get('year')} "
            f"({first.get('title')}) to {last.get('year')} ({last.get('title')}).")
