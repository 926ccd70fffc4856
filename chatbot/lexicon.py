"""The words the understanding knows, as data for ``chatbot.nlu``: genre synonyms, the phrases
of each intent, MPAA rating spellings, emoji, slang, and the wishes the catalogue can only
approximate. No logic.
"""

from __future__ import annotations

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
    **dict.fromkeys("musical musicals broadway singing singalong".split(), "musical"),
    "sing along": "musical",
    "song and dance": "musical",
    **dict.fromkeys("mystery mysterious whodunit whodunnit detective".split(), "mystery"),
    **dict.fromkeys("romance romantic".split(), "romance"),
    "love story": "romance", "rom com": "comedy", "date night": "romance",
    "date movie": "romance", "chick flick": "comedy", "chick flicks": "comedy",
    "chickflick": "comedy",
    **dict.fromkeys("scifi sf futuristic alien robot".split(), "sci-fi"),
    "sci fi": "sci-fi", "science fiction": "sci-fi", "outer space": "sci-fi",
    **dict.fromkeys("sport sports athletic football baseball boxing basketball soccer".split(),
                    "sport"),
    **dict.fromkeys("thriller thrilling suspense suspenseful".split(), "thriller"),
    **dict.fromkeys("war military soldier battle wwii ww2".split(), "war"),
    **dict.fromkeys("western cowboy".split(), "western"),
    "wild west": "western",
    # other languages' words for genres, as learners carry them over ("a movie of terror",
    # "una comedia", "un policier"); only words that mean nothing else in English
    **dict.fromkeys("terreur horreur orrore grusel gruselfilm horrorfilm".split(), "horror"),
    **dict.fromkeys("comedia commedia komodie komoedie komoedia".split(), "comedy"),
    **dict.fromkeys("accion azione".split(), "action"),
    **dict.fromkeys("aventura aventure avventura abenteuer".split(), "adventure"),
    **dict.fromkeys("drame dramma".split(), "drama"),
    **dict.fromkeys("romantico romantica romantique romantisch".split(), "romance"),
    **dict.fromkeys("policial policiaco policier krimi poliziesco".split(), "crime"),
    **dict.fromkeys("guerre guerra kriegsfilm".split(), "war"),
    **dict.fromkeys("documental documentaire documentario dokumentarfilm".split(),
                    "documentary"),
    **dict.fromkeys("animacion animazione zeichentrick".split(), "animation"),
    **dict.fromkeys("misterio mistero".split(), "mystery"),
    **dict.fromkeys("suspenso".split(), "thriller"),
    "ciencia ficcion": "sci-fi", "science-fiction": "sci-fi", "fantascienza": "sci-fi",
    "ficcion cientifica": "sci-fi",
}
# Words that name a genre only where they name a kind of film: "a movie for the kids",
# "kid-friendly", "something about love" -- not "I love it" or "the kids are in bed".
WEAK_GENRE_SYNONYMS: dict[str, str] = {
    "love": "romance", "space": "sci-fi", "magic": "fantasy", "kids": "family",
    "kid": "family", "serious": "drama", "emotional": "drama", "period": "history",
    "fun": "comedy",  # "need something fun", "a fun one" (not "had fun")
    "terror": "horror",  # a learner's "movie of terror" (not "terrorism", "war on terror")
}
# Words naming what happens in a film of a genre, not the genre itself: modified by another
# genre's word they take that genre and stay action ("space battles": sci-fi action, not war;
# "zombie soldiers": horror action).
CONTENT_WORDS: dict[str, str] = dict.fromkeys("battle soldier military".split(), "action")
# Thanks and goodbyes in the languages users mix in ("merci, au revoir", "obrigado!", "danke").
FOREIGN_THANKS = ("merci", "merci beaucoup", "gracias", "muchas gracias", "danke", "danke schon",
                  "danke sehr", "vielen dank", "obrigado", "obrigada", "muito obrigado",
                  "muito obrigada", "grazie", "grazie mille", "dank je", "dank je wel", "bedankt",
                  "tack", "takk", "kiitos", "arigato", "arigatou", "spasibo", "dziekuje",
                  "tesekkurler", "efharisto", "shukran", "toda", "xie xie", "gracies", "mahalo")
