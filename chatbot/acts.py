"""What kind of act an utterance is, from its folded tokens: its intent (yes, no, bye,
restart...), a question about a film, an answer about having watched it, a verdict on it, a
request for something else, a word to the bot. Pure; no IO. Tokens as ``chatbot.cues.clause_tokens`` gives them (``","`` at clause ends).

These decide what an utterance *does* before its words are read as wishes, so that while a
film is proposed "is Bruce Willis in it?" is a question (never a wish for Bruce Willis), "I saw
it as a kid" answers "Have you watched it?" (never a wish for family films), and "yeah it
sucks" is a no. Example::

    tokens = clause_tokens("does it have Bruce Willis in it?")
    is_question(tokens, "does it have Bruce Willis in it?")   # True
    refers_to_film(tokens)                                    # True
    watching(clause_tokens("saw it on a plane lol"))          # 'yes'
    verdict(clause_tokens("not my cup of tea"))               # 'disliked'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from chatbot.lexicon import CLOSING_FILLERS, INTENT_PHRASES
from chatbot.polarity import committed_polarity
from chatbot.question_topics import ONE_WORD_QUESTIONS, ONE_WORD_TOPICS, topics_in
from chatbot.recall import recalled_genre, recalls_first
from chatbot.scope import done_with, positive_tag_at
from chatbot.topic_words import topics_by_words
from chatbot.turn_taking import leaves
from chatbot.watching import watching  # noqa: F401  (public here too)

BOUNDARY = ","
INTENTS = ("yes", "no", "no_preference", "greeting", "bye", "done", "thanks", "another",
           "restart", "unknown")


class PhraseTable:
    """Phrases (word tuples) indexed by their first word, to find them in tokens in one pass.

    Example: ``PhraseTable(["no thanks", "no"]).first(["well", "no", "thanks"])`` -> ``(1, -2)``.
    """

    def __init__(self, phrases: Iterable[str | tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(phrase.split()) if isinstance(phrase, str) else tuple(phrase)
            self._by_first.setdefault(words[0], []).append(words)
        for found in self._by_first.values():
            found.sort(key=len, reverse=True)

    def first(self, tokens: Sequence[str]) -> tuple[int, int] | None:
        """``(position, -length)`` of the earliest (then longest) phrase in ``tokens``."""
        for i, token in enumerate(tokens):
            for words in self._by_first.get(token, ()):
                if tuple(tokens[i : i + len(words)]) == words:
                    return i, -len(words)
        return None

    def all(self, tokens: Sequence[str]) -> list[tuple[int, tuple[str, ...]]]:
        """Every ``(position, phrase)`` found, left to right (overlaps included)."""
        return [(i, words) for i, token in enumerate(tokens)
                for words in self._by_first.get(token, ())
                if tuple(tokens[i : i + len(words)]) == words]

    def found_in(self, tokens: Sequence[str]) -> bool:
        return self.first(tokens) is not None

    def starts(self, tokens: Sequence[str]) -> bool:
        """Some phrase opens ``tokens``."""
        return bool(tokens) and any(tuple(tokens[: len(w)]) == w
                                    for w in self._by_first.get(tokens[0], ()))

_HISTORY_WORDS = frozenset("first earlier before previous previously last".split())
_SHOWN_WORDS = frozenset("show showed shown suggest suggested recommend recommended offered "
                         "mentioned proposed".split())
_WH_WORDS = frozenset("who whos what whats when how which where why any".split())
_AUX_WORDS = frozenset("is does did was are has have can could would will isnt wasnt doesnt "
                       "do".split())
# after "is" / "will" ...: no subject, so no question ("will definitely watch it")
_NOT_INVERTED = frozenset("""not never seen watched been already to got definitely def
    probably prob surely certainly totally defo""".split())
_SPELLINGS = {"wat": "what", "wot": "what", "wut": "what", "wht": "what", "hw": "how",
              "whats": "what is", "whos": "who is", "hows": "how is", "u": "you",
              "whyd": "why did"}
_INTERJECTIONS = frozenset("ooh oh ok okay so and but wait um umm hmm hm well hey cool nice "
                           "great also and".split())
_FILLERS = frozenset("the a an and or please again then".split())
_QUANTITY_ASKS = (("is", "there", "a", "lot"), ("is", "there", "lots"), ("is", "there", "much"),
                  ("is", "there", "too"), ("is", "there", "loads"), ("are", "there", "many"),
                  ("are", "there", "lots"), ("are", "there", "a", "lot"), ("are", "there", "too"))
_FILM_REFERENCES = (*_QUANTITY_ASKS, ("it",), ("its",), ("that",), ("this",), ("thats",), ("that", "one"),
                    ("this", "one"), ("the", "movie"), ("the", "film"), ("he",), ("she",),
                    ("him",), ("her",), ("the", "one"), ("they",))
_TAGS = (("right",), ("is", "not", "it"), ("correct",), ("yeah",), ("no",), ("yes",),
         ("innit",), ("does", "not", "it"), ("was", "not", "it"), ("am", "i", "right"))
_BOT_TABLE = PhraseTable((("are", "you"), ("who", "are", "you"), ("what", "are", "you"),
                          ("what", "is", "your", "name"), ("r", "you"), ("you", "a", "bot"),
                          ("you", "a", "robot"), ("is", "this", "a", "bot"),
                          ("am", "i", "talking")))
_REFERENCE_TABLE = PhraseTable(_FILM_REFERENCES)
# "could it be a bit shorter?", "can it be rated PG-13?": a change asked for, no question
_CHANGE_ASKS = tuple((modal, "it", verb) for modal in ("can", "could") for verb in ("be", "have"))
_REQUEST_OPENINGS = (("how", "about"), ("what", "about"), ("can", "you"), ("could", "you"),
                     ("do", "you", "have"), ("have", "you", "got"), ("got", "any"),
                     ("anything",), ("something",), ("any",), ("show", "me"), ("give", "me"),
                     ("find", "me"), ("hand", "me"), ("get", "me"), ("gimme",), ("is", "there"), ("are", "there"), ("can", "we"),
                     ("could", "we"), ("how", "bout"), ("maybe",), ("or",), *_CHANGE_ASKS)
_REQUEST_TABLE = PhraseTable(_REQUEST_OPENINGS)


def is_question(tokens: Sequence[str], raw: str) -> bool:
    """A "?" in ``raw``, a question word first (after "ooh", "so", ...) or a tag ("..., right")."""
    words = _plain(tokens)
    if not words:
        return False
    inverted = words[0] in _AUX_WORDS and len(words) > 1 and words[1] not in _NOT_INVERTED
    return "?" in raw or words[0] in _WH_WORDS or inverted or _tagged(tokens)


def refers_to_film(tokens: Sequence[str], raw: str = "") -> bool:
    """The words point at a film already named ("it", "that one", "the movie", "he")."""
    words = _plain(tokens)
    return _REFERENCE_TABLE.found_in(words) or bool(_one_word_topic(words, raw))


_ASKING = (("something",), ("anything",), ("another",), ("more",), ("less",), ("else",),
           ("instead",), ("rather",), ("prefer",), ("want",), ("wanna",), ("need",),
           ("would", "like"), ("would", "love"), ("how", "about"), ("what", "about"),
           ("maybe",), ("could", "you"), ("can", "you"), ("can", "we"), ("let", "us"),
           ("lets",), ("please",), ("give", "me"), ("show", "me"), ("find", "me"), ("try",),
           ("hand", "me"), ("get", "me"), ("gimme",), ("got", "one"), ("got", "any"),
           ("go", "for"), ("in", "the", "mood"), ("looking", "for"), ("make", "it"),
           ("make", "that"), ("one", "with"), ("one", "from"), ("ones",), ("one", "by"),
           ("different",), ("other",), ("switch",), ("change",), ("pls",), ("plz",),
           *_CHANGE_ASKS)
_ASKING_TABLE = PhraseTable(_ASKING)


def asks_for(tokens: Sequence[str]) -> bool:
    """The words ask for a film ("something from the 90s", "maybe a comedy", "one with X",
    "I'd prefer a western"), rather than only answering a question about one."""
    return _ASKING_TABLE.found_in(_plain(tokens))


def is_request(tokens: Sequence[str]) -> bool:
    """A question that asks for a (different) film: "how about a comedy?", "anything with
    Bruce Willis?", "can you find one from the 90s?"."""
    words = _plain(tokens)
    if _tagged(tokens) or _ABOUT_TABLE.starts(words) or _INSIDE_TABLE.found_in(words):
        return False  # "that's the one with Travolta, right?", "any Clint Eastwood in this?"
    return _REQUEST_TABLE.starts(words) or _REQUEST_WORDS.found_in(words)


