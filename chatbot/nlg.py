"""What the chatbot says: paraphrased questions and the film description. Pure; no IO.

Every function takes the ``random.Random`` of the turn, so the same seed and inputs give the
same words. Example::

    describe({"title": "Heat", "year": 1995, "runtime_min": 170, "genres": ["action", "crime"],
              "cast": ["Al Pacino", "Robert De Niro"], "directors": ["Michael Mann"], "mpaa": "R"},
             asked={"genre": ["crime"], "actor": ["Robert De Niro"]})
    # ['How about Heat (1995)?',
    #  'Heat is directed by Michael Mann, with Robert De Niro and Al Pacino.',
    #  'This film is 170 minutes long. It is a crime and action movie, and is rated R.']

The catalogue has no billing order (its cast order is fame, see ``chatbot.catalog``), so a film
is "with" its actors, never "starring" them; the genres and actors the user asked for come
first. A sentence that ends on a title or name carrying its own "!", "?" or "." gets no second
mark ("Enjoy Airplane!").
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.constraints import describe_figure, describe_minutes, describe_range
from chatbot.franchises import fully_known, subject
from chatbot.lexicon import GENRE_SYNONYMS
from chatbot.text import end_sentence, indefinite_article, join_words
from chatbot.titles import normalise_title

SLOTS = ("genre", "actor", "director", "mpaa")
SLOT_LABELS = {"genre": "the genre", "actor": "the actor", "director": "the director",
               "mpaa": "the rating"}
PLURAL_LABELS = {"genre": "the genres", "actor": "the actors", "director": "the directors"}

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
ENDED = ('This conversation has ended. Say "start over" (or open a new chat) for more '
         "recommendations.")

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
# after a film is taken, a goodbye that wishes nothing more; after none, no "enjoy your movie"
BYES_TAKEN = (BYES[0], BYES[2])
BYES_UNTAKEN = (BYES[1], BYES[2])
BYES_NO_FILM = ("Bye! Thanks for chatting with me.", "Bye! Come back any time for a film.",
                "Bye! It was nice talking to you.")
RESTARTED = "OK, let's start over."
ABOUT_BOT = ("I'm Chatbot, a program that suggests films from a catalogue of about 17,000 "
             "(up to 2014).")
PICKING = ("Alright, I'll pick one for you.", "Leave it to me, then.")
FILM_ASKED = ("Happy to! A few quick questions and I'll pick one for you.",
              "Sure, let's find you a good one. I'll ask a few quick questions.")
HOW_IT_WORKS = ("I suggest films from my catalogue by genre, actors and directors, release "
                "years, length and rating, and I answer questions about a film I suggest: its "
                "cast, director, year, length, rating, genres and what critics thought of it. "
                "I ask about a genre, an actor, a director "
                "and a rating; answer any of them, or say \"no preference\" to skip one. You "
                "can also say it all at once, like \"a 90s comedy with Jim Carrey\" or "
                "\"something like Inception\".")
WHILE_PROPOSED = ("Ask me about the film's cast, director, year, length, rating or genres, "
                  "tell me what you think of it, or ask for another (\"something shorter\", "
                  "\"one from the 80s\").")
GENRES_KNOWN = tuple(sorted(set(GENRE_SYNONYMS.values())))


def help_for(stage: str) -> str:
    """How the bot works, for the question open at ``stage``: at the genre question with the
    genres it knows. Example: ``help_for("genre")`` -> ``"I suggest films... Genres: ..."``."""
    if stage in ("watched", "like", "another"):
        return WHILE_PROPOSED
    if stage == "genre":
        return f"{HOW_IT_WORKS} The genres I know: {join_words(list(GENRES_KNOWN))}."
    return HOW_IT_WORKS


MPAA_RATINGS = ("G", "PG", "PG-13", "R", "NC-17")
QUESTIONS_AFTER_EXCLUSION = {
    "genre": "Is there a genre you would like, then?",
    "actor": "Is there an actor or actress you would like instead?",
    "director": "Is there a director you would like instead?",
    "mpaa": "Which rating would you like, then: G, PG, PG-13, R or NC-17?",
}
# When each MPAA rating came into use: a film released earlier was rated after its release.
RATING_SINCE = {"G": 1968, "PG": 1970, "R": 1968, "PG-13": 1984, "NC-17": 1990}
ACCEPTED = ("Great, I'm glad you like it! Enjoy {title}.", "Wonderful! Enjoy {title}.")
NO_HURRY = ("No rush, take your time.", "Sure, take your time.")
NEXT_ONE = ("Let me find something else.", "OK, let me think of another one.",
            "No problem, here is another idea.")
GREETINGS = ("Hello!", "Hi there!")
WELCOME = ("You're welcome! We're not done yet, though: let's find your film.",
           "My pleasure! Let's keep going and find you a film.")
EMPATHY = ("I'm sorry you're having a hard time. Maybe a good movie will help a little.",
           "That sounds tough, I'm sorry. Let's find you something good to watch.")
HINT = "You can also say \"no preference\" to skip this question."
EMPTY = "I didn't get any text. Could you type your answer?"
NO_FILM_YET = ("I haven't suggested a film yet, so I can't answer that. Once I propose one, ask "
               "me about its cast, director, year, length, rating or genres.")
NOTHING_TO_COMPARE = "I haven't suggested a film yet, so there is nothing to compare it with."
DECLINED_FILM = ("Alright, not that one then.", "OK, I'll leave that one out.")
NO_OPINION = "No opinion either way is fine."
NO_OPINION_YET = "No opinion yet is fine, take your time."
# "hmm maybe" to "Do you like it?": half a yes; ask what would tip it, and how to take it
HESITANT = ("What would make it a better pick: another genre, an actor, something shorter or "
            "newer? Or say yes to take it, or ask me more about it.")
DECLINED = ("OK, never mind.", "Alright, not that one then.")
TRUNCATED = "That was a long message, so I only read the beginning."


def dropped(title: str) -> str:
    """"forget it" with a film on the table: that film is dropped; whether another is wanted
    is asked next ("it" may be the film or the whole search)."""
    return f"OK, forget {title}."


def topic_kept(title: str, wishes: Sequence[Mapping[str, Any]]) -> str:
    """A topic asked while ``title`` is shown that can't be searched: the film stays, and the
    search "another" would make is named (the ``wishes`` in force)."""
    noted = join_words([describe_wish(w) for w in wishes])
    other = f"another film with {noted}" if noted else "a different film"
    return f"So {title} stays my pick for now; say \"another\" if you'd like {other}."


def question(slot: str, rng: random.Random) -> str:
    """A random paraphrase of the question for ``slot``."""
    return rng.choice(QUESTIONS[slot])


def pick(options: Sequence[str], rng: random.Random, **fields: Any) -> str:
    """A random option filled with ``fields``; a field that ends a sentence with its own
    "!", "?" or "." gets no second full stop."""
    text = rng.choice(options).format(**fields)
    for value in map(str, fields.values()):
        if value.endswith((".", "!", "?")):
            text = text.replace(f"{value}.", value)
    return text


def seen_not_taken(title: str) -> str:
    """An "ok" to another question, after the user said they have seen ``title``."""
    return f"You said you've already seen {title}, so I won't pick it for you."


def did_you_mean(name: str, choices: Sequence[str] = (), beside: Sequence[str] = ()) -> str:
    """``"Did you mean Tom Hanks?"``, or ``"Did you mean Wes Anderson or Paul Thomas
    Anderson?"`` for several ``choices``; ``beside``: the sure alternatives said with it
    ("Aniston or Bulok"), named so the question never seems to drop them."""
    asked = f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else name
    if beside:
        return f"Did you mean {asked}, as the other choice beside {join_words(list(beside))}?"
    return f"Did you mean {asked}?"


def which_to_leave_out(names: Sequence[str]) -> str:
    """``"Which of them should I leave out: A, B or C?"`` (a person of the film refused unnamed)."""
    listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
    return f"Which of them should I leave out: {listed}?"


def question_after_exclusion(slot: str, refused: Sequence[str] = ()) -> str:
    """The question for ``slot`` once something was excluded there ("no horror"); a rating
    refused is not offered back ("nothing R": "G, PG, PG-13 or NC-17?")."""
    if slot == "mpaa" and refused:
        # "no R, watching with my grandma": a grown-up rating refused refuses the stricter ones
        stricter = {r for g in ("PG-13", "R") if g in refused for r in MPAA_RATINGS[MPAA_RATINGS.index(g):]}
        left = [r for r in MPAA_RATINGS if r not in refused and r not in stricter]
        if left:
            return f"Which rating would you like, then: {', '.join(left[:-1])} or {left[-1]}?" if len(
                left) > 1 else f"Would {left[0]} do, then?"
    return QUESTIONS_AFTER_EXCLUSION[slot]


def unknown_person(name: str) -> str:
    return f"Sorry, I don't know anyone called {name} in my catalogue."


def unknown_title(title: str) -> str:
    return f"Sorry, I don't know a film called \"{title}\"."


def rating_text(movie: Mapping[str, Any]) -> str:
    """``"rated R"``, or ``"rated PG-13 (a rating given after its release)"`` for a film
    released before that rating existed (PG-13: 1984); "" without a rating."""
    mpaa, year = movie.get("mpaa"), movie.get("year")
    if not mpaa:
        return ""
    since = RATING_SINCE.get(str(mpaa))
    later = isinstance(year, int) and since is not None and year < since
    return f"rated {mpaa} (a rating given after its release)" if later else f"rated {mpaa}"


def describe(movie: Mapping[str, Any], asked: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The three sentences proposing ``movie`` (a ``Movie.to_dict()``); missing facts left out.

    ``asked``: ``{"genre": [...], "actor": [...]}`` the user asked for, named first.
    """
    asked = asked or {}
    title = str(movie.get("title") or "this film")
    year = movie.get("year")
    sentences = [f"How about {title} ({year})?" if year else f"How about {title}?"]
    people = _people_sentence(title, movie, asked.get("actor") or ())
    if people:
        sentences.append(people)
    facts = _facts_sentence(movie, asked.get("genre") or ())
    if facts:
        sentences.append(facts)
    return sentences


