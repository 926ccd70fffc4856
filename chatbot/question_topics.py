"""What a question about a film asks, as phrase tables: the topic each phrase names ("who
directed" -> ``director``), and the one-word questions ("cast?", "good?"). Data only; read by
``chatbot.acts.question_topics``. Example::

    QUESTION_TOPICS["runtime"][0]   # 'how long'
    ONE_WORD_TOPICS["critics"]      # 'quality'
"""

from __future__ import annotations

# -- questions about a film -----------------------------------------------------------------
QUESTION_TOPICS: dict[str, tuple[str, ...]] = {
    "cast": ("who is in it", "who s in it", "whos in it", "who is in that", "who stars",
             "stars in it", "in the cast", "else is in", "who is starring", "who acts",
             "who plays", "the cast", "which actors", "what actors", "who is in the movie",
             "who is in this", "anyone famous", "who else is in", "the main guy",
             "the main actor", "the main character", "the lead", "who is the star",
             "other actors", "other actresses", "anyone else in", "who else", "more actors",
             "who is in", "the actors", "main guy in it", "who is it with"),
    "director": ("who directed", "who is the director", "whos the director", "who made it",
                 "who made this", "directed by who", "the director", "who was the director",
                 "who directs"),
    "plot": ("what is it about", "whats it about", "what s it about", "what is the plot",
             "the plot", "the story", "synopsis", "what happens", "about what",
             "what is this about", "what is that about", "what is the movie about",
             "what it is about", "what is the story"),
    "runtime": ("how long", "runtime", "run time", "how many minutes", "the length",
                "is it long", "is it short", "is that long", "too long", "how many hours",
                "running time", "how many mins", "how many hrs", "how lengthy",
                # shorthand: "how many min", "how many hr", "hrs long?", "how much runtime"
                "how many min", "how many hr", "how many hour", "mins long", "hrs long",
                "minutes long", "hours long", "length of it", "its length",
                # learners' forms: "how much time it dure?", "how much time is it"
                "how much time", "how much long", "it dure", "it last", "does it last"),
    "year": ("when did it come out", "when was it", "what year", "which year", "how old is it",
             "release date", "when did that come out", "released when", "came out when",
             "is it new", "is it old", "is it recent", "what decade", "when was that",
             "year is it", "year was it", "year is that", "what is the year", "whats the year",
             "release year", "year of release", "year did it come out",
             # "how old is that one?": the film's age, not the bot's (that is "how old are you")
             "how old is that", "how old is this", "how old is the movie", "how old is the film"),
    "quality": ("is it any good", "any good", "is it good", "is that good", "critics",
                "reviews", "well reviewed", "worth watching", "worth it", "how good",
                "rotten tomatoes", "is it well", "is it rated well", "rating is it",
                "is it popular", "do people like it", "is it worth",
                # the bot's or others' opinion: what the catalogue has is the critics' figure
                "do you like it", "do you like this", "do you like that", "did you like it",
                "would i like it", "will i like it", "would we like it", "will we like it",
                "would you recommend", "do you recommend it", "is it decent", "is it bad",
                "is it great", "is that any good", "what do you think of it",
                "what do you think of this", "what do you think about it", "your opinion",
                "is it a good", "should i watch it", "should we watch it", "is this good",
                "is this one good", "is that one good", "is it one good",
                # learners' word order and short forms: "it is good?", "this one good?"
                "it is good", "it is any good", "its good", "it s good", "it good",
                "this one good", "that one good", "worth seeing", "worth a watch",
                "is the movie good", "is the film good", "is this movie good", "good or not",
                "how is it", "critics say", "critics think", "people think of it",
                # whether it has lasted: "is it still funny?", "has it aged badly?"
                "still funny", "still good", "still hold up", "hold up", "holds up",
                "aged well", "aged badly", "aged poorly", "has it aged", "did it age",
                "is it dated", "still worth",
                # other sites' scores: the catalogue's own figures are what it can give
                "imdb", "metacritic", "letterboxd", "audience score"),
    "mpaa": ("what is it rated", "whats it rated", "what s it rated", "what rating", "which rating",
             "mpaa", "age rating", "is it rated r", "suitable for kids", "ok for kids",
             "okay for kids", "kid friendly", "family friendly", "for kids", "for children",
             "for the kids", "for my kids", "appropriate", "violent", "year old",
             "years old", "yo", "with my kids", "with the kids", "with my son",
             "with my daughter", "with my nephew", "with my niece", "ok for", "okay for",
             "fine for", "safe for", "for my son", "for my daughter", "for a kid", "gore",
             "gory", "gorey", "blood", "bloody", "graphic", "swearing", "nudity", "sex",
             "language", "too scary", "how scary", "scary for"),
    "sequel": ("sequel", "sequels", "prequel", "prequels", "part 2", "part two", "follow up",
               "followup", "remake", "remakes", "franchise", "in the series", "a series",
               "trilogy"),
    "genre": ("what kind of movie", "what kind of film", "what genre", "which genre",
              "what genres", "which genres",
              "what type of movie", "what sort of"),
    "reason": ("why did you", "why this", "why that", "why recommend", "why suggest",
               "why pick", "why choose", "why would i", "why should i", "why is this",
               "why it", "how come you", "what made you", "why that one", "reason for",
               "why do you think"),
    # "what else can you tell me about it?": what the proposal did not say yet
    "more": ("tell me about it", "tell me more", "else can you tell", "more about it",
             "more about this", "more about that", "anything else about it", "more info",
             "more details", "else do you know about", "know about it", "tell me about this",
             "what else about it", "else about this one"),
    # "wait which one did you say?", "what was it called again": the film on the table (or
    # taken) by name
    "named": ("which one did you say", "what one did you say", "which did you say",
              "which one you said", "which one was it", "which film was it", "which movie was it",
              "what was it called", "what is it called", "what was the name", "what is the name",
              "what was the title", "what is the title", "the name again", "the title again",
              "remind me the name", "remind me the title", "remind me which one",
              "which one did you pick", "which one did we pick", "which one did i pick",
              "which one did i take", "which one did we say", "what did we pick",
              "what did i pick", "what was that film", "what was that movie"),
    "history": ("first one you", "the first one", "you suggested", "you showed",
                "you recommended", "the one before", "the previous one", "the last one you",
                "the other one", "what was the first", "which films have you",
                "first film you"),
}
# A word alone asks about that fact of the film on the table: "cast", "director?"; the
# weaker words ("who?", "good?") only with a question mark.
ONE_WORD_TOPICS = {
    **dict.fromkeys("cast actors".split(), "cast"),
    **dict.fromkeys("director directors".split(), "director"),
    **dict.fromkeys("year".split(), "year"),
    **dict.fromkeys("rating mpaa".split(), "mpaa"),
    **dict.fromkeys("plot synopsis summary".split(), "plot"),
    **dict.fromkeys("length runtime duration".split(), "runtime"),
    **dict.fromkeys("genre genres".split(), "genre"),
    **dict.fromkeys("reviews critics".split(), "quality"),
}
ONE_WORD_QUESTIONS = {
    **ONE_WORD_TOPICS,
    **dict.fromkeys("actor stars star who lead leads".split(), "cast"),
    **dict.fromkeys("directed".split(), "director"),
    **dict.fromkeys("released release when date decade".split(), "year"),
    **dict.fromkeys("rated age".split(), "mpaa"),
    **dict.fromkeys("story about".split(), "plot"),
    **dict.fromkeys("long minutes".split(), "runtime"),
    **dict.fromkeys("kind type".split(), "genre"),
    **dict.fromkeys("review score good".split(), "quality"),
}