_ABOUT_TABLE = PhraseTable((*_QUANTITY_ASKS, ("that", "is"), ("thats",), ("it", "is"), ("its",), ("is", "it"),
                            ("is", "that"), ("does", "it"), ("was", "it"), ("did", "it"),
                            ("is", "this"), ("this", "is"), ("has", "it")))
_INSIDE_TABLE = PhraseTable((("in", "it"), ("in", "this"), ("in", "that"), ("in", "there")))
_REQUEST_WORDS = PhraseTable((("another",), ("something",), ("anything",), ("one", "with"),
                              ("one", "from"), ("else",), ("instead",), ("different",),
                              ("other", "one"), ("show", "me"),
                              # "one that's a bit milder?": another film, described
                              ("one", "thats"), ("one", "that", "is"), ("one", "which", "is"),
                              # "one he can watch too", "a film we can all watch": for who watches
                              *((lead, who, can) for lead in ("one", "film", "movie")
                                for who in ("he", "she", "they", "we", "everyone", "everybody", "kids")
                                for can in ("can", "could", "will", "would"))))


def question_topics(tokens: Sequence[str], raw: str) -> list[str]:
    """What a question asks about a film: ``["cast"]``, ``["runtime"]``... ``[]`` when ``raw``
    is not a question. "cast?" alone asks for the cast."""
    words = _plain(tokens)
    alone = _one_word_topic(words, raw)
    if alone:
        return [alone]
    if recalled_genre(words):  # "what was that war one called again": an earlier film
        return ["recall"]
    if recalls_first(words):  # "the first one you said", asked or not
        return ["history"]
    if not is_question(tokens, raw):  # "tell me more", "more info on it pls": details asked all the same
        return ["more"] if "more" in topics_in(words) and _DETAIL_WORDS & set(words) else []
    topics = topics_in(words)  # "which rating is it": the MPAA rating, no critics
    if "history" in topics or (_HISTORY_WORDS & set(words) and _SHOWN_WORDS & set(words)):
        return ["history"]  # "which film did you show me first?"
    if not topics and words and words[0] == "who":  # "who else stars in it?"
        topics = ["director" if {"direct", "directs", "made", "make", "director"} & set(words) else "cast"]
    return topics or _fact_named(words) or topics_by_words(words)  # "is this one long?"