def _people_sentence(title: str, movie: Mapping[str, Any], actors: Sequence[str]) -> str:
    cast = _cast(movie, actors, 3)
    directors = [d for d in movie.get("directors") or () if d][:3]
    if directors and cast:
        return end_sentence(f"{title} is directed by {join_words(directors)}, with {join_words(cast)}")
    if directors:
        return end_sentence(f"{title} is directed by {join_words(directors)}")
    return end_sentence(f"{title} is a film with {join_words(cast)}") if cast else ""


def _cast(movie: Mapping[str, Any], actors: Sequence[str], count: int) -> list[str]:
    """``count`` names of the cast, the asked-for actors first, then the best known."""
    cast = [c for c in movie.get("cast") or () if c]
    first = [a for a in actors if a in cast]
    return (first + [c for c in cast if c not in first])[: max(count, len(first))]


def spoken_genres(movie: Mapping[str, Any], asked: Sequence[str] = ()) -> list[str]:
    """Every genre of ``movie`` in the order the proposal names them: the ones asked for first,
    then the catalogue's. The film card shows this list, so it reads as the sentence does:
    ``spoken_genres({"genres": ["comedy", "drama", "romance"]}, ["romance"])`` ->
    ``["romance", "comedy", "drama"]``."""
    genres = [g for g in movie.get("genres") or () if g]
    first = list(dict.fromkeys(g for g in asked if g in genres))
    return first + [g for g in genres if g not in first]