FOREIGN_BYES = ("au revoir", "a bientot", "bonne soiree", "bonne nuit", "hasta luego",
                "hasta la vista", "hasta pronto", "buenas noches", "tschuss", "tschus",
                "auf wiedersehen", "gute nacht", "arrivederci", "buona notte", "buonanotte",
                "adeus", "tchau", "boa noite", "sayonara", "do svidaniya", "doei", "hej da")
INTENT_PHRASES: dict[str, tuple[str, ...]] = {
    "bye": ("bye", "goodbye", "good bye", "bye bye", "see you", "see ya", "cya", "quit",
            "exit", "stop", "i am done", "that is all", "farewell", "leave me alone",
            "i am out", "im out", "gotta go", "got to go", "have to go", "catch you later",
            "good night", "goodnight", "peace out", "ttyl", "talk later", "i am off", "gn",
            "nighty night", "night night", "later gator", "laters",
            # leaving for the night: "ok im gonna call it a night", "meh, heading off now"
            "call it a night", "calling it a night", "call it a day", "calling it a day",
            "head out", "heading out", "heading off", "signing off", "sign off", "log off",
            "logging off", "off to bed", "going to bed", "that is it for me",
            "thats it for me", "thanks for trying", "thank you for trying",
            # parting wishes and radio talk: "have a nice day", "over and out", "take care"
            *(f"have a {kind} {time}" for kind in ("nice", "good", "great", "lovely")
              for time in ("day", "night", "evening", "weekend", "one")),
            "over and out", "take care", "all the best", "bbye", "byee", "byeee", "buh bye",
            "toodles", "adios", "ciao", "cheerio", "ta ta", "ta ra", "see you around",
            *FOREIGN_BYES),
    "no_preference_phrase": (
        "no preference", "no preferences", "no pref", "do not care", "dont care",
        "does not matter", "doesnt matter", "not matter", "no one in particular",
        "nothing in particular", "no one", "surprise me", "i do not mind", "do not mind",
        "no idea", "no clue", "not a clue", "i do not know", "do not know", "not sure", "up to you", "you choose",
        "you pick", "next question", "no favorite", "no favourite", "any of them",
        "all of them", "either one", "it does not matter", "not particularly",
        # after a refusal, the rest released: "not Tom Cruise, anyone else is fine"
        "anyone else", "anybody else", "whoever else", "any other actor", "any other actress",
        "any other director", "doesnt matter who", "does not matter who",
        # free choice allowed: "anyone is fine", "any is ok", "whoever's good"
        *(f"{who} {verb}" for who in ("any", "anyone", "anybody", "anything", "whoever",
                                      "whatever", "whichever", "either", "any one", "any of them")
          for verb in ("is fine", "s fine", "is ok", "s ok", "is okay", "s okay", "is good",
                       "s good", "is alright", "s alright", "works", "will do", "goes",
                       "is cool", "s cool", "would do", "is great")),
        *(f"{who} {fine}" for who in ("whoevers", "anyones", "anybodys", "anythings",
                                      "whatevers", "whichevers")
          for fine in ("fine", "ok", "okay", "good", "alright", "cool", "great"))),
    "restart": ("start over", "start again", "restart", "reset", "start from scratch",
                "from scratch", "start fresh", "fresh start", "new conversation", "new chat",
                "new search", "begin again", "start from the beginning", "from the top",
                "forget all that", "forget everything", "forget all of that", "forget it all",
                "clear everything", "clear all", "clear all that", "start anew", "clean slate",
                "all over again", "back to the beginning", "begin from the beginning",
                "start from the start", "reboot", "erase everything", "wipe everything",
                "from zero", "do over", "square one", "back to the start", "from the very start",
                "scrap all that", "scrap everything", "clear my answers", "clear it all"),
    # declining more ("I'm good, thanks", "that'll do", "maybe later"): the whole utterance
    # is such a phrase and the fillers of ``CLOSING_FILLERS`` (``chatbot.acts.intent_of``)
    "done": ("i am good", "im good", "i am fine", "im fine", "i am ok", "im ok", "i am okay",
             "all good", "i am all good", "im all good", "i am set", "im set", "all set",
             "i am all set", "we are good", "we are done", "we are all set", "that will do",
             "thatll do", "that will be all", "that is all", "thats all", "that is it",
             "thats it", "that is enough", "thats enough", "enough", "no more", "nothing more",
             "nothing else", "i am done", "im done", "done", "all done", "i am finished",
             "finished", "maybe later", "later", "another time", "some other time", "not now",
             "not tonight", "not today", "not right now", "thanks", "thank you", "thx", "ty",
             "ta", "cheers", "good for now", "i am sorted", "sorted", "i will pass",
             "ill pass", "call it a night", "call it a day", "that is plenty", "i am happy",
             "im happy", "happy with that", "no need", "that was it", "we are sorted",
             "were good", "were done", "were all set", "were sorted", *FOREIGN_THANKS),
    # thanking alone (the whole utterance, with ``CLOSING_FILLERS``): before any film it is no
    # goodbye ("ok thanks" to "Which genre?"), after one it closes like "done"
    "thanks": ("thanks", "thank you", "thx", "ty", "ta", "cheers", "thank u", "tysm",
               "appreciate it", "much appreciated", "many thanks", "thanks a lot", "tnx",
               *FOREIGN_THANKS),
    # said first, these turn the answer around: "yeah no" is a no, "could be worse" a yes
    "no_override": ("yeah no", "yes no", "yea no", "yeah nah", "yeah nope", "yes but no",
                    "no thank you", "no thanks"),
    "yes_override": ("not bad", "not too bad", "why not", "of course", "i would not mind",
                     "could be worse", "do not dislike", "not dislike", "do not hate it",
                     "do not mind it", "i guess so", "i suppose so", "fine i guess",
                     "would not say no", "can not complain", "for sure", "you bet",
                     "sure thing", "i guess", "i suppose", "100 percent", "hell yes",
                     "hell yeah", "hell yea", "hell ya", "hells yes", "hells yeah", "heck yes",
                     "heck yeah", "fuck yes", "fuck yeah", "fucking yes", "damn right",
                     "damn straight", "damn yes", "damn yeah", "bloody oath", "oh hell yes",
                     "freaking yes", "frick yes", "frickin yes"),
    "another": ("another", "another one", "something else", "next", "different",
                "other one", "one more", "else", "show me more", "try again", "new one",
                "different one", "more", "similar", "something like it", "more like it",
                "more like this", "more like that", "like that one", "like this one",
                "along those lines", "same vibe", "in that vein"),
    "no": ("no", "nope", "nah", "not", "never", "negative", "no thanks", "no thank you",
           "i have not", "i did not", "i do not", "have not", "did not", "do not", "n",
           "not really", "no way", "i would not", "havent", "didnt", "dont", "wont", "cant",
           "naw", "nay", "nop", "noo", "nuh uh", "nawh", "no no"),
    "yes": ("yes", "yeah", "yea", "yep", "yup", "ya", "y", "sure", "ok", "okay",
            "definitely", "absolutely", "certainly", "indeed", "i do", "i have", "i did",
            "correct", "right", "affirmative", "sounds good", "sounds great", "please",
            "alright", "all right", "i would", "totally", "seen it", "watched it",
            "love it", "like it", "i like it", "fine", "k", "kk", "okie", "oki", "okey",
            "yes please", "i have seen it", "yes i have", "def", "defo", "yass", "yas",
            "yesh", "aye", "yessir", "obviously", "100",
            # agreeing to an offer: "deal", "let's do it" (chatbot.agreeing reads them as
            # taking a film, never as "seen it")
            "deal", "its a deal", "lets do it", "let s do it", "lets do this", "let s do this"),
    "no_preference": ("any", "anything", "anyone", "anybody", "whoever", "whatever", "none",
                      "nobody", "skip", "pass", "either", "all", "dunno", "idk", "na",
                      "n a", "whichever", "idc", "meh", "eh", "so so", "whatevs", "shrug",
                      # hedged: "hmm kinda" to "do you like it?" is no yes
                      "kinda", "sorta", "sort of", "kind of", "i guess maybe", "egal",
                      "all the same", "is egal",
                      # "no idea" in the languages a guest may fall back to
                      "keine ahnung", "weiss nicht", "weis nicht", "ni idea", "no se", "ni idee",
                      "aucune idee", "sais pas", "je sais pas", "je ne sais pas", "nessuna idea",
                      "non lo so", "geen idee", "weet niet", "nao sei", "sei la", "no idea",
                      "not a clue", "no clue", "beats me"),
    "greeting": ("hi", "hello", "hey", "hiya", "howdy", "good morning", "good afternoon",
                 "good evening", "greetings", "yo", "sup", "hi there", "hello there"),
}