_DETAIL_WORDS = frozenset("tell more info details".split())  # "i know about it" asks nothing


def _fact_named(words: list[str]) -> list[str]:
    """"what's the rating on it?", "whats the runtime like": a question naming a fact the
    catalogue has asks for that fact, whatever the words around it (none asks for a change)."""
    if _CHANGE_WORDS & set(words):  # "is there one with a lower rating?": a request
        return []
    return list(dict.fromkeys(ONE_WORD_TOPICS[w] for w in words if w in _FACT_NOUNS))


# the fact nouns a question can name in any phrasing ("year" is left out: "from another year")
_FACT_NOUNS = frozenset(w for w in ONE_WORD_TOPICS if w not in ("year",))
_CHANGE_WORDS = frozenset("""different another other lower higher instead change shorter
    longer newer older less more any some without""".split())


def is_about_bot(tokens: Sequence[str]) -> bool:
    """A question to the bot about itself: "are you a robot?", "hello, who are you", "how
    many films do you know?"."""
    words = _plain(tokens)
    while len(words) > 1 and words[0] in _GREETING_WORDS:
        words.pop(0)
    if outburst(words):
        return False  # "are you kidding me?": not a question about the bot
    return _BOT_TABLE.starts(words) or _CATALOGUE_TABLE.found_in(words)


def outburst(tokens: Sequence[str]) -> bool:
    """"are you kidding me", "r u serious": frustration said as a question, asking nothing."""
    words = _plain(tokens)
    while words[:1] and words[0] in _OUTBURST_OPENERS:  # "oh come on, are you serious"
        words = words[1:]
    you = words[:2] in (["are", "you"], ["r", "you"], ["r", "u"], ["are", "u"])
    said = words[:2] in (["you", "are"], ["u", "are"], ["you", "re"], ["youre"]) or words[:1] == ["youre"]
    # "you are serious?", "you're kidding": the same said as a statement with a question mark
    return (you or said and len(words) <= 5) and bool(set(words[1:4]) & _EXCLAIMS)


_OUTBURST_OPENERS = frozenset("oh ugh wow what come on seriously man dude lol omg".split())