def topics_in(words: list[str]) -> list[str]:
    """The topics ``words`` ask about, each named by a phrase of ``QUESTION_TOPICS`` that no
    other topic's phrase has already begun to cover: in "which rating is it" the words
    "rating is it" (critics) are part of "which rating" (the MPAA rating), so only that is asked.

    Example: ``topics_in("which rating is it and how long".split())`` -> ``['runtime', 'mpaa']``.
    """
    found = [(i, i + len(p), topic) for topic, phrase_words in _PHRASE_WORDS.items()
             for p in phrase_words for i in range(len(words) - len(p) + 1)
             if tuple(words[i : i + len(p)]) == p and not _time_after(words, i + len(p), p)]
    kept = {topic for s, e, topic in found if not any(
        other != topic and s2 <= s < e2 and (s2 < s or e2 > e) for s2, e2, other in found)}
    return [topic for topic in QUESTION_TOPICS if topic in kept]


def _time_after(words: list[str], end: int, phrase: tuple[str, ...]) -> bool:
    """"(watched) it last night": a time, not "does it last" (how long the film is)."""
    return phrase[-1] == "last" and end < len(words) and words[end] in _TIME_NOUNS


_TIME_NOUNS = frozenset("""night week weekend month year summer winter time christmas morning
    evening friday saturday sunday monday tuesday wednesday thursday""".split())
_PHRASE_WORDS = {topic: [tuple(p.split()) for p in phrases] for topic, phrases in QUESTION_TOPICS.items()}
