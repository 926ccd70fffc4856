"""The words the understanding knows, as data for ``chatbot.nlu``: genre synonyms, the phrases
of each intent, MPAA rating spellings, emoji, slang, and the wishes the catalogue can only
approximate. No logic.
"""

from __future__ import annotations

import re

# Synonym -> canonical genre. Matched on Snowball stems, so plurals and inflections come free.
GENRE_SYNONYMS: dict[str, str] = {
    **dict.fromkeys("action explosions explosive".split(), "action"),
    "action packed": "action", "martial arts": "action", "kung fu": "action",
    **dict.fromkeys("adventure adventurous quest swashbuckler".split(), "adventure"),
    **dict.fromkeys("animation animated cartoon anime pixar".split(), "animation"),
    **dict.fromkeys("biography biographical biopic".split(), "biography"),
    "true story": "biography",
    **dict.fromkeys("comedy comedic funny humor humour humorous hilarious laugh comic "
                    "lighthearted silly romcom funnier funniest laughs".split(), "comedy"),
    **dict.fromkeys("crime criminal gangster mafia mob heist noir cop police".split(), "crime"),
    **dict.fromkeys("documentary docu doc nonfiction".split(), "documentary"),
    "non fiction": "documentary",
    **dict.fromkeys("drama dramatic tearjerker".split(), "drama"),
    **dict.fromkeys("family children childrens".split(), "family"),
    **dict.fromkeys("fantasy magical wizard dragon fairytale mythical".split(), "fantasy"),
    "fairy tale": "fantasy",
    **dict.fromkeys("history historical".split(), "history"),
    "period piece": "history",
    **dict.fromkeys("horror scary scare frightening spooky creepy terrifying slasher zombie "
                    "vampire scarier scariest gore gory bloody".split(), "horror"),
    **dict.fromkeys("music concert".split(), "music"),
    **dict.fromkeys("musical musicals broadway".split(), "musical"),
    "song and dance": "musical",
    **dict.fromkeys("mystery mysterious whodunit whodunnit detective".split(), "mystery"),
    **dict.fromkeys("romance romantic".split(), "romance"),
    "love story": "romance", "rom com": "comedy", "date night": "romance",
    "date movie": "romance",
    **dict.fromkeys("scifi sf futuristic alien robot".split(), "sci-fi"),
    "sci fi": "sci-fi", "science fiction": "sci-fi", "outer space": "sci-fi",
    **dict.fromkeys("sport sports athletic football baseball boxing basketball soccer".split(),
                    "sport"),
    **dict.fromkeys("thriller thrilling suspense suspenseful".split(), "thriller"),
    **dict.fromkeys("war military soldier battle wwii ww2".split(), "war"),
    **dict.fromkeys("western cowboy".split(), "western"),
    "wild west": "western",
}
# Words that name a genre only where they name a kind of film: "a movie for the kids",
# "kid-friendly", "something about love" -- not "I love it" or "the kids are in bed".
WEAK_GENRE_SYNONYMS: dict[str, str] = {
    "love": "romance", "space": "sci-fi", "magic": "fantasy", "kids": "family",
    "kid": "family", "serious": "drama", "emotional": "drama", "period": "history",
}
INTENT_PHRASES: dict[str, tuple[str, ...]] = {
    "bye": ("bye", "goodbye", "good bye", "bye bye", "see you", "see ya", "cya", "quit",
            "exit", "stop", "i am done", "that is all", "farewell", "leave me alone",
            "i am out", "im out", "gotta go", "got to go", "have to go", "catch you later",
            "good night", "goodnight", "peace out", "ttyl", "talk later", "i am off"),
    "no_preference_phrase": (
        "no preference", "no preferences", "no pref", "do not care", "dont care",
        "does not matter", "doesnt matter", "not matter", "no one in particular",
        "nothing in particular", "no one", "surprise me", "i do not mind", "do not mind",
        "no idea", "i do not know", "do not know", "not sure", "up to you", "you choose",
        "you pick", "next question", "no favorite", "no favourite", "any of them",
        "all of them", "either one", "it does not matter", "not particularly"),
    "restart": ("start over", "start again", "restart", "reset", "start from scratch",
                "from scratch", "start fresh", "fresh start", "new conversation", "new chat",
                "new search", "begin again", "start from the beginning", "from the top",
                "forget all that", "forget everything", "forget all of that", "forget it all",
                "clear everything", "clear all", "clear all that", "start anew", "clean slate",
                "all over again", "back to the beginning", "begin from the beginning",
                "start from the start", "reboot", "erase everything", "wipe everything",
                "from zero", "do over", "square one", "back to the start", "from the very start",
                "scrap all that", "scrap everything", "clear my answers", "clear it all"),
    # said first, these turn the answer around: "yeah no" is a no, "could be worse" a yes
    "no_override": ("yeah no", "yes no", "yea no", "yeah nah", "yeah nope", "yes but no",
                    "no thank you", "no thanks"),
    "yes_override": ("not bad", "not too bad", "why not", "of course", "i would not mind",
                     "could be worse", "do not dislike", "not dislike", "do not hate it",
                     "do not mind it", "i guess so", "i suppose so", "fine i guess",
                     "would not say no", "can not complain", "for sure", "you bet",
                     "sure thing", "i guess", "i suppose", "100 percent"),
    "another": ("another", "another one", "something else", "next", "different",
                "other one", "one more", "else", "show me more", "try again", "new one",
                "different one", "more"),
    "no": ("no", "nope", "nah", "not", "never", "negative", "no thanks", "no thank you",
           "i have not", "i did not", "i do not", "have not", "did not", "do not", "n",
           "not really", "no way", "i would not", "havent", "didnt", "dont", "wont", "cant"),
    "yes": ("yes", "yeah", "yea", "yep", "yup", "ya", "y", "sure", "ok", "okay",
            "definitely", "absolutely", "certainly", "indeed", "i do", "i have", "i did",
            "correct", "right", "affirmative", "sounds good", "sounds great", "please",
            "alright", "all right", "i would", "totally", "seen it", "watched it",
            "love it", "like it", "i like it", "kinda", "sorta", "sort of", "fine",
            "yes please", "i have seen it", "yes i have", "def", "defo", "yass", "yas",
            "yesh", "aye", "yessir", "obviously", "100"),
    "no_preference": ("any", "anything", "anyone", "anybody", "whoever", "whatever", "none",
                      "nobody", "skip", "pass", "either", "all", "dunno", "idk", "na",
                      "n a", "whichever", "idc", "meh", "eh", "so so", "whatevs", "shrug"),
    "greeting": ("hi", "hello", "hey", "hiya", "howdy", "good morning", "good afternoon",
                 "good evening", "greetings", "yo", "sup", "hi there", "hello there"),
}