_EXCLAIMS = frozenset("""kidding joking serious serious insane crazy nuts mad deaf listening
    reading blind trolling messing""".split())


_GREETING_WORDS = frozenset("hello hi hey hiya yo there".split())
_CATALOGUE_TABLE = PhraseTable(tuple(f"how many {f} {v}" for f in ("movies", "films", "titles")
                                     for v in ("do you", "are in", "are there in", "have you",
                                               "you got", "do u", "in your", "are in your",
                                               "can you", "you have", "you know")) + (
    "how big is your catalogue", "how big is your catalog", "how big is your database",
    "size of your catalogue", "size of your catalog", "how large is your catalogue"))


# -- asking the bot for help, or for a film with no wish yet --------------------------------
_HELP_TABLE = PhraseTable((
    "what can you do", "what do you do", "what can i do", "what can i say", "what do i say",
    "what should i say", "what do i do", "what should i do", "how does this work",
    "how does it work", "how do you work", "how does this thing work", "how do i use",
    "how do i do this", "how is this supposed to work", "what do you mean", "what does that mean",
    "what you mean", "huh", "help", "i am confused", "im confused", "i am lost", "im lost",
    "what are my options", "what are the options", "what options", "what choices",
    "what are the choices", "my choices", "my options", "list them", "the options", "list the genres", "what genres",
    "which genres", "what genres are there", "genres are there", "genres do you have",
    "know what genres", "what kinds are there", "what kinds do you have", "give me options",
    "what are you for", "what is this for", "how can you help",
    # "what are you able to do?", "what can u do": the same ask in other words
    "what can u do", "what are you able to do", "what are u able to do", "what else can you do",
    "what are you capable of", "what are u capable of", "what can this do", "what can it do",
    "what can you help with", "what do you help with", "what can this bot do"))
_FILM_ASK_TABLE = PhraseTable((
    "recommend", "recommend me", "suggest", "suggest something", "pick something",
    "pick one", "pick a movie", "pick a film", "choose something", "wanna watch",
    "want to watch", "watch a movie", "watch a film", "watch something", "a good movie",
    "a good film", "best movie", "best film", "something good", "something to watch",
    "movie night", "find me a movie", "find me a film", "need a movie", "need a film",
    "looking for a movie", "looking for a film", "looking for something", "a movie",
    "a film", "any movie", "any film", "recommendation", "recommendations", "rec", "recs",
    "suggestion", "suggestions", "any ideas", "what should i watch", "what to watch",
    "what do you suggest", "what would you suggest",
    # asked loosely, no wish yet: "whats good", "got anything good?", "what have you got"
    "anything good", "any good films", "any good movies", "any good ones", "anything decent",
    "something decent", "whats good", "what is good", "worth watching", "what have you got",
    "what you got", "whatcha got", "what do you have", "what have you", "got anything",
    "got something", "anything for me", "whats hot", "whats popular", "what would you pick",
    "what would you watch", "what would you choose", "any picks", "your top pick",
    "your pick", "any tips", "whats worth", "what is worth", "anything worth", "worth seeing",
    "worth a watch", "what ya got",
    # an occasion that needs a film: "long flight tomorrow, need something", "sick day on
    # the couch", "sleepover for my daughter's birthday" (what it implies is read as wishes)
    "need something", "need anything", "something for", "sleepover", "slumber party",
    "long flight", "on a flight", "on the plane", "on a plane", "on the train", "road trip",
    "sick day", "rainy day", "snow day", "lazy day", "lazy sunday", "on the couch",
    "on the sofa", "film night", "girls night", "boys night", "family night",
    "birthday party", "sleep over", "home alone tonight"))
# the choice left to the bot: "surprise me", "idk you pick", "dealer's choice"
_DELEGATE_TABLE = PhraseTable((
    "surprise me", "you pick", "you choose", "you decide", "up to you", "your call",
    "your choice", "dealers choice", "dealer s choice", "whatever you think",
    "whatever you like", "whatever you want", "you tell me", "pick for me", "choose for me",
    "just pick", "just choose", "just pick one", "dealer choice", "anything you like",
    "anything you want", "anything you recommend", "whatever you recommend", "your pick"))


def delegates(tokens: Sequence[str]) -> bool:
    """The choice is left to the bot: "surprise me", "idk you pick", "up to you"."""
    words = _plain(tokens)
    return any(not (p == ("you", "tell", "me") and at and words[at - 1] in _ABLE)
               for at, p in _DELEGATE_TABLE.all(words))  # "can you tell me how long it is?" asks


