"""Social acts: what a message does to the conversation when it asks for no film.

Small talk ("how are you?", "nice to meet you"), a laugh ("haha", "🤣"), an insult ("you're
useless"), praise, boredom, an apology, a personal question to the bot ("do you like
pizza?", "what's your favourite movie?") and emoji the bot has no use for are *social acts*:
the reply acknowledges them in one sentence and returns to the open question, never "I do not
understand your answer". They are read from structure: a second person (you / your / bot)
with a judging word is praise or an insult, a question with "you" as its subject or "your"
before its object is personal. Pure; no IO. Example::

    social_act(clause_tokens("how r u doing today"), "how r u doing today")   # 'how_are_you'
    social_act(clause_tokens("ur so dumb lol"), "ur so dumb lol")             # 'insult'
    social_reply("insult", random.Random(0))   # "Sorry I'm not getting it right. ..."
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from chatbot.cues import BOUNDARY

SOCIAL_ACTS = ("how_are_you", "nice_to_meet", "laughter", "insult", "praise", "bored",
               "apology", "personal", "emoji", "age")
REPLIES: dict[str, tuple[str, ...]] = {
    "how_are_you": ("I'm doing well, thanks for asking!", "All good here, thanks!"),
    "nice_to_meet": ("Nice to meet you too!",),
    "laughter": ("Glad you're having fun!", "Ha, glad that made you smile."),
    # a complaint about the bot says what it can do, so the user can steer it
    "insult": ("Sorry I'm not getting it right. Tell me what to change (a genre, an actor, a "
               "director, a rating, or a film you like), or say \"another\" for a different film.",
               "Sorry about that. What went wrong? You can change the genre, an actor, the "
               "director or the rating, or name a film you like, and I'll use it."),
    "praise": ("Thank you, that's kind!", "Thanks! Let's find you a good one."),
    "bored": ("Then let's fix that with a film!", "A good film will help with that."),
    "apology": ("No problem at all.", "No worries."),
    "personal": ("I don't watch films or eat anything myself, but I know a lot of films.",),
    "emoji": ("I can't read that emoji as a wish, so words work best here.",),
    # "we're both in our seventies": someone's age, no wish for the films of a decade
    "age": ("Thanks for telling me. I go by what you'd like to watch (genre, people, years, "
            "length, rating), not by anyone's age.",),
}

_YOU = frozenset("you u ya youre ur your yours yourself bot robot chatbot machine thing".split())
_INSULTS = frozenset("""stupid dumb useless idiot idiotic moron moronic dense slow rubbish
    trash garbage terrible awful pathetic annoying lame worst broken clueless insult sucks suck
    crap crappy shit shitty bad horrible incompetent""".split())
_PRAISE = frozenset("""great awesome amazing smart clever helpful cool nice sweet lovely
    brilliant fantastic best good wonderful cute funny""".split())
_LAUGHS = frozenset("haha hahaha hahahaha hehe hehehe lol lool lolol lmao lmfao rofl xd kek "
                    "heh ha".split())
# the conversation said to fail ("this isn't working", "not helpful", "waste of time")
_FAILING = (("not", "working"), ("not", "helping"), ("not", "helpful"), ("not", "listening"),
            ("waste", "of", "time"), ("pointless",), ("useless",), ("doesnt", "work"),
            ("does", "not", "work"), ("not", "getting", "it"), ("no", "help"))
_FILMS = frozenset("movie movies film films it one".split())
_BORED = frozenset("bored boring bore".split())
_SORRY = (("sorry",), ("my", "bad"), ("oops",), ("whoops",), ("apologies",))
_HOW_ARE_YOU = (("how", "are", "you"), ("how", "r", "you"), ("how", "r", "u"),
                ("how", "are", "u"), ("how", "you", "doing"), ("how", "u", "doing"),
                ("hows", "it", "going"), ("how", "is", "it", "going"), ("whats", "up"),
                ("what", "is", "up"), ("wassup",), ("wazzup",), ("sup",),
                ("how", "have", "you", "been"), ("hows", "your", "day"),
                ("how", "is", "your", "day"), ("how", "do", "you", "do"), ("you", "good"),
                ("u", "good"), ("you", "ok"), ("u", "ok"), ("hru",), ("wyd",))
_MEET = (("nice", "to", "meet"), ("pleased", "to", "meet"), ("good", "to", "meet"),
         ("nice", "meeting"), ("great", "to", "meet"))
_FILLERS = frozenset("""so very really too such a an the just kinda kind of pretty totally
    is are be being am i im its it this that lol haha omg man bro dude ngl tbh honestly""".split())
_ASK_OPENERS = frozenset("do did have can could would will are were what whats which who whos "
                         "where how".split())


def social_act(tokens: Sequence[str], raw: str = "") -> str | None:
    """The social act of folded ``tokens`` (one of ``SOCIAL_ACTS``) or None."""
    words = [t for t in tokens if t != BOUNDARY]
    if not words:
        return None
    said = set(words)
    if _has(words, _HOW_ARE_YOU):
        return "how_are_you"
    if _has(words, _MEET):
        return "nice_to_meet"
    if said <= _LAUGHS | _FILLERS:
        return "laughter" if said & _LAUGHS else None
    if said & _INSULTS and _addressed(words) or _has(words, _FAILING) and not said & _FILMS:
        return "insult"  # "this isn't working", "you're not listening": about the bot
    if said & _BORED and said & {"i", "im", "so", "am", "rn", "bored"}:
        return "bored"
    if _has(words, _SORRY) and len(words) <= 4:
        return "apology"
    if said & _PRAISE and _addressed(words) and not said & {"movie", "film", "one", "it"}:
        return "praise"
    if _personal(words, raw):
        return "personal"
    if "insult" in said or "angry" in said:  # an emoji spelt out ("🖕", "😡")
        return "insult"
    return None


def social_reply(act: str, rng: random.Random) -> str:
    """One sentence acknowledging ``act``; the dialog asks its open question after it."""
    options = REPLIES.get(act) or REPLIES["emoji"]
    return options[rng.randrange(len(options))]


def _has(words: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(words[i : i + len(p)]) == p for p in phrases for i in range(len(words)))


def _addressed(words: Sequence[str]) -> bool:
    """The judging word is said of the bot: "you're useless", "stupid bot", "this thing sucks"."""
    return bool(set(words) & _YOU)


def _personal(words: Sequence[str], raw: str) -> bool:
    """A question to the bot about itself: "do you like pizza?", "what's your favourite
    movie?", "have you got a girlfriend?" (you as its subject, or your before its object)."""
    asks = "?" in raw or words[0] in _ASK_OPENERS
    if not asks:
        return False
    if "your" in words or "ur" in words:
        return True
    for i, word in enumerate(words[:-1]):
        if word in ("you", "u") and i > 0 and words[i - 1] in _ASK_OPENERS | {"whats"}:
            return words[i + 1] not in ("have", "got", "recommend", "suggest", "know", "think")
    return False
