"""Agreeing to a proposal without answering the question asked about it: "ok sure", "deal",
"sure why not", "let's do it", "ok whatever you think", 👍. Pure; no IO.

Said to "Have you watched this movie before?" these take the film, never "yes, I've seen it":
a person who had seen it says so ("yes", "yep, saw it"), while "ok" beside another yes, or a
word of striking a deal, agrees to what was offered. Example::

    agrees(["ok", "sure"])          # True
    agrees(["yes", "i", "have"])    # False: an answer about watching
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.acts import PhraseTable

# taking the film shown, also where "another?" is asked ("fine, i'll take it then")
_TAKING = ("i take it", "this i take", "i ll take it", "ill take it", "i will take it",
           "that then", "this then", "that one then", "this one then", "ill watch that",
           "lets watch that", "let s watch that", "i ll watch that")
_TAKING_TABLE = PhraseTable(_TAKING)
# a word of agreeing to an offer, anywhere in the reply: it never answers "have you seen it?"
_DEALS = PhraseTable((
    "deal", "its a deal", "lets do it", "let s do it", "lets do this", "let s do this",
    "lets go", "let s go", "why not", "go on then", "go on", "whatever you think",
    "whatever you say", "if you say so", "you choose", "your call", "trust you", "i trust you",
    "that then", "this then", "that one then", "this one then", "it then", "sounds fire",
    "count me in", "im down", "i am down", "down for it", "down for that", "say less",
    "she says yes", "he says yes", "they say yes", "we say yes", *_TAKING))
# "ok" beside another yes ("ok sure", "yeah ok", "lol ok", "alright fine"): an agreement
_OKAYS = frozenset("ok okay okie oki okey alright allright k kk fine".split())
_YESES = frozenset("ok okay okie oki okey alright allright k kk fine sure yes yeah yea yep yup "
                   "ya lol haha cool".split())
# the reply is about watching, or refuses: the agreement reading does not hold
_WATCHING = frozenset("""seen saw watched watch have did do know knew already before ago once
    twice times not no nope nah never dont didnt havent wasnt isnt cant but""".split())


def agrees(words: Sequence[str]) -> bool:
    """Whether the folded ``words`` agree to the film offered without saying whether it was seen
    (see the module's text). "ok" alone only acknowledges; "yes" alone answers the question."""
    words = [w for w in words if w.isalnum()]
    if not words or _DEALS.found_in(words) and not _refused(words):
        return bool(words)
    if _WATCHING & set(words) or "?" in words:
        return False
    okays = [w for w in words if w in _OKAYS]
    return bool(okays) and len(words) >= 2 and (
        all(w in _YESES for w in words) or words[0] in _OKAYS and len(words) >= 3)


def takes_shown(words: Sequence[str]) -> bool:
    """"fine i'll take it", "ok that then": the film already shown is taken, also when the bot
    has moved on to asking whether another one is wanted."""
    words = [w for w in words if w.isalnum()]
    return _TAKING_TABLE.found_in(words) and not _refused(words)


def _refused(words: Sequence[str]) -> bool:
    """"not a deal", "no, let's go with another": a deal word inside a refusal."""
    text = f" {' '.join(words)} ".replace(" why not ", " ")  # "sure why not": no refusal
    return bool({"not", "no", "nah", "nope", "never", "dont", "another", "else"} & set(text.split()))


_THANKS = frozenset("thanks thank thx ty cheers ta".split())
_THANKS_FILLERS = frozenset("""you bud buddy mate man bro dude pal so much very lot a lot
    again anyway though tho for that the help x xx lol haha""".split())


def thanks_only(words: Sequence[str]) -> bool:
    """"thanks bud", "cheers mate": thanks and nothing else, so no yes to "another one?"."""
    words = [w for w in words if w.isalnum()]
    return bool(_THANKS & set(words)) and all(w in _THANKS or w in _THANKS_FILLERS for w in words)