def _genres(movie: Mapping[str, Any], asked: Sequence[str], count: int = 3) -> list[str]:
    """What a reply says of them: the catalogue's first ``count`` (its order, alphabetical,
    whatever order ``movie`` holds them in: a film shown keeps the asked ones first) and every
    one asked for, named first. Every reply so names the same genres of a film, and a genre
    asked about ("is it a family movie?") is added, never put in another's place."""
    genres = sorted({g for g in movie.get("genres") or () if g})
    first = [g for g in dict.fromkeys(asked) if g in genres]
    return first + [g for g in genres[:count] if g not in first]


def _facts_sentence(movie: Mapping[str, Any], asked: Sequence[str]) -> str:
    runtime = movie.get("runtime_min")
    genres = _genres(movie, asked)
    mpaa = movie.get("mpaa")
    sentences = []
    if runtime:
        sentences.append(f"This film is {int(runtime)} minutes long.")
    rated = rating_text(movie)
    if genres:
        kind = f"{indefinite_article(genres[0])} {join_words(genres)} movie"
        sentences.append(f"It is {kind}, and is {rated}." if mpaa else f"It is {kind}.")
    elif mpaa:
        sentences.append(f"It is {rated}.")
    return " ".join(sentences)


def relaxed(dropped: Sequence[Any]) -> str:
    """The notice that some wishes (constraints, or older ``[slot, value]`` pairs) were set
    aside, naming them."""
    named = [describe_wish(_as_wish(item)) for item in dropped]
    if not named:
        return NO_EXACT_MATCH
    return end_sentence(f"{NO_EXACT_MATCH} I had to leave out {join_words(named)}")


