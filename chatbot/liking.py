"""A film liked but not to be shown again: "I loved it, just don't show me that one", "seen it
twice, loved it", "great film, watched it twice already. something else?".

Liking a film the user has seen keeps its taste (the film joins ``state["like"]``, so the
recommender looks for films like it, and it is never proposed again) and refuses nothing: not
its genre, not its people, not the film as a taste. The NLU marks ``not_again`` (the film is
not to be proposed again), the policy marks the decision ``keep_taste`` (``liked_seen``), the
dialog keeps it (``keep_taste``). Pure; no IO. Example::

    not_again(clause_tokens("I loved it, just don't show me that one"))   # True
    not_again(clause_tokens("loved it"))                                  # False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.seen_answers import liked_in_past, plain_seen_tone
from chatbot.viewings import Seer, liked_by_sentence

_SHOW_VERBS = frozenset("show recommend suggest propose offer give pick".split())
_DENIALS = frozenset("not never no".split())
_WATCH_VERBS = frozenset("seen saw watched watch see".split())
# how often it was watched: "twice", "a million times", "over and over", "already"
_REPEATS = frozenset("twice thrice times already often again repeatedly".split())
_POINTERS = frozenset("it that this one them".split())
_FAVOURITE = frozenset("favourite favourites favorite favorites fave faves classic".split())
_LIKED_SEEN_ACTS = frozenset(("ask_another", "next", "refine"))
# acts that would end the chat on, refuse or ask about a film the user said they like or have
_ENDING_ACTS = frozenset(("accept", "reject", "ask_like", "not_understood", "bye", "ask_another"))
POSITIVE = 0.3  # the tone that makes "great film, watched it twice" a liking without a verdict


def owns(tokens: Sequence[str]) -> bool:
    """The user has the film or knows it well: "I own it on DVD", "got the box set", "it's
    on my shelf", "I know it by heart" (not "I don't own it", "on my own")."""
    words = [t for t in tokens if t != ","]
    text = f" {' '.join(words)} "
    for i, word in enumerate(words):
        if set(words[max(0, i - 3) : i]) & _DENIALS_OWN:
            continue
        after = words[i + 1 : i + 5]
        if word in ("own", "owns") and words[i - 1 : i] not in (["my"], ["your"], ["its"]) and (
                set(after[:2]) & (_POINTERS | {"a", "the"})):
            return True  # "I own it", "we own a copy"
        if word in _HAVE and after[:1] and after[0] in _POINTERS | {"a", "the"} and (
                set(after) & _MEDIA or after[:2] in (["a", "copy"], ["the", "box"])):
            return True  # "I have it on blu-ray", "got the dvd", "bought a copy"
        if word in _HAVE and words[i - 1 : i] == ["already"] and after[:1] and after[0] in _POINTERS:
            return True  # "already have it"
        if word == "know" and (set(after) & {"heart", "line", "lines", "well"}):
            return True  # "I know it by heart", "know every line"
    return any(f" {p} " in text for p in _OWNED_PLACES)


_HAVE = frozenset("have has got bought buy ive own".split())
_MEDIA = frozenset("dvd dvds bluray blu ray vhs 4k tape digital itunes steelbook collection shelf".split())
_OWNED_PLACES = ("on my shelf", "in my collection", "on the shelf", "my dvd collection", "in my library")
_DENIALS_OWN = frozenset("not never no dont didnt doesnt havent".split())


def not_again(tokens: Sequence[str]) -> bool:
    """The words say the film is not to be proposed (again): "don't show me that one", "not
    that one again", "seen it twice", "watched it a million times", "I own it on DVD"."""
    words = [t for t in tokens if t != ","]
    if owns(words):  # no need to propose what the user has
        return True
    for i, word in enumerate(words):
        before = set(words[max(0, i - 3) : i])
        if word in _SHOW_VERBS and before & _DENIALS and (set(words[i + 1 : i + 4]) & _POINTERS):
            return True  # "don't show me that one", "please don't recommend it"
        if word == "again" and (before & _DENIALS or set(words[max(0, i - 4) : i]) & _DENIALS):
            return True  # "not that one again"
        if word in _WATCH_VERBS and set(words[i + 1 : i + 6]) & _REPEATS and not before & _DENIALS:
            return True  # "seen it twice", "watched it like five times already"
    return False


def liked_seen(stage_acts: Mapping[str, Any], nlu: Mapping[str, Any], compound: float) -> dict | None:
    """``decision`` (``stage_acts``: the policy's decision while a film is proposed) turned
    into one that keeps the film's taste, or None: liked, and seen or not to be shown again.
    A no or an acceptance the words say ("I loved it, just don't show me that one") becomes
    the next film, never the end nor a rejection of the film."""
    again = bool(nlu.get("not_again")) and nlu.get("watching") != "future"  # "seen it twice, but we'll take it"
    # A positive tone counts only beside words that keep the film out ("great film, watched it twice"):
    # "yes I saw it" is positive to a sentiment model (its "yes"), and says nothing of liking it.
    # "seen it already lol": a laugh is no liking (``chatbot.seen_answers``)
    toned = compound >= POSITIVE and not plain_seen_tone(nlu.get("words") or ())
    liked = nlu.get("verdict") == "liked" or nlu.get("approval") or (again and toned) or liked_in_past(
        nlu.get("words") or ()) or bool(
        _FAVOURITE & set(nlu.get("words") or ()))  # "one of my favourites, don't show me it"
    act = stage_acts.get("act")
    if not liked and nlu.get("owned") and act in _ENDING_ACTS:  # "I already own that one"
        return dict(stage_acts, act="next", reject=False)
    if not liked or not (again or nlu.get("watching") == "yes" or nlu.get("intent") == "another"):
        return None
    if again and act in _ENDING_ACTS:
        act = "next"
    if act not in _LIKED_SEEN_ACTS:
        return None
    seen_by = {"seen_by": nlu["seen_by"]} if nlu.get("seen_by") else {}  # "my wife loved it"
    return dict(stage_acts, act=act, keep_taste=True, reject=False, **seen_by)


def keep_taste(state: dict[str, Any], decision: Mapping[str, Any], out: list[str]) -> None:
    """The film on the table liked but not to be shown again: kept as a taste, said so."""
    current = state.get("current") or {}
    if not decision.get("keep_taste") or current.get("id") is None:
        return
    if current["id"] not in state["like"]:
        state["like"].append(current["id"])
    state["rejected"] = [i for i in state["rejected"] if i != current["id"]]
    if decision.get("seen_by"):  # "my wife loved that one": hers, said so
        out.append(liked_by_sentence(current.get("title") or "it", Seer(*decision["seen_by"])))
        return
    out.append(f"Glad you liked {current.get('title') or 'it'}: I won't propose it again, "
               "and I'll look for films like it.")