# Words that may surround a closing phrase: "no, I'm good thanks mate", "k thx".
CLOSING_FILLERS = frozenset("""thanks thank you thx ty ta cheers ok okay k kk for now tonight
    today mate man bro dude no nah nope i think actually really all right lol so yeah yep yes
    well good great fine but anyway though buddy pal very much lot a appreciate it please
    honestly guess that s is oh ah um just then cool alright lovely perfect maybe some again
    x xx xxx xo xoxo and my friend friends evening peace amigo amiga amigos""".split())  # "cheers mate x": a kiss
# signs off; "thank you my friend", "thanks and good evening", "thanks, peace" close too
# Emoji and symbols read as the words they stand for (before folding drops them).
EMOJI_WORDS: dict[str, str] = {
    "👍": "ok sure", "👌": "ok", "✅": "yes", "👎": "no", "❌": "no", "💯": "absolutely",
    "🔥": "great", "😍": "love it", "❤": "love it", "♥": "love it", "🥰": "love it",
    "🤩": "great", "👏": "great", "😀": "good", "😃": "good", "😄": "good", "😁": "good",
    "😊": "good", "🙂": "good", "😂": "haha", "🤣": "haha", "🤷": "dunno", "😐": "meh",
    "😑": "meh", "🙄": "meh", "😒": "meh", "😴": "boring", "💤": "boring", "🥱": "boring",
    "👋": "hi", "🤮": "awful", "🤢": "awful", "💩": "awful", "😬": "meh", "🤔": "hmm",
    "100%": "absolutely", "10/10": "great", "+1": "yes",
}
# Texting shorthand spelled out before anything reads the words ("smth like inception",
# "sth similar to alien"): each key, as a whole word in any case, becomes its value.
SHORTHAND: dict[str, str] = {
    **dict.fromkeys("""smth sth smthg smthn smthng smthing smtg somethin sumthin sumthing
        somthing somethng""".split(), "something"),
    **dict.fromkeys("anythin anythng anyting nething".split(), "anything"),
    **dict.fromkeys("similiar simular simillar similer simmilar".split(), "similar"),
    **dict.fromkeys("movs movis moviez".split(), "movies"),
    **dict.fromkeys("recomend reccomend reccommend recommed recomment".split(), "recommend"),
    **dict.fromkeys("sugest suggset".split(), "suggest"),
    # heard as they sound (voice typing, learners): "sigh fi", "sounds grate", "nother one"
    **dict.fromkeys("sigh fi|sigh-fi|sigh fy|sy fy|sy fi|sci fy|scy fy|scy fi|syfy".split("|"),
                    "sci fi"),
    "grate": "great", "nother": "another", "anotha": "another",
    # "know" heard for "no" before the words "no" goes with ("know preference", "know thanks")
    **{f"know {w}": f"no {w}" for w in ("preference", "preferences", "pref", "thanks",
                                         "thank you", "idea", "opinion", "one in particular",
                                         "worries", "problem", "way", "clue")},
    **dict.fromkeys("bday b-day bdays birthdy bday's".split(), "birthday"),
    **dict.fromkeys("pls plz plss plez pleez pleeze".split(), "please"),
    **dict.fromkeys("thnks thnx thanx thankz thnaks thaks tnks".split(), "thanks"),
    # spoken slang: read as the words it stands for, never as a name ("lemme see", "finna")
    # question words typed short, read as the question they open ("hw old is it?": its year)
    "hw": "how", "wht": "what", "wut": "what", "whn": "when", "whr": "where",
    "lemme": "let me", "gimme": "give me", "tryna": "trying to", "finna": "going to",
    "imma": "i am going to", "ima": "i am going to",
}
# Words of chat that are never a name on their own ("idk man", "nah bro").
SLANG = frozenset("""man bro bruh dude mate pal buddy fam lol lmao lmfao rofl haha hehe omg tbh
    idk idc ngl imo imho smh ikr sis girl guys yall homie bud chief boss hun babe ok okay
    thanks thank thx ty pls plz hmm hm uh um umm ah oh ooh wow yeah yep nope nah tryna finna
    lemme gimme imma ima wanna gonna gotta dunno lotta outta kinda sorta""".split())
