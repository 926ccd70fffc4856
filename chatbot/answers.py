"""Answers to questions about a film, from what the catalogue holds and saying so where it
holds nothing: its cast, director, length, year, rating, genres, critics' figures; whether a
person is in it or a genre or rating fits; why it was chosen. Pure; no IO. Used by
``chatbot.dialog`` (the answer act) and ``chatbot.referents`` (the people an answer named).

Example::

    answer(["runtime"], heat)   # ['Heat is 170 minutes long.']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.nlg import _cast, _genres, describe_wish, rating_text
from chatbot.text import end_sentence, indefinite_article, join_words
from chatbot.topic_words import ratings_list


def answer(topics: Sequence[str], movie: Mapping[str, Any],
           asked: Mapping[str, Sequence[str]] | None = None, *,
           people: Sequence[Mapping[str, Any]] = (), genres: Sequence[str] = (),
           shown: Sequence[Mapping[str, Any]] = (), ratings: Sequence[str] = (),
           wishes: Sequence[Mapping[str, Any]] = (), told: Sequence[str] = (),
           ranges: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """Sentences answering questions about ``movie`` (a ``Movie.to_dict()``), from what the
    catalogue holds and saying so where it holds nothing. Topics: ``cast``, ``director``,
    ``plot``, ``runtime``, ``year``, ``mpaa``, ``genre``, ``quality``; ``person`` (is each of
    ``people`` in it, or did they direct it), ``genre_check`` (is it of ``genres``),
    ``history`` (the films ``shown`` before it), ``mpaa_check`` (is it rated one of
    ``ratings``), ``reason`` (the ``wishes`` it was chosen for), ``cast_more`` (cast names
    other than those ``told`` before), ``range_check`` (does its year or length meet each of
    ``ranges``: year/runtime constraints, a film compared with as ``than_film``), ``other``
    (what the catalogue cannot tell).

    Example: ``answer(["runtime"], heat)`` -> ``['Heat is 170 minutes long.']``.
    """
    asked = asked or {}
    title = str(movie.get("title") or "It")
    special = {
        "person": lambda: [_person_answer(title, movie, p, judged="quality" in topics) for p in people],
        "genre_check": lambda: [_genre_check(title, movie, genres)],
        "history": lambda: [_history(title, shown)],
        "named": lambda: [f"It is {title}" + (f" ({movie['year']})" if movie.get("year") else "")],
        "leads": lambda: [_leads_answer(title, movie)],
        "cast_more": lambda: [_more_cast(title, movie, told)],
        "more": lambda: [_more_cast(title, movie, told), _quality_answer(title, movie),
                         "I have no plot summary of it"],
        "mpaa_check": lambda: [_rating_check(title, movie, ratings)],
        "range_check": lambda: [range_check(title, movie, c) for c in ranges],
        "reason": lambda: [_reason(title, wishes)],
        "ratings_list": lambda: [ratings_list(title, rating_text(movie))],
        "gender": lambda: ["My catalogue doesn't record whether a cast member is a woman or a man"],
        "sequel": lambda: [f"My catalogue doesn't link films into series, so I can't tell "
                           f"whether {title} has a sequel; ask me about any film by its title"],
        "other": lambda: [f"I can't tell that from my catalogue: it has the cast, director, "
                          f"year, length, rating and genres of {title}, and what critics "
                          "thought of it"],
    }
    if len(topics) > 1 and topics[-1] == "reason":  # "is it any good? and why that one?": in order
        return [*answer(topics[:-1], movie, asked, people=people, genres=genres, shown=shown,
                        ratings=ratings, wishes=wishes, told=told, ranges=ranges),
                end_sentence(_reason(title, wishes))]
    found = [end_sentence(text) for t in topics if t in special for text in special[t]()]
    return found + _fact_answers([t for t in topics if t not in special], title, movie, asked)


def _fact_answers(topics: Sequence[str], title: str, movie: Mapping[str, Any],
                  asked: Mapping[str, Sequence[str]]) -> list[str]:
    writers = {
        "cast": lambda: _cast_answer(title, movie, asked.get("actor") or ()),
        "director": lambda: _director_answer(title, movie),
        "plot": lambda: _plot_answer(title, movie, asked),
        "runtime": lambda: (f"{title} is {int(movie['runtime_min'])} minutes long"
                            if movie.get("runtime_min") else f"I don't know how long {title} is"),
        "year": lambda: (f"{title} came out in {movie['year']}" if movie.get("year")
                         else f"I don't know when {title} came out"),
        "mpaa": lambda: (f"{title} is {rating_text(movie)}" if movie.get("mpaa")
                         else f"{title} has no MPAA rating in my catalogue"),
        "genre": lambda: _kind_sentence(title, movie, asked.get("genre") or ()),
        "quality": lambda: _quality_answer(title, movie),
    }
    return [end_sentence(writers[t]()) for t in topics if t in writers]


_FACTS = {"year": ("came out in {}", "year"), "runtime": ("is {} minutes long", "runtime_min")}
_MORE = {"newer": 1, "older": -1, "longer": 1, "shorter": -1}


def range_check(title: str, movie: Mapping[str, Any], check: Mapping[str, Any]) -> str:
    """"Was it made before 2000?", "is it longer than Heat?": yes or no with the figures, from
    the year or length the catalogue has (of both films, when one is compared with: ``than_film``;
    the bound is then already that film's, ``chatbot.ages``).

    Example: ``range_check("Heat", {"runtime_min": 170}, {"slot": "runtime", "range": [121, None]})``
    -> ``'Yes: Heat is 170 minutes long.'``"""
    if check["slot"] == "quality":
        return _quality_compared(title, movie, check.get("than_film"), str(check.get("than") or "that film"))
    sentence, key = _FACTS[str(check["slot"])]
    mine = movie.get(key)
    if mine is None:
        return f"I don't know {'when' if key == 'year' else 'how long'} {title} {'came out' if key == 'year' else 'is'}"
    said = f"{title} {sentence.format(int(mine))}"
    other = check.get("than_film")
    low, high = (list(check.get("range") or ()) + [None, None])[:2]
    inside = (low is None or int(mine) >= low) and (high is None or int(mine) <= high)
    if other is not None and other.get("id") is not None and other.get("id") == movie.get("id"):
        return f"{said}: that is the film you named itself"  # "is it newer than <the film shown>?"
    if other is not None and other.get(key) is not None:
        theirs = int(other[key])
        direction = _MORE.get(str(check.get("relative") or ""))
        if direction is not None:  # not resolved to a bound yet: the direction asked decides
            inside = (int(mine) - theirs) * direction > 0
        figure = f"{other['title']} in {theirs}" if key == "year" else f"{other['title']} {theirs}"
        return f"{said}, {figure}" if theirs == int(mine) else f"{'Yes' if inside else 'No'}: {said}, {figure}"
    if check.get("than") or check.get("relative"):  # compared with a film the catalogue lacks
        return f"{said}; the film you compare it with is not in my catalogue, so I can't say which is {'newer' if key == 'year' else 'longer'}"
    return f"{'Yes' if inside else 'No'}: {said}"


def _quality_compared(title: str, movie: Mapping[str, Any], other: Mapping[str, Any] | None, named: str) -> str:
    """"Is it better than Inception?": both films' critics' figures side by side and which is higher
    (the catalogue's measure of "better"; MovieLens users' ratings when critics have none)."""
    if other is None:
        return f"{named} is not in my catalogue, so I can't compare it: {_quality_answer(title, movie)}"
    theirs = str(other.get("title"))
    for key, unit, say in (("critics_meter", "%", "critics liked"), ("metascore", "/100", "critics rated"),
                           ("rating", "/5", "MovieLens users rate")):
        a, b = movie.get(key), other.get(key)
        if a is not None and b is not None:
            figures = f"{title} {a:g}{unit}, {theirs} {b:g}{unit}"
            if a == b:
                return f"The same, as far as {say.split()[0]} go: {figures}"
            higher = title if a > b else theirs
            return f"{say.capitalize()} {higher} more: {figures}" if "rate" not in say else (
                f"{say.capitalize()} {higher} higher: {figures}")
    return f"I have no figures for both {title} and {theirs} to compare"


def _rating_check(title: str, movie: Mapping[str, Any], ratings: Sequence[str]) -> str:
    """"Is it rated PG-13?": yes or no, with the rating the catalogue gives."""
    if not movie.get("mpaa"):
        return f"{title} has no MPAA rating in my catalogue"
    answer = "Yes" if movie["mpaa"] in ratings else "No"
    return f"{answer}, {title} is {rating_text(movie)}"


def _reason(title: str, wishes: Sequence[Mapping[str, Any]]) -> str:
    """"Why this one?": the wishes in force that it was chosen for."""
    named = [describe_wish(w) for w in wishes]
    if not named:
        return (f"You didn't ask for anything in particular, so I picked {title} from the "
                "whole catalogue; tell me a genre, an actor or a decade to narrow it down")
    return f"I suggested {title} because you asked for {join_words(named)}"


def no_cast(title: str) -> str:
    """A film whose source lists no cast (Toy Story): said as the catalogue's gap, not as
    the bot's ignorance of a famous film."""
    return f"The catalogue lists no cast for {title}"


LIKELY_LEADS = 6  # cast names ranked this high (by prominence) are told plainly as "in" it


def _person_answer(title: str, movie: Mapping[str, Any], person: Mapping[str, Any],
                   judged: bool = False) -> str:
    """Whether ``person`` is in the film (or directed it): "Yes, Bruce Willis is in ...";
    ``judged`` ("is Keanu any good in it?"): a fact, never a "Yes" that reads as an opinion."""
    name = str(person.get("name"))
    cast = list(movie.get("cast") or ())
    if judged and name in cast:
        return (f"{name} is in the cast of {title}, but I have no reviews of single "
                "performances, only of the film")
    if judged and name not in cast and name not in (movie.get("directors") or ()):
        return _person_answer(title, movie, person)
    cast, directors = list(movie.get("cast") or ()), list(movie.get("directors") or ())
    if person.get("cue") == "director" or (name in directors and name not in cast):
        if name in directors:
            return f"Yes, {title} was directed by {name}"
        return f"No, {title} was directed by {join_words(directors) or 'someone else'}"
    if name in cast[:LIKELY_LEADS]:
        return f"Yes, {name} is in {title}"
    if name in cast:  # the source's full cast lists hold walk-ons and wrong entries too
        return (f"Yes, my catalogue lists {name} in the cast of {title}; it has no billing "
                "order, so I can't tell how big the part is")
    others = _cast(movie, (), 3)
    return f"No, {name} is not in {title}" + (f"; its cast includes {join_words(others)}" if others else "")


def _genre_check(title: str, movie: Mapping[str, Any], genres: Sequence[str]) -> str:
    have = [g for g in genres if g in (movie.get("genres") or ())]
    kind = _kind_sentence("it", movie, genres)
    if have:
        return f"Yes, {kind}" if kind else f"Yes, {title} is {join_words(have)}"
    missing = " or ".join(genres)
    return f"My catalogue doesn't list {title} as {missing}" + (f"; {kind}" if kind else "")


def _history(title: str, shown: Sequence[Mapping[str, Any]]) -> str:
    if not shown:
        return f"{title} is the first film I've suggested"
    named = [f"{m.get('title')} ({m.get('year')})" if m.get("year") else str(m.get("title"))
             for m in shown]
    return f"Before {title} I suggested {join_words(named)}"


def _leads_answer(title: str, movie: Mapping[str, Any]) -> str:
    """"Who's the lead?": the catalogue has no billing order, so the best-known names, said so."""
    cast = cast_listed(movie, leads=True)
    if not cast:
        return no_cast(title)
    return (f"My catalogue has no billing order, so I can't say for sure who leads {title}; "
            f"the best-known names in its cast are {join_words(cast)}")


def cast_listed(movie: Mapping[str, Any], actors: Sequence[str] = (), leads: bool = False) -> list[str]:
    """The names an answer to "who's in it?" lists (up to four, the asked-for actors first), or
    to "who stars in it?" (``leads``: the best-known ``LIKELY_LEADS``)."""
    return _cast(movie, (), LIKELY_LEADS) if leads else _cast(movie, actors, 4)


def cast_after(movie: Mapping[str, Any], told: Sequence[str], count: int = 4) -> list[str]:
    """Up to ``count`` names of the cast not among those ``told`` before ("who else is in it?")."""
    return [c for c in _cast(movie, (), len(movie.get("cast") or ())) if c not in told][:count]


def _cast_answer(title: str, movie: Mapping[str, Any], actors: Sequence[str]) -> str:
    cast = cast_listed(movie, actors)
    if not cast:
        return no_cast(title)
    return (f"{title} features {join_words(cast)} (my catalogue's cast lists have no billing "
            "order, so these are its best-known names, not necessarily the leads)")


def _more_cast(title: str, movie: Mapping[str, Any], told: Sequence[str]) -> str:
    others = cast_after(movie, told)
    if not others:
        return f"That is everyone my catalogue lists in the cast of {title}"
    return f"{title} is also with {join_words(others)}"


def _director_answer(title: str, movie: Mapping[str, Any]) -> str:
    directors = [d for d in movie.get("directors") or () if d]
    if not directors:
        return f"I don't know who directed {title}"
    return f"{title} was directed by {join_words(directors)}"


def _plot_answer(title: str, movie: Mapping[str, Any], asked: Mapping[str, Sequence[str]]) -> str:
    kind = _kind_sentence("it", movie, asked.get("genre") or ())
    known = f", but {kind}" if kind else ""
    return f"I don't have a plot summary of {title}{known}"


def _kind_sentence(subject: str, movie: Mapping[str, Any], asked: Sequence[str]) -> str:
    genres = _genres(movie, asked)
    if not genres:
        return ""
    return f"{subject} is {indefinite_article(genres[0])} {join_words(genres)} movie"


def _quality_answer(title: str, movie: Mapping[str, Any]) -> str:
    """Only what the catalogue holds: the critics' figures and MovieLens users' ratings."""
    meter, reviews = movie.get("critics_meter"), movie.get("critics_reviews")
    sentences = []
    if meter is not None and reviews:
        verdict = (f"Critics liked {title}" if meter >= 75 else f"Critics were mixed on {title}"
                   if meter >= 50 else f"Critics mostly disliked {title}")
        average = movie.get("critics_rating")
        mean = f", with an average score of {average:g}/10" if average else ""
        sentences.append(f"{verdict}: {meter}% of {reviews} reviews were positive{mean}.")
    elif movie.get("metascore"):
        sentences.append(f"Its Metacritic score is {movie['metascore']} out of 100.")
    else:
        sentences.append("I have no critics' reviews of it.")
    votes, rating = movie.get("votes") or 0, movie.get("rating")
    if rating and votes >= 20:
        sentences.append(f"MovieLens users rate it about {rating:.1f} out of 5 ({votes} ratings).")
    return " ".join(sentences)
