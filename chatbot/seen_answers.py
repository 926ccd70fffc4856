"""Replies to a proposed film that say it was seen, and what else they say.

- A laugh is no liking: "seen it already lol" has watched the film and said nothing of liking it
  (VADER scores "lol" and "haha" as positive), so the bot asks whether they liked it.
- A liking told in the past ("yeah loved it", "yes, enjoyed that one") to "Have you watched
  it?" has watched it: the film is kept as a taste and another offered, never taken and the chat ended.
- An emphasis is no yes: "sigourney weaver obviously" while a film is shown names a wish; the
  "obviously" is not an answer to "Have you watched it?".
- A "no" to "Would you want another recommendation then?" that speaks of the film ("no i dont
  like that one": another; "no they havent seen that one": the film is still on) is no goodbye.

Pure; no IO. Example::

    plain_seen_tone(["yes", "i", "see", "it", "already"])   # True
    liked_in_past(["yeah", "loved", "it"])              # True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_LAUGHS = frozenset("lol lmao lmfao rofl haha hahaha hehe heh xd xD lolol".split())
# words of a reply about watching that carry no opinion of the film
_NEUTRAL = frozenset("""i ive id we weve they theyve he she has have had already seen saw watched
    it that this one them film movie yes yeah yep yup ya yea ok okay oh so a the before too
    yet already twice times ages ago years back when as kid kids was were just actually
    honestly tbh though tho like""".split())
# how often it was watched: "like three times", "a million times"
_COUNTS = frozenset("""once twice thrice two three four five six seven eight nine ten eleven twelve
    twenty fifty hundred thousand million billion dozen few couple several many bunch""".split())
# who watched it: "my husband's seen it already lol" says nothing of liking it either
_WATCHERS = frozenset("""my our his her husband husbands wife wifes son sons daughter daughters kid
    kids partner partners gf bf girlfriend boyfriend mom mum dad parents brother sister friend
    friends family s ve""".split())
_PAST_LIKING = frozenset("loved liked enjoyed adored".split())
_OBJECTS = frozenset("it that this one them".split())
_DENIALS = frozenset("not never dont didnt no".split())
# the words of a plain yes; "obviously", "of course", "definitely" only stress what is beside them
_PLAIN_YES = frozenset("yes yeah yep yup ya yea yeh ok okay sure aye right correct".split())


def plain_seen_tone(words: Sequence[str]) -> bool:
    """The words' positive tone comes from a plain yes or a laugh beside words about watching
    ("yes i see it already", "yeah seen it lol"): VADER scores "yes" positive, and the reply
    says nothing of liking the film."""
    said = [w for w in words if w != ","]
    return all(w in _LAUGHS or w in _NEUTRAL or w in _PLAIN_YES or w in _SEEING or w.isdigit()
               or w in _COUNTS or w in _WATCHERS for w in said)


_SEEING = frozenset("see sees seeing watch watches watching caught catch viewed".split())


def liked_in_past(words: Sequence[str]) -> bool:
    """A liking of the film told in the past: "loved it", "yes, really enjoyed that one"
    (not "I love it", "would have loved it", "didn't like it")."""
    said = [w for w in words if w != ","]
    for i, word in enumerate(said):
        if word not in _PAST_LIKING or not set(said[i + 1 : i + 3]) & _OBJECTS:
            continue
        before = set(said[max(0, i - 3) : i])
        if not before & (_DENIALS | {"would", "could", "might", "have", "wouldve", "shouldve"}):
            return True
    return False


def emphasised_wish(nlu: Mapping[str, Any]) -> bool:
    """A wish stressed by an adverb ("sigourney weaver obviously", "of course a comedy"),
    read by the NLU as a yes: no plain yes word, and a person or a value named."""
    words = set(nlu.get("words") or ())
    named = any(not p.get("negated") for p in nlu.get("people") or ()) or bool(nlu.get("constraints"))
    return nlu.get("intent") == "yes" and named and not words & _PLAIN_YES


def another_answer(nlu: Mapping[str, Any]) -> str | None:
    """What a reply to "Would you want another recommendation then?" says about the film on
    the table: ``another`` when it dislikes that film ("no i dont like that one"), ``unseen``
    when it says the film was not seen after all ("no they havent seen that one"), ``will_watch``
    when it likes that film now ("that one sounds fun, thanks!"), else None."""
    words = [w for w in nlu.get("words") or () if w != ","]
    if not set(words) & _OBJECTS:
        return None
    if nlu.get("watching") == "no":
        return "unseen"
    if nlu.get("verdict") == "disliked":
        return "another"
    if nlu.get("verdict") == "liked" and not nlu.get("watching") and not nlu.get("asks_other") \
            and not liked_in_past(words) and not nlu.get("question"):
        return "will_watch"  # "that one sounds fun, thanks!": the film on the table taken
    return None