_SLOT_NOUNS = {"genre": "genre", "actor": "actor", "director": "director", "mpaa": "rating",
               "runtime": "length"}


def still_not_understood(slot: str) -> str:
    """``"genre"`` -> ``"I still didn't catch that, so I'll leave the genre open for now (you
    can name one any time)."``: a question waived after words not understood twice."""
    return (f"I still didn't catch that, so I'll leave the {_SLOT_NOUNS.get(slot, slot)} open "
            "for now (you can name one any time).")


def no_preference_on(slots: Sequence[str]) -> str:
    """``["mpaa"]`` -> ``'Okay, any rating.'``: a question the user waived before it was asked."""
    return f"Okay, any {join_words([_SLOT_NOUNS.get(s, s) for s in slots]).replace(' and ', ' or ')}."


def acknowledge(added: Any, replaced: Sequence[Mapping[str, Any]] = ()) -> str:
    """``"Got it: the genre thriller instead of comedy."`` for the wishes just added and the
    ones they replaced. ``added`` may also be the older ``{slot: value}`` of fills."""
    if isinstance(added, Mapping):
        added = [_as_wish((slot, v)) for slot in SLOTS
                 for v in _listed(added.get(slot))]
    order = {slot: i for i, slot in enumerate((*SLOTS, "year", "runtime"))}
    named: list[str] = []
    plural: dict[str, list[str]] = {}  # "the genres action and comedy"
    for wish in sorted(added, key=lambda w: (order.get(w["slot"], 9), w.get("exclude", False))):
        gone = [r for r in replaced if r["slot"] == wish["slot"] and not r.get("exclude")]
        if wish.get("exclude") and _implied_by(wish, gone, added):
            continue
        text = describe_wish(wish)
        if gone and not wish.get("exclude"):
            text += f" instead of {_values_text(gone)}"
        elif _plain_one(wish) and sum(map(_plain_one, added)) > 1 and sum(
                _plain_one(w) and w["slot"] == wish["slot"] for w in added) > 1:
            if wish["slot"] not in plural:
                plural[wish["slot"]] = []
                named.append(wish["slot"])
            plural[wish["slot"]].append(wish["values"][0])
            continue
        named.append(text)
    named = [f"{PLURAL_LABELS[n]} {join_words(plural[n])}" if n in plural else n for n in named]
    if not added and replaced:  # "drop the family part": only given up
        dropped = [describe_wish(r) for r in replaced if not r.get("exclude")]
        allowed = [describe_wish(dict(r, exclude=False)) for r in replaced if r.get("exclude")]
        said = [f"I'll drop {join_words(dropped)}"] if dropped else []
        many = len(allowed) > 1 or bool(allowed) and allowed[0].startswith("films")
        said += [f"{join_words(allowed)} {'are' if many else 'is'} no longer left out"] \
            if allowed else []
        return end_sentence(f"Got it: {' and '.join(said)}")
    return end_sentence(f"Got it: {join_words(named)}") if named else ""


def already_fits(title: str) -> str:
    """A wish said again that the film on the table meets: it stays."""
    return f"{title} already fits that, so I'll keep it on the table."


def not_wished(wishes: Sequence[Mapping[str, Any]]) -> str:
    """Wishes given up that were never made: said so, nothing else changes."""
    named = join_words([describe_wish(w) for w in wishes])
    return (f"You hadn't asked for {named}, so there was nothing to drop; your other wishes "
            "stay as they were.")


def _plain_one(wish: Mapping[str, Any]) -> bool:
    """A single value asked for in a slot that can hold several ("the actors A and B")."""
    return (wish["slot"] in PLURAL_LABELS and not wish.get("exclude") and not wish.get("soft")
            and len(wish.get("values") or ()) == 1)