_ABLE = frozenset("can could would will do".split())


def asks_help(tokens: Sequence[str]) -> bool:
    """The words ask how the bot works or what the choices are: "what can you do?", "huh?",
    "what genres are there?"."""
    return _HELP_TABLE.found_in(_plain(tokens))


def asks_for_film(tokens: Sequence[str]) -> bool:
    """The words ask for a film as such: "can u recommend me a good movie", "i wanna watch
    something", "just pick one"."""
    return _FILM_ASK_TABLE.found_in(_plain(tokens))


# -- verdicts and watching -----------------------------------------------------------------
_APPROVALS = ("that works", "works for me", "perfect", "i will take it", "ill take it",
              "i will watch it", "ill watch it", "lets watch it", "let s watch it", "sold",
              "i am in", "that one is good", "that will do", "thatll do", "love it",
              "loved it", "love that", "sounds good", "sounds great", "looks good",
              "looks great", "great", "awesome", "amazing", "fantastic", "excellent",
              "brilliant", "great choice", "good choice", "nice", "dope", "banger",
              "would love", "good one", "lovely", "wonderful", "sounds fine", "sounds ok",
              "sounds okay", "sounds alright", "sounds decent", "sounds fun", "sounds nice",
              "sounds interesting", "looks fine", "looks ok", "looks okay", "looks fun",
              "looks nice", "looks interesting", "good enough", "fine by me", "ok by me",
              "happy with that", "give it a go", "give it a try", "give it a shot",
              "i could watch that", "could go for that", "check it out", "that is fine",
              "looks decent", "looks alright", "seems fine", "seems good", "seems ok",
              "seems decent", "seems alright", "seems fun", "sounds cool", "looks cool",
              "sounds awesome", "sounds perfect", "that one works", "this one works",
              # taking it in a learner's or a quiz show's words: "I take this", "final answer"
              "i take it", "i take this", "i take that", "ill take this", "ill take that",
              "i will take this", "i will take that", "final answer", "i choose this",
              "i choose it", "i pick this", "i pick it", "ill pick this", "ill go with it",
              "ill go with this", "i will go with it", "i will go with this")
_DISAPPROVALS = ("not my thing", "not for me", "not my cup of tea", "not my style",
                 "not my jam", "not my kind", "not my type", "not a fan", "hard pass",
                 "not feeling it", "not interested", "boring", "sucks", "suck", "dumb",
                 "stupid", "lame", "awful", "terrible", "horrible", "trash", "garbage",
                 "cringe", "overrated", "hate it", "hated it", "hate that", "ugh", "yuck",
                 "looks bad", "sounds bad", "no way", "not good", "not great", "not that one",
                 "bad", "gross",
                 # "hmm no i dont like it": the liking denied ("don't" is folded to "do not"),
                 # never "something like it", which asks for a similar film
                 *(f"{verb} {obj}" for verb in ("do not like", "do not really like", "does not appeal to",
                                                "do not fancy", "do not love", "not into", "not keen on",
                                                "not feeling", "not a fan of")
                   for obj in ("it", "this", "that", "this one", "that one", "me", "the look of it",
                               "the sound of it", "the look of that", "the sound of that",
                               "the look of this", "the sound of this")))
_DENIERS = frozenset("not never no isnt wasnt".split())
_APPROVAL_TABLE = PhraseTable(_APPROVALS)
_DISAPPROVAL_TABLE = PhraseTable(_DISAPPROVALS)


def verdict(tokens: Sequence[str]) -> str | None:
    """``"liked"`` ("perfect", "love it"), ``"disliked"`` ("not my thing", "it sucks") or None.
    A denied approval ("not great") is a dislike; a denied dislike ("not boring") says nothing."""
    return _verdict(_plain_cached(tuple(tokens), True))  # "no we havent, perfect ty": liked


@lru_cache(maxsize=64)
def _verdict(words: tuple[str, ...]) -> str | None:
    found = None
    for table, kind in ((_DISAPPROVAL_TABLE, "disliked"), (_APPROVAL_TABLE, "liked")):
        for at, phrase in table.all(words):
            window = words[max(0, at - 2) : at]  # "no we havent, perfect ty": no denial
            window = window[max((i + 1 for i, w in enumerate(window) if w == BOUNDARY), default=0):]
            # a phrase that holds its own denial ("do not like it") is not denied by a "no" before it
            denied = bool(_DENIERS & set(window)) and "not" not in phrase
            if kind == "liked" and denied:
                return "disliked"
            if not denied:
                found = found or kind
    return found


