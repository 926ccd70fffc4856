"""What a reply to a proposed film says about it: a yes or no to "Have you watched it?" /
"Do you like it?" / "Another one?", read with its tone (``yes_no``), the act that answer
makes at each question (``answer_act``), and whether a goodbye takes the film (``takes_it``).
Pure; part of ``chatbot.policy``. Example::

    answer_act("watched", yes_no({"intent": "no"}, {"compound": 0.0}, "watched"))  # 'ask_like'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.agreeing import agrees, takes_shown, thanks_only
from chatbot.pick_complaints import complains_of_picks
from chatbot.polarity import bare_polarity
from chatbot.reopening import retracted
from chatbot.replies import acknowledges_only, declines_with_thanks
from chatbot.seen_answers import another_answer
from chatbot.shown_replies import bored_by_it, delegates, indifferent, thumbs_down

POSITIVE = 0.3
NEGATIVE = -0.3


def takes_it(nlu: Mapping[str, Any]) -> bool:
    """A goodbye that takes the film on the table ("sounds great, thanks, bye") rather than
    one without it ("nah, bye")."""
    return bool(nlu.get("verdict") == "liked" or nlu.get("approval") or
                nlu.get("watching") == "future") and nlu.get("verdict") != "disliked"


def answer_act(stage: str, answer: str) -> str:
    """What a yes / no / another / unsure answer means at each question after a proposal."""
    table = {
        # "no thanks" to "Have you watched it?" declines this film, never the whole chat
        "watched": {"yes": "ask_another", "no": "ask_like", "another": "next",
                    "unsure": "ask_like", "liked": "accept", "disliked": "reject",
                    "will_watch": "accept", "no_thanks": "reject", "seen": "ask_another",
                    "wait": "wait", "no_opinion": "ask_like"},
        # "n/a", "no idea" to "Do you like it?": no opinion, so another is offered, no dislike
        "like": {"yes": "accept", "no": "reject", "another": "reject", "unsure": "reject", "hesitant": "wait",
                 "liked": "accept", "disliked": "reject", "will_watch": "accept",
                 "no_thanks": "reject", "seen": "ask_another", "wait": "wait",
                 "no_opinion": "ask_another"},
        "another": {"yes": "next", "no": "bye", "another": "next", "unsure": "next", "unseen": "ask_like",
                    "liked": "next", "disliked": "bye", "will_watch": "accept",
                    "no_thanks": "bye", "seen": "next", "wait": "wait", "no_opinion": "next"},
    }
    return table.get(stage, {}).get(answer, "not_understood")


def yes_no(nlu: Mapping[str, Any], sentiment: Mapping[str, float], stage: str = "") -> str:
    """``yes``/``no``/``another``/``unsure``, ``no_thanks`` ("no thank you": the film declined
    at "have you watched it?"), or ``liked``/``disliked`` when the words or the
    tone judge the film ("perfect", "yeah it sucks", "that sounds awful"), else ``unknown``.
    At "have you watched it?" what the words say about watching comes first ("saw it on a
    plane": yes; "only the trailer": unsure). Words that are no answer yet ("let me think";
    "hmm idk" to "do you like it?") are ``wait``; "she's seen it loads" after that question
    is ``seen`` (no yes to liking it); an "ok" that asks for another film ("ok give me a
    comedy one then") is ``another``."""
    intent = nlu.get("intent")
    verdict = nlu.get("verdict") or ("liked" if nlu.get("approval") else None)
    compound = float(sentiment.get("compound", 0.0))
    if intent == "another" or complains_of_picks(nlu.get("words") or ()):
        return "another"  # "you keep giving me stuff ive seen": a better pick, no goodbye
    if stage == "another" and another_answer(nlu):  # "no i dont like that one": no goodbye
        return str(another_answer(nlu))
    if nlu.get("sarcastic") and not nlu.get("question"):  # "brilliant pick. really. not.", "/s"
        return "disliked"
    if nlu.get("watching") == "future":  # "I'll watch it tonight": taken, never "seen it"
        return "will_watch"
    if stage in ("watched", "like") and declines_with_thanks(nlu.get("words") or ()):
        return "no_thanks"  # "no thank you": the film declined, not "no, not seen it"
    if stage == "watched" and nlu.get("social") == "emoji" and intent == "yes" and not verdict:
        return "yes"  # a lone thumbs-up answers the yes/no question asked: seen, not taken
    if stage == "watched" and indifferent(nlu):  # "whatever", "fine whatever": never "seen
        return "unsure"  # it"; every indifferent form alike (not seen: liking it is asked)
    if _agrees_to_film(nlu, stage, verdict):  # "ok sure", "deal", "let's do it": taken, not seen (before the bare yes: a thumbs-up is no seen-it)
        return "will_watch"
    if stage in ("watched", "like") and delegates(nlu):  # "just pick": the bot decides, so
        return "will_watch"  # the film shown is taken
    if stage in ("watched", "like") and (thumbs_down(nlu) or bored_by_it(nlu.get("words") or ())):
        return "disliked"  # "👎", "fell asleep halfway through": that film disliked, another
    if retracted(nlu.get("words") or ()):  # "nope wait": the answer taken back, no goodbye
        return "wait"
    if stage == "like" and hesitates(nlu.get("words") or ()):
        return "hesitant"  # "hmm maybe": neither a yes nor a no; what would tip it is asked
    if stage in ("watched", "like") and refuses_pointing(nlu):
        return "another"  # "not that either", "nope not this one": the film refused, not unseen
    if stage == "like" and lukewarm_but(nlu.get("words") or ()) and not nlu.get("question"):
        return "hesitant"  # "its ok i guess but the rating's a bit much": no yes, what would tip it asked
    bare = bare_polarity(nlu.get("words") or ())
    if bare is not None and stage in ("watched", "like", "another"):
        return bare  # "no way", "yes, no, wait, no": an answer, no verdict and no pause
    if not verdict and _waits(nlu, stage):  # "ok give me a sec": the question stays open
        return "wait"
    if stage == "another" and thanks_only(nlu.get("words") or ()):  # "thanks bud": no new film
        return "no_thanks"
    if not verdict and stage == "like" and no_opinion(nlu.get("words") or ()):
        return "no_opinion"  # "n/a", "pass", "can't say": neither a yes nor a dislike
    if stage == "watched" and not verdict and acknowledges_only(nlu.get("words") or ()):
        return "unsure"  # "ok" after an answer to a question: no yes to having watched it
    if stage == "watched" and nlu.get("watching") == "yes" and verdict == "liked":
        return "yes"  # "seen it, 10/10": liked it once; offer another, do not end on it
    if stage == "watched" and nlu.get("watching") and not verdict:
        return {"yes": "yes", "no": "no"}.get(str(nlu["watching"]), "unsure")
    if verdict:
        return str(verdict)
    if stage in ("like", "another") and nlu.get("watching") == "yes":
        return "seen"  # "she's seen it a million times": no taking it, no "another" unasked
    if intent == "yes" and nlu.get("asks_other"):  # "ok give me a keanu one then"
        return "another"
    if nlu.get("request") and nlu.get("asks_other") and intent not in ("yes", "no"):
        return "another"  # "something better": asks for another film, takes none on its tone
    if intent == "yes" and compound <= NEGATIVE:  # "yes, but it looks terrible"
        return "disliked"
    if intent in ("yes", "no"):
        return str(intent)
    if intent == "no_preference":
        return "unsure"
    if compound >= POSITIVE:
        return "liked"
    if compound <= NEGATIVE:
        return "disliked"
    return "unknown"


def _agrees_to_film(nlu: Mapping[str, Any], stage: str, verdict: str | None) -> bool:
    """An agreement to the film offered that says nothing of having seen it ("ok sure", "deal")
    at "have you watched it?", or the film shown taken by name at "another one?"."""
    words = nlu.get("words") or ()
    if nlu.get("watching") or verdict == "disliked" or nlu.get("question") or nlu.get("constraints"):
        return False
    if acknowledges_only(words):  # "ok fine", "alright": heard, no yes to anything yet
        return False
    return stage == "watched" and agrees(words) or stage in ("watched", "another") and takes_shown(words)


def no_opinion(words: Sequence[str]) -> bool:
    """"n/a", "no idea tbh", "cant say", "dunno really": no opinion of the film, and nothing
    else said (a phrase of ``_NO_OPINION``, the rest fillers)."""
    text = f" {' '.join(words)} "
    found = [p for p in _NO_OPINION if f" {p} " in text]
    rest = text
    for phrase in found:
        rest = rest.replace(f" {phrase} ", " ")
    return bool(found) and all(w in _OPINION_FILLERS for w in rest.split())


_NO_OPINION = ("n a", "na", "no idea", "no clue", "not a clue", "dunno", "idk", "no opinion",
               "not sure", "unsure", "pass", "skip", "cant say", "can not say", "cannot say",
               "hard to say", "cant tell", "can not tell", "do not know", "dont know",
               "no comment", "not applicable")
_OPINION_FILLERS = frozenset("""i im really honestly tbh yet so um hmm hm uh well sorry man
    either way about it that one this not really lol""".split())


def _waits(nlu: Mapping[str, Any], stage: str) -> bool:
    """Time asked for ("let me think", "hold on") at any follow-up; not knowing yet ("hmm
    idk") where the question is whether the film appeals, not whether it was watched."""
    pondering = nlu.get("pondering")
    return pondering == "pause" or pondering == "unsure" and stage in ("like", "another")


_HESITATING = frozenset("maybe perhaps possibly probably potentially mayb maybee".split())
_HESITANT_FILLERS = frozenset("""hmm hm hmmm umm um uh er eh meh well i guess so idk dunno not sure
    kinda sorta could be might it yeah yea ok""".split())


def hesitates(words: Sequence[str]) -> bool:
    """"hmm maybe", "i guess maybe", "possibly?": half a yes and nothing else said."""
    said = [w for w in words if w.isalnum()]
    return bool(_HESITATING & set(said)) and all(w in _HESITATING or w in _HESITANT_FILLERS for w in said)


_POINTERS = frozenset("that this it one".split())


def refuses_pointing(nlu: Mapping[str, Any]) -> bool:
    """"not that either", "nope, not this one": a denial pointing at the film shown, no verb of
    watching: the film refused (another), never "no, not seen it"."""
    said = [w for w in nlu.get("words") or () if w.isalnum()]
    if nlu.get("watching") or nlu.get("question") or len(said) > 6:
        return False
    at = next((i for i, w in enumerate(said) if w == "not"), None)
    return at is not None and bool(said[at + 1 : at + 2]) and said[at + 1] in _POINTERS and (
        "either" in said or at + 2 >= len(said) or said[at + 2] in ("one", "either", "please", "pls"))


_LUKEWARM = frozenset("ok okay k fine alright alrite aight meh decent guess suppose spose".split())
_CONTRASTS = frozenset("but tho though although except only".split())
_TAIL_FILLERS = frozenset("i guess suppose lol tbh honestly really ok okay thanks thx ty".split())


def lukewarm_but(words: Sequence[str]) -> bool:
    """"meh its ok, but kinda long", "fine i suppose but the rating's a bit much": a lukewarm
    word, then a contrast with a complaint after it; half a yes is no taking the film."""
    said = [w for w in words if w.isalnum()]
    warm = next((i for i, w in enumerate(said) if w in _LUKEWARM), None)
    if warm is None:
        return False
    cut = next((i for i, w in enumerate(said) if i > warm and w in _CONTRASTS), None)
    if cut is None:
        return False
    return any(w not in _TAIL_FILLERS for w in said[cut + 1 :])