def describe_wish(wish: Mapping[str, Any]) -> str:
    """``{"slot": "genre", "values": ["comedy"], ...}`` -> ``"the genre comedy"``; exclusions
    read "no drama", "nothing with Adam Sandler", "nothing rated R"; years "films from the
    1980s"."""
    slot, excluded = wish["slot"], bool(wish.get("exclude"))
    if slot == "year":
        span = describe_range(*wish["range"])
        return f"nothing from {span}" if excluded else f"films from {span}"
    if slot in ("critics", "votes"):  # "critics gotta like it", "something less famous"
        return describe_figure(slot, *wish["range"])
    if slot == "runtime":
        span = describe_minutes(*wish["range"])
        return f"nothing {span}" if excluded else f"films {span}"
    if slot == "title":  # title words ("pirates"), as said
        # a subject ("zombies") is said as a kind of film: "no zombie films", not a title
        named = _or_list([subject(normalise_title(str(v))) or _title_case(str(v)) for v in wish["values"]])
        if not excluded:
            return f"{indefinite_article(named)} {named} film"
        unsure = [str(v) for v in wish["values"] if not fully_known(normalise_title(str(v)))]
        return f"no {named} films" + (" (I can only tell them by their titles)" if unsure else "")
    values = _or_list([str(v) for v in wish["values"]])
    if excluded and slot in ("actor", "director"):
        values = _people_list([str(v) for v in wish["values"]])
    if excluded:
        return {"genre": f"no {values}", "actor": f"nothing with {values}",
                "director": f"nothing directed by {values}"}.get(slot, f"nothing rated {values}")
    said = f"{SLOT_LABELS.get(slot, 'the ' + slot)} {values}"
    return f"{said} if I can (anyone else will do too)" if wish.get("soft") else said


def _title_case(words: str) -> str:
    """``"fast and furious"`` -> ``"Fast and Furious"``: small words stay lower-case inside."""
    small = {"a", "an", "and", "of", "the", "in", "on", "or", "to", "at", "for"}
    return " ".join(w if i and w in small else w.capitalize() for i, w in enumerate(words.split()))


BRIEF_PEOPLE = 3  # more people of one first name left out are said as "or any other Hugh"


def _people_list(names: Sequence[str]) -> str:
    """``"Hugh Grant, Hugh Jackman or any other Hugh"`` for many of one first name."""
    firsts = {n.split()[0] for n in names if n.split()}
    if len(names) > BRIEF_PEOPLE and len(firsts) == 1:
        return f"{', '.join(names[:2])} or any other {firsts.pop()}"
    return _or_list(names)


def _or_list(values: Sequence[str]) -> str:
    """``["G", "PG", "PG-13"]`` -> ``"G, PG or PG-13"``."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _values_text(wishes: Sequence[Mapping[str, Any]]) -> str:
    """What the replaced wishes asked for: their values, or a range slot's span (every slot of
    `constraints.RANGE_SLOTS` holds a range and no values)."""
    first = wishes[0]
    if "values" not in first:
        if first["slot"] == "year":
            return describe_range(*first["range"])
        if first["slot"] == "runtime":
            return describe_minutes(*first["range"])
        return describe_figure(first["slot"], *first["range"])
    return join_words([" or ".join(map(str, w["values"])) for w in wishes])


def _implied_by(exclusion: Mapping[str, Any], gone: Sequence[Mapping[str, Any]],
                added: Sequence[Mapping[str, Any]]) -> bool:
    """"Tom Hanks, not Tom Cruise": the exclusion reads as the "instead of" of an include.
    A range exclusion ("nothing from 1995") never does: it has no values to retract."""
    if "values" not in exclusion:
        return False
    retracted = {v for g in gone for v in g.get("values") or ()}
    replacing = any(a["slot"] == exclusion["slot"] and not a.get("exclude") for a in added)
    return replacing and set(exclusion["values"]) <= retracted


def _as_wish(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    slot, value = item
    return {"slot": slot, "values": _listed(value), "exclude": False}


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value] if value else []


LIKE_OPENING = "Got it, something like "


def like_title(movie: Mapping[str, Any], earlier: str | None = None) -> str:
    """"Got it, something like Heat (1995)."; with the ``earlier`` such sentence of the same
    reply, one sentence for both ("... like Seven (1995) and something like 12 Monkeys (1995).")."""
    year = movie.get("year")
    title = movie.get("title")
    named = f"{title} ({year})" if year else str(title)
    if earlier and earlier.startswith(LIKE_OPENING) and earlier.endswith("."):
        return f"{earlier[:-1]} and something like {named}."
    return end_sentence(f"{LIKE_OPENING}{named}")


def set_aside_for_like(wishes: Sequence[Any]) -> str:
    """The wishes a film liked *instead* replaces, said: "That replaces the genre comedy."."""
    return end_sentence(f"That replaces {join_words([describe_wish(_as_wish(w)) for w in wishes])}")


def audience_bound(ratings: Sequence[str]) -> str:
    """Said when a child watching, told beside a question, bounds the films from now on."""
    allowed = ", ".join(ratings[:-1]) + f" or {ratings[-1]}" if len(ratings) > 1 else "".join(ratings)
    return f"With a child watching, I'll keep to {allowed} films from now on."