# -- intents -------------------------------------------------------------------------------


def split_question(text: str) -> tuple[str, str] | None:
    """An answer and a question in one message, as ``(answer, question)``: the clauses that
    ask (end in "?" or open with a question word) at the start or the end, the rest before or
    after. None when the message is all question or all answer. Example:
    ``split_question("nope havent. is it ok for a 12 year old?")`` -> ``('nope havent.', 'is
    it ok for a 12 year old?')``."""
    clauses = [c.strip() for c in _CLAUSES.findall(_DASH.sub(", ", _unabbreviated(text)))
               if c.strip(" ,;.!?")]
    asks = [_asks(c) for c in clauses]
    if len(clauses) < 2 or all(asks) or not any(asks):
        return None
    if asks[-1]:  # "comedy, what can you do?"
        cut = len(asks) - next(i for i, a in enumerate(reversed(asks)) if not a)
        answer, question = clauses[:cut], clauses[cut:]
    elif asks[0]:  # "how long is it? no, haven't seen it"
        cut = next(i for i, a in enumerate(asks) if not a)
        question, answer = clauses[:cut], clauses[cut:]
    else:  # "not seen. what was the first one you suggested? the spike lee one": the film
        # the question points at, said after it, belongs to the question
        last = len(asks) - 1 - asks[::-1].index(True)
        if not all(points_at_film(c) for c in clauses[last + 1:]):
            return None
        cut = asks.index(True)
        answer, question = clauses[:cut], clauses[cut:]
        asks = asks[:cut] + [True] * len(question)
    if any(asks[i] for i in range(len(clauses)) if clauses[i] in answer) or not (
            set(" ".join(answer).lower().replace("'", "").strip(" ,;.!?").split()) - _FILLERS):
        return None  # "hmm ok. is it good?": the "ok" only leads into the question
    return " ".join(answer), " ".join(question)


def points_at_film(text: str) -> bool:
    """The words only point at a film talked about: "the spike lee one", "that one with Pacino"."""
    return bool(_POINTER.match(text.strip(" ,;.!?")))


_POINTER = re.compile(r"(?:the|that) (?:\w+ ){0,4}one(?: (?:with|from|by|where|about) .*)?$", re.I)


def inner_question(text: str) -> tuple[str, str] | None:
    """An answer running into a question about the film with no mark between: "no I haven't
    seen it is it rated R", "sounds great but is it too scary for her" -> ``(answer,
    question)``; None when no question about "it" starts after the first words."""
    found = _INNER_ASK.search(text)
    before = text[: found.start()].lower().replace("'", "").split() if found else []
    if found is None or len(before) < _INNER_MIN_WORDS or not set(before[:2]).isdisjoint(
            _QUESTION_OPENERS) or not set(before).isdisjoint(_WH_WORDS - {"any"}):
        return None  # "what else has he been in?", "ok and how long is it": one question
    question = text[found.start():].strip()
    return (text[: found.start()].strip(" ,"), question) if len(question.split()) >= 3 else None


_INNER_ASK = re.compile(r"(?<=\w )(?:(?:but|and|so|though) )?(?:is|does|was|did|has|will|would|can|could|"
                        r"isnt|doesnt|wasnt) (?:it|this|that|this one|that one|he|she|they)\b", re.I)
_INNER_MIN_WORDS = 2


def last_sentence(text: str) -> tuple[str, str] | None:
    """``(the sentences before, the last sentence)`` of a message of several sentences ("who
    directed it again? anything like it but older?"), else None."""
    sentences = [s for s in _SENTENCE_RE.findall(_unabbreviated(text)) if s.strip(" ,;.!?")]
    return ("".join(sentences[:-1]).strip(), sentences[-1].strip()) if len(sentences) > 1 else None


def _unabbreviated(text: str) -> str:
    """"Fantastic Mr. Fox?": the dot of a title's "Mr." ends no sentence (folding drops it)."""
    return _ABBREVIATION.sub(r"\1", text)


_ABBREVIATION = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|Mt|Prof|Capt|Sgt|Lt)\.", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"[^.!?]+[.!?]*")
_FILLERS = frozenset("""ok okay k hmm hm um uh umm ah oh well so alright right and but cool
    lol haha yeah""".split())