# Topics the catalogue cannot filter on: never a name, never a date ("cult classic").
TOPIC_WORDS = tuple("""christmas xmas thanksgiving easter valentine valentines holiday holidays
    dinosaur dinosaurs shark sharks dog dogs cat cats horse horses animal animals pirate pirates
    ninja ninjas car cars racing trains submarine ocean island
    prison school college wedding lawyer courtroom politics religion survival disaster
    apocalypse apocalyptic dystopia dystopian oscar oscars award awards winning french
    italian spanish german japanese korean chinese indian bollywood british irish
    indie arthouse sequel remake book novel""".split()) + (
    "time travel", "road trip", "high school", "coming of age", "award winning",
    "academy award", "oscar winner", "oscar winning", "golden globe", "best picture",
    "based on a book", "art house",
    "new year", "new years")


def _as_genre(genre: str, note: str) -> dict:
    """A subject searched as a genre: the genre wished for, or left out when refused."""
    return {"constraints": [{"slot": "genre", "values": [genre], "exclude": False}],
            "negated": [{"slot": "genre", "values": [genre], "exclude": True}],
            "note": note, "negated_note": note.replace("look for", "leave out")}


# Film wishes the catalogue can only approximate: phrase -> (constraints, what the bot says).
# A phrase inside a negation ("not too violent") is read by its ``"negated"`` entry instead.
APPROXIMATIONS: dict[str, dict] = {
    "superhero": {"constraints": [{"slot": "genre", "values": ["action"], "exclude": False}],
                  "negated": [],
                  "note": "I have no superhero category, so I'll look for action films.",
                  "negated_note": "I have no superhero category, so I can't leave superhero "
                                  "films out; tell me if I suggest one."},
    # "ceiling": a limit, so it never widens a stricter rating standing (a child's G or PG)
    "violent": {"negated": [{"slot": "mpaa", "values": ["G", "PG", "PG-13"], "exclude": False,
                             "ceiling": True}],
                "note": "I can't measure violence, so I'll keep to films rated PG-13 or below."},
    "explicit": {"constraints": [],
                 "negated": [{"slot": "mpaa", "values": ["G", "PG", "PG-13"], "exclude": False,
                              "ceiling": True}],
                 "note": "I can't tell what a film shows, only its rating, so I'll leave that out.",
                 "negated_note": "I can't tell what a film shows, so I'll keep to films rated "
                                 "PG-13 or below."},
    "gentle": {"constraints": [{"slot": "mpaa", "values": ["G", "PG"], "exclude": False},
                               {"slot": "genre", "values": ["horror", "war"], "exclude": True}],
               "negated": [],
               "note": "I can't measure how gentle a film is, so I'll keep to films rated G or "
                       "PG and leave out horror and war."},
    "feel good": {"constraints": [{"slot": "genre", "values": ["comedy"], "exclude": False},
                                  {"slot": "genre", "values": ["horror", "war", "crime"],
                                   "exclude": True}],
                  "note": "For something feel-good I'll look for comedies and leave out horror, "
                          "war and crime films."},
    "too scary": {"constraints": [{"slot": "mpaa", "values": ["G", "PG", "PG-13"], "exclude": False}],
                  "negated": [{"slot": "mpaa", "values": ["G", "PG", "PG-13"], "exclude": False}],
                  "note": "I can't measure how scary a film is, so I'll keep to films rated "
                          "PG-13 or below."},
    "sad film": {"constraints": [{"slot": "genre", "values": ["drama"], "exclude": False}],
                 "negated": [{"slot": "genre", "values": ["war", "horror"], "exclude": True}],
                 "note": "I can't tell how sad a film is from my catalogue, so I'll look for "
                         "dramas.",
                 "negated_note": "I can't tell how sad a film is from my catalogue, so to keep "
                                 "it lighter I'll leave out war and horror films."},
    "sad": {"negated": [{"slot": "genre", "values": ["war", "horror"], "exclude": True}],
            "note": "I can't tell how sad a film is from my catalogue, so to keep it lighter "
                    "I'll leave out war and horror films."},
    "unmeasured": {"negated": [], "constraints": [],
                   "note": "I can't tell a film's mood or style from my catalogue (only its "
                           "genres, people, year, length and rating), so I'll leave that out."},
    "halloween": {"constraints": [{"slot": "genre", "values": ["horror"], "exclude": False}],
                  "note": "I have no Halloween category, so I'll look for horror films."},
    "spy": {"constraints": [{"slot": "genre", "values": ["thriller"], "exclude": False}],
            "note": "I have no spy category, so I'll look for thrillers."},
    "blockbuster": {"constraints": [{"slot": "genre", "values": ["action"], "exclude": False}],
                    "note": "I have no blockbuster category, so I'll look for action films "
                            "(the best known come first)."},
    "old look": {"constraints": [{"slot": "year", "range": [None, 1966], "exclude": False}],
                 "note": "I can't see whether a film is in colour, so I'll keep to films from "
                         "before 1967.",
                 # refused ("black and white films are not my thing"): said, not guessed as a year
                 "negated": [],
                 "negated_note": "I can't see whether a film is in colour, so I can't leave "
                                 "black-and-white films out; tell me if I suggest one."},
    # a film's language and how it is shot are in no field of the catalogue: said, never a
    # title ("no subtitles", "hate found footage"), never guessed from other fields
    "language": {"constraints": [], "negated": [],
                 "note": "My catalogue doesn't record a film's language, so I can't look for "
                         "that; I can go by genre, people, years, length and rating.",
                 "negated_note": "My catalogue doesn't record a film's language, so I can't "
                                 "leave out subtitled or foreign-language films; tell me if I "
                                 "suggest one."},
    "filming": {"constraints": [], "negated": [],
                "note": "My catalogue doesn't record how a film is shot or made (found footage, "
                        "CGI, 3D), so I can't look for that.",
                "negated_note": "My catalogue doesn't record how a film is shot or made (found "
                                "footage, CGI, 3D), so I can't leave that out; tell me if I "
                                "suggest one."},
    "live action": {"constraints": [{"slot": "genre", "values": ["animation"], "exclude": True}],
                    "negated": [],
                    "note": "Live action: I'll leave out animated films."},
    "topic": {"constraints": [], "negated": [],
              "note": "I can't search by topic, setting, country or award; I can go by genre, "
                      "actors, directors, years, length and rating, or films it should be like."},
    # subjects and studios the catalogue has no field for, searched as the genre they mostly
    # are, and said so ("pixar stuff" is no genre the catalogue has; animation is)
    **{key: _as_genre(genre, note) for key, genre, note in (
        ("aliens", "sci-fi", "I can't search for aliens, so I'll look for sci-fi films."),
        ("space", "sci-fi", "I can't tell where a film is set, so I'll look for sci-fi films."),
        ("studio", "animation", "I can't tell which studio made a film, so I'll look for "
                                "animated films."),
        ("disney", "family", "I can't tell which studio made a film, so I'll look for family "
                             "films."),
        ("true story", "biography", "I can't tell whether a film is a true story, so I'll look "
                                    "for biographies."),
        ("zombies", "horror", "I can't search for zombies, so I'll look for horror films."),
        ("vampires", "horror", "I can't search for vampires, so I'll look for horror films."),
        ("heist", "crime", "I have no heist category, so I'll look for crime films."),
        ("robots", "sci-fi", "I can't search for robots, so I'll look for sci-fi films."),
    )},
    "sensitive": {"constraints": [{"slot": "genre", "values": ["horror", "thriller"],
                                   "exclude": True}],
                  "note": "Someone watching frightens easily, so I'll leave out horror films and "
                          "thrillers."},
    "for adults": {"constraints": [{"slot": "genre", "values": ["family"], "exclude": True},
                                   {"slot": "mpaa", "values": ["G"], "exclude": True}],
                   "note": "For grown-ups I'll leave out family films and G ratings."},
}
APPROXIMATION_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("superhero", "superheroes", "super hero", "super heroes", "comic book",
                     "marvel", "caped"), "superhero"),
    **dict.fromkeys(("feel good", "feelgood", "uplifting", "heartwarming", "heart warming",
                     "wholesome", "comforting", "cozy", "cosy", "cheerful", "cheer me up",
                     "pick me up", "something light", "short and light", "light and easy",
                     "light and fun", "keep it light", "light one", "light movie", "light film",
                     "light watch", "something easy", "easy watch", "easy watching",
                     "easygoing"), "feel good"),
    **dict.fromkeys(("violent", "violence", "graphic", "brutal", "gory", "gore", "bloody",
                     "blood", "gorey", "bloodshed"),
                    "violent"),
    **dict.fromkeys(("sex", "sex scenes", "sex scene", "sexy", "steamy", "raunchy", "nudity",
                     "nude", "naked", "explicit", "smutty", "sexual", "too steamy", "too sexy",
                     # crude humour: a rating is all the catalogue can tell it by
                     "crude", "vulgar", "crass", "lewd", "filthy", "dirty jokes", "raunch"),
                    "explicit"),
    **dict.fromkeys(("gentler", "gentle", "softer", "milder", "calmer", "tamer", "less intense",
                     "something gentle", "more gentle"), "gentle"),
    **dict.fromkeys(("sad", "depressing", "depressed", "heavy", "bleak", "grim", "dark",
                     "downer", "tragic", "upsetting", "a tearjerker", "tear jerker"), "sad"),
    **dict.fromkeys(("sappy", "cheesy", "sentimental", "mushy", "weird", "quirky", "trippy",
                     "surreal", "mind bending", "mindbending", "slow", "slow paced",
                     "predictable", "cliche", "cliched", "pretentious", "artsy", "arty", "campy",
                     "intense", "stressful", "cult", "cult classic", "twist", "plot twist",
                     "twisty", "smart", "clever", "mindless", "chill", "relaxing",
                     "easy watching"), "unmeasured"),
    **dict.fromkeys(("halloween", "spooky season"), "halloween"),
    **dict.fromkeys(("too scary", "so scary", "very scary", "that scary", "overly scary",
                     "super scary", "too frightening", "too creepy", "too spooky"), "too scary"),
    **dict.fromkeys(("sad film", "sad movie", "sad films", "sad movies", "sad one", "sad story",
                     "make me cry", "a good cry", "cry to", "to cry to"), "sad film"),
    **dict.fromkeys(("spy", "spies", "espionage", "secret agent"), "spy"),
    **dict.fromkeys(("blockbuster", "blockbusters", "summer blockbuster"),
                    "blockbuster"),
    **dict.fromkeys(("black and white", "b w", "silent"), "old look"),
    **dict.fromkeys(("live action", "live actors", "real actors"), "live action"),
    **dict.fromkeys(("subtitles", "subtitled", "subs", "subtitle", "foreign", "foreign language",
                     "foreign films", "foreign movies", "dubbed", "dubbing", "non english",
                     "not in english", "reading subtitles", "read subtitles"), "language"),
    **dict.fromkeys(("found footage", "mockumentary", "mockumentaries", "shaky cam",
                     "shaky camera", "handheld camera", "cgi", "3d", "3 d", "motion capture",
                     "one take", "one shot"), "filming"),
    **dict.fromkeys(TOPIC_WORDS, "topic"),
    **dict.fromkeys(("aliens", "alien invasion", "extraterrestrials", "extraterrestrial", "ufo",
                     "ufos"), "aliens"),
    **dict.fromkeys(("outer space", "in space", "set in space", "space movie", "space movies",
                     "space film", "space films", "spaceship", "spaceships", "astronauts",
                     "astronaut"), "space"),
    **dict.fromkeys(("pixar", "dreamworks", "ghibli", "studio ghibli"), "studio"),
    **dict.fromkeys(("disney",), "disney"),
    **dict.fromkeys(("true story", "a true story", "true stories", "based on a true story",
                     "real events", "true events", "based on real events", "real life story",
                     "really happened"), "true story"),
    # not "zombie", "vampire", "robot" alone: "zombie soldiers" is a genre modifier (horror action)
    **dict.fromkeys(("zombies", "undead"), "zombies"),
    **dict.fromkeys(("vampires",), "vampires"),
    **dict.fromkeys(("heist", "heists", "robbery", "bank robbery"), "heist"),
    **dict.fromkeys(("robots", "androids", "cyborgs"), "robots"),
    # someone watching is easily frightened: a wish against scary films, never for them
    **dict.fromkeys(("scared easily", "scares easily", "gets scared", "get scared",
                     "easily scared", "easily frightened", "frightened easily", "frightens easily",
                     "gets frightened", "get frightened", "nightmares", "scaredy cat",
                     "scaredy cats", "faint hearted", "faint of heart", "jumpy",
                     "sensitive", "get spooked", "gets spooked", "spooked easily",
                     "easily spooked", "scare easily", "frighten easily", "bad dreams",
                     "scare really easily", "scared really easily", "scare so easily",
                     "scared so easily", "scare very easily", "scared very easily",
                     "frighten really easily", "big baby", "such a baby", "a wimp", "big wimp",
                     "such a wimp", "a scaredy cat", "a wuss", "scaredy", "too chicken",
                     "scared of", "afraid of", "frightened of", "terrified of", "scares me",
                     "scares really easily"),
                    "sensitive"),
    **dict.fromkeys(("for adults", "for grown ups", "for grownups", "grown up", "adult",
                     "adults only", "mature"), "for adults"),
}
