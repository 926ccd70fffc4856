"""What the chatbot says: paraphrased questions and the film description. Pure; no IO.

Every function takes the ``random.Random`` of the turn, so the same seed and inputs give the
same words. Example::

    describe({"title": "Heat", "year": 1995, "runtime_min": 170, "genres": ["action", "crime"],
              "cast": ["Al Pacino", "Robert De Niro"], "directors": ["Michael Mann"], "mpaa": "R"})
    # ['How about Heat (1995)?',
    #  'Heat stars Al Pacino and Robert De Niro and is directed by Michael Mann.',
    #  'This film is 170 minutes long. It is an action and crime movie, and is rated R.']
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.text import indefinite_article, join_words

SLOTS = ("genre", "actor", "director", "mpaa")
SLOT_LABELS = {"genre": "the genre", "actor": "the actor", "director": "the director",
               "mpaa": "the rating"}

INTRO = ("Hi, I'm Chatbot. I'm trying to give better movie recommendations by asking you a few "
         "questions. You can answer \"no preference\" to any of them.")
NOT_UNDERSTOOD = "I do not understand your answer."
THINKING = "I'm thinking about what you might like."
NO_EXACT_MATCH = "There is no exact match for what was specified, so I will do my best!"
NO_RECOMMENDATION = ("I'm sorry but there is no recommendation that can be made with your "
                     "criteria.")
WATCHED = "Have you watched this movie before?"
ANOTHER = "Would you want another recommendation then?"
LIKE = "Do you like this recommendation?"
ENDED = "This conversation has ended. Start a new one for more recommendations."

QUESTIONS: dict[str, tuple[str, ...]] = {
    "genre": ("What genre of movie would you like to watch?",
              "Which genre are you in the mood for?",
              "What kind of movie do you feel like watching: comedy, drama, horror, or "
              "something else?"),
    "actor": ("Which actor or actress would you like to see?",
              "Who would you like to see starring in it?",
              "Is there an actor or actress you would like in the movie?"),
    "director": ("Which director do you prefer?",
                 "Do you have a favourite director?",
                 "Is there a director whose films you enjoy?"),
    "mpaa": ("What MPAA rating should it have: G, PG, PG-13, R or NC-17?",
             "Which rating would you like: G, PG, PG-13, R or NC-17?",
             "Do you prefer a particular MPAA rating (G, PG, PG-13, R or NC-17)?"),
}
CLARIFY = {
    "genre": ("Great, which genre?", "Which one?"),
    "actor": ("Who is it?", "Which actor or actress?"),
    "director": ("Which director?", "Who is it?"),
    "mpaa": ("Which rating: G, PG, PG-13, R or NC-17?",),
}
BYES = ("Bye! Thanks for chatting with me, and enjoy your movie.",
        "Bye! I hope you find something great to watch.",
        "Bye! It was nice talking to you.")
ACCEPTED = ("Great, I'm glad you like it! Enjoy {title}.", "Wonderful! Enjoy {title}.")
NEXT_ONE = ("Let me find something else.", "OK, let me think of another one.",
            "No problem, here is another idea.")
GREETINGS = ("Hello!", "Hi there!")
EMPATHY = ("I'm sorry you're having a hard time. Maybe a good movie will help a little.",
           "That sounds tough, I'm sorry. Let's find you something good to watch.")
HINT = "You can also say \"no preference\" to skip this question."
EMPTY = "I didn't get any text. Could you type your answer?"
TRUNCATED = "That was a long message, so I only read the beginning."


def question(slot: str, rng: random.Random) -> str:
    """A random paraphrase of the question for ``slot``."""
    return rng.choice(QUESTIONS[slot])


def pick(options: Sequence[str], rng: random.Random, **fields: Any) -> str:
    return rng.choice(options).format(**fields)


def describe(movie: Mapping[str, Any]) -> list[str]:
    """The three sentences proposing ``movie`` (a ``Movie.to_dict()``); missing facts left out."""
    title = str(movie.get("title") or "this film")
    year = movie.get("year")
    sentences = [f"How about {title} ({year})?" if year else f"How about {title}?"]
    people = _people_sentence(title, movie)
    if people:
        sentences.append(people)
    facts = _facts_sentence(movie)
    if facts:
        sentences.append(facts)
    return sentences


def _people_sentence(title: str, movie: Mapping[str, Any]) -> str:
    cast = [c for c in movie.get("cast") or () if c][:3]
    directors = [d for d in movie.get("directors") or () if d][:3]
    parts = []
    if cast:
        parts.append(f"stars {join_words(cast)}")
    if directors:
        parts.append(f"is directed by {join_words(directors)}")
    return f"{title} {' and '.join(parts)}." if parts else ""


def _facts_sentence(movie: Mapping[str, Any]) -> str:
    runtime = movie.get("runtime_min")
    genres = [g for g in movie.get("genres") or () if g][:3]
    mpaa = movie.get("mpaa")
    sentences = []
    if runtime:
        sentences.append(f"This film is {int(runtime)} minutes long.")
    if genres:
        kind = f"{indefinite_article(genres[0])} {join_words(genres)} movie"
        sentences.append(f"It is {kind}, and is rated {mpaa}." if mpaa else f"It is {kind}.")
    elif mpaa:
        sentences.append(f"It is rated {mpaa}.")
    return " ".join(sentences)


def relaxed(dropped: Sequence[Sequence[Any]]) -> str:
    """The notice that some wishes were set aside, naming them."""
    named = [_describe_item(slot, value) for slot, value in dropped]
    if not named:
        return NO_EXACT_MATCH
    return f"{NO_EXACT_MATCH} I had to leave out {join_words(named)}."


def acknowledge(fills: Mapping[str, Any]) -> str:
    """``"Got it: comedy with Jim Carrey."`` for what the user just asked for."""
    named = [_describe_item(slot, fills[slot]) for slot in SLOTS if fills.get(slot)]
    return f"Got it: {join_words(named)}." if named else ""


def _describe_item(slot: str, value: Any) -> str:
    if slot == "genre":
        values = value if isinstance(value, list | tuple) else [value]
        return f"the genre {join_words([str(v) for v in values])}"
    if slot == "mpaa":
        return f"the rating {value}"
    return f"the {slot} {value}"


def like_title(movie: Mapping[str, Any]) -> str:
    year = movie.get("year")
    title = movie.get("title")
    return f"Got it, something like {title} ({year})." if year else f"Got it, something like {title}."