_CLAUSES = re.compile(r"[^.!?;,]+[.!?;,]*")
_DASH = re.compile(r"\s+[-–—]+\s+")  # "not seen it yet - how long is it?": a clause break
_QUESTION_OPENERS = frozenset("""what whats how hows who whos why when where which is does do
    can could are will would did whats""".split())


def _asks(clause: str) -> bool:
    """A clause that asks something of its own: not a tag ("isn't it?", "right?", "no?")."""
    words = clause.lower().replace("'", "").replace("’", "").strip(" ,;.!?").split()
    while len(words) > 3 and words[0] in _LINKS:  # "and why did you pick it"
        words.pop(0)
    if len(words) < 3:  # "rating?", "and the runtime?": a fact asked for in a word or two
        return clause.rstrip().endswith("?") and any(w in ONE_WORD_QUESTIONS for w in words)
    return clause.rstrip().endswith("?") or words[0] in _QUESTION_OPENERS and \
        words[1] not in _NOT_INVERTED


_LINKS = frozenset("and but so also plus oh".split())


def indifferent_slots(tokens: Sequence[str], intent: str) -> list[str]:
    """The questions a "no preference" names ("rating doesn't matter", "any genre is fine",
    "don't care who directs"), in the order ``SLOT_WORDS`` lists them; [] when it names none."""
    if intent != "no_preference" and not _INDIFFERENT_WORDS & set(tokens):
        return _refused_questions(tokens)
    said = set(tokens) | ({"length"} if _HOW_LONG in zip(tokens, tokens[1:], strict=False) else set())
    return [slot for slot, words in SLOT_WORDS.items() if said & words]


SLOT_WORDS = {"genre": frozenset("genre genres kind type".split()),
              "actor": frozenset("actor actors actress actresses cast starring stars".split()),
              "director": frozenset("director directors directs directed".split()),
              "mpaa": frozenset("rating ratings rated mpaa certificate".split()),
              # "any year works", "doesn't matter how old": wishes of these slots go too
              "year": frozenset("year years decade decades era date release old age".split()),
              "runtime": frozenset("length lengths runtime duration".split())}
# "no director", "no particular actor", "none for the rating": the question itself refused
_QUESTION_NOUNS = {"genre": {"genre", "genres"}, "actor": {"actor", "actors", "actress", "actresses"},
                   "director": {"director", "directors"}, "mpaa": {"rating", "ratings", "certificate"},
                   "runtime": {"length", "runtime"}}
_REFUSING = frozenset("no none nope nah".split())
_NOUN_FILLERS = frozenset("particular specific special favourite favorite real certain for the "
                          "on a".split())


def _refused_questions(tokens: Sequence[str]) -> list[str]:
    found: list[str] = []
    for i, token in enumerate(tokens):
        if token not in _REFUSING:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j] in _NOUN_FILLERS:
            j += 1
        nxt = tokens[j] if j < len(tokens) else ""
        after = tokens[j + 1] if j + 1 < len(tokens) else ""
        found += [slot for slot, nouns in _QUESTION_NOUNS.items() if nxt in nouns
                  and after not in ("with", "by", "who", "named", "called") and slot not in found]
    return found


_HOW_LONG = ("how", "long")  # "don't care how long it is" (not "as long as")
_INDIFFERENT_WORDS = frozenset("any whatever whichever matter matters care preference pref "
                               "important bothered fussed fussy".split())


def _stops_asking(tokens: Sequence[str]) -> bool:
    """"stop asking me stuff", "stop with the questions": no goodbye, no more questions."""
    return any(t == "stop" and (tokens[i + 1 : i + 2] in (["with"], ["the"]) or
                                tokens[i + 1 : i + 2] and tokens[i + 1].endswith("ing"))
               for i, t in enumerate(tokens)) and not any(
        t in ("bye", "goodbye", "quit", "exit") for t in tokens)