MPAA_PATTERNS = (
    (re.compile(r"\bnc ?17\b"), "NC-17"),
    (re.compile(r"\b(?:x rated|rated x)\b"), "NC-17"),
    (re.compile(r"\bpg ?(?:13|thirteen)\b"), "PG-13"),
    (re.compile(r"\b(?:pg|parental guidance)\b"), "PG"),
    (re.compile(r"\b(?:rated r|r rated|rating r|restricted)\b"), "R"),
    (re.compile(r"\b(?:rated g|g rated|rating g|general audiences?)\b"), "G"),
)

# Emoji and symbols read as the words they stand for (before folding drops them).
EMOJI_WORDS: dict[str, str] = {
    "👍": "yes", "👌": "ok", "✅": "yes", "👎": "no", "❌": "no", "💯": "absolutely",
    "🔥": "great", "😍": "love it", "❤": "love it", "♥": "love it", "🥰": "love it",
    "🤩": "great", "👏": "great", "😀": "good", "😃": "good", "😄": "good", "😁": "good",
    "😊": "good", "🙂": "good", "😂": "haha", "🤣": "haha", "🤷": "dunno", "😐": "meh",
    "😑": "meh", "🙄": "meh", "😒": "meh", "😴": "boring", "💤": "boring", "🥱": "boring",
    "🤮": "awful", "🤢": "awful", "💩": "awful", "😬": "meh", "🤔": "hmm",
    "100%": "absolutely", "10/10": "great", "+1": "yes",
}
# Words of chat that are never a name on their own ("idk man", "nah bro").
SLANG = frozenset("""man bro bruh dude mate pal buddy fam lol lmao lmfao rofl haha hehe omg tbh
    idk idc ngl imo imho smh ikr sis girl guys yall homie bud chief boss hun babe ok okay
    thanks thank thx ty pls plz hmm hm uh um umm ah oh ooh wow yeah yep nope nah""".split())
# Film wishes the catalogue can only approximate: phrase -> (constraints, what the bot says).
# A phrase inside a negation ("not too violent") is read by its ``"negated"`` entry instead.
APPROXIMATIONS: dict[str, dict] = {
    "superhero": {"constraints": [{"slot": "genre", "values": ["action"], "exclude": False}],
                  "note": "I have no superhero category, so I'll look for action films."},
    "feel good": {"constraints": [{"slot": "genre", "values": ["comedy"], "exclude": False}],
                  "note": "For something feel-good I'll look for comedies."},
    "violent": {"negated": [{"slot": "mpaa", "values": ["G", "PG", "PG-13"], "exclude": False}],
                "note": "I can't measure violence, so I'll keep to films rated PG-13 or below."},
    "for adults": {"constraints": [{"slot": "genre", "values": ["family"], "exclude": True},
                                   {"slot": "mpaa", "values": ["G"], "exclude": True}],
                   "note": "For grown-ups I'll leave out family films and G ratings."},
}
APPROXIMATION_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("superhero", "superheroes", "super hero", "super heroes", "comic book",
                     "marvel", "caped"), "superhero"),
    **dict.fromkeys(("feel good", "feelgood", "uplifting", "heartwarming", "heart warming",
                     "wholesome", "comforting", "cozy", "cosy", "cheerful", "cheer me up",
                     "pick me up"), "feel good"),
    **dict.fromkeys(("violent", "violence", "graphic", "brutal", "gory", "gore", "bloody"),
                    "violent"),
    **dict.fromkeys(("for adults", "for grown ups", "for grownups", "grown up", "adult",
                     "adults only", "mature"), "for adults"),
}