def intent_of(tokens: list[str], leaving: bool = True) -> str:
    """The dialog act of folded ``tokens``: one of ``INTENTS``; a goodbye in other words
    ("im off", "gotta run", ``chatbot.turn_taking``) is "bye" unless ``leaving`` is False.

    Example: ``intent_of("no i have not".split())`` -> ``'no'``.
    """
    if not tokens:
        return "unknown"
    for table, intent in (("restart", "restart"), ("bye", "bye"),
                          ("no_preference_phrase", "no_preference"), ("no_override", "no")):
        if _INTENT_TABLES[table].found_in(tokens) and not (intent == "bye" and (
                _stops_asking(tokens) or done_with(tokens, _INTENT_TABLES["bye"].all(tokens)))):
            return intent
    if leaving and leaves(tokens):  # "nah none of that, im off": no "no", no "another"
        return "bye"
    if _closing(tokens, "thanks"):
        return "thanks"
    if _closing(tokens, "done", "thanks"):
        return "done"
    # asking for another outranks a hedged yes: "ok I guess another one"
    another = _INTENT_TABLES["another"].first(tokens)
    if another is not None:
        negated = {"not", "never"} & set(tokens[max(0, another[0] - 3) : another[0]])
        return "no" if negated else "another"
    committed = committed_polarity(tokens)  # "of course not", "yes, no, wait, no"
    if committed is not None:
        return committed
    if _INTENT_TABLES["yes_override"].found_in(tokens):
        return "yes"
    yes, no = _INTENT_TABLES["yes"].first(tokens), _INTENT_TABLES["no"].first(tokens)
    if yes or no:
        return "yes" if no is None or (yes is not None and yes < no) else "no"
    for table in ("no_preference", "greeting"):
        if _INTENT_TABLES[table].found_in(tokens):
            return table
    return "unknown"


_INTENT_TABLES = {name: PhraseTable(phrases) for name, phrases in INTENT_PHRASES.items()}
_FAREWELL_WORDS = frozenset("bye goodbye byebye farewell cya ttyl".split())


def wish_intent(tokens: list[str], wishing: bool) -> str:
    """``intent_of(tokens)``, except that a message ``wishing`` for films says no goodbye on a
    word inside the wish ("non stop action", "I quit my job, need a laugh", "good night movie"):
    only a farewell word itself ("comedy, bye") ends the chat there."""
    intent = intent_of(tokens)
    if intent != "bye" or not wishing or _FAREWELL_WORDS & set(tokens):
        return intent
    inside = {i for at, phrase in _INTENT_TABLES["bye"].all(tokens) for i in range(at, at + len(phrase))}
    return intent_of([t for i, t in enumerate(tokens) if i not in inside], leaving=False)


def _closing(tokens: Sequence[str], *tables: str) -> bool:
    """The words decline more and say nothing else: "I'm good, thanks", "nah that'll do",
    "maybe later", "k thx" (phrases of ``tables``, the rest ``CLOSING_FILLERS``)."""
    words = [t for t in tokens if t != BOUNDARY]
    found = [hit for table in tables for hit in _INTENT_TABLES[table].all(words)]
    if not found:
        return False
    covered = {i for at, phrase in found for i in range(at, at + len(phrase))}
    return all(i in covered or w in CLOSING_FILLERS for i, w in enumerate(words))


# -- helpers -------------------------------------------------------------------------------


def _plain(tokens: Sequence[str]) -> list[str]:
    """Tokens without clause marks and opening interjections, question words spelt out."""
    return list(_plain_cached(tuple(tokens)))


@lru_cache(maxsize=64)
def _plain_cached(tokens: tuple[str, ...], marks: bool = False) -> tuple[str, ...]:
    words: list[str] = []
    for token in tokens:
        if token != BOUNDARY:
            words += _SPELLINGS.get(token, token).split()
        elif marks and words:
            words.append(token)
    while len(words) > 1 and words[0] in _INTERJECTIONS | {BOUNDARY}:
        words.pop(0)
    return tuple(words)


def _one_word_topic(words: list[str], raw: str) -> str | None:
    content = [w for w in words if w not in _FILLERS]
    table = ONE_WORD_QUESTIONS if "?" in raw else ONE_WORD_TOPICS
    if len(content) == 1:
        return table.get(content[0])
    if len(content) == 2 and content[0] in ("its", "what", "which", "and", "the"):
        return table.get(content[1])
    return None


def _tagged(tokens: Sequence[str]) -> bool:
    """"..., right" / "..., isn't it" / "not really X tho is it": a statement asking to be
    confirmed."""
    if positive_tag_at(tokens, denied=False) is not None:  # its "not" is dropped by now
        return True
    if BOUNDARY not in tokens:
        return False
    last = list(tokens[len(tokens) - 1 - list(reversed(tokens)).index(BOUNDARY) + 1 :])
    return any(tuple(last) == tag for tag in _TAGS) or (
        len(tokens) > 2 and tokens[-1] == "right")
