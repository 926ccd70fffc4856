"""Answers to "Have you watched this movie before?": past, future and doubt told apart.

"saw it as a kid" has watched it; "never seen it" has not; "I'll watch it tonight", "gonna
watch that" will watch it (an acceptance, never "seen it"); "not sure whether he has seen
it", "can't remember if I saw it" do not know. What decides is the verb's tense and mood:
a modal or "going to" / "want to" before "watch" is the future; a clause of doubt ("not
sure", "no idea", "whether", "if") before the verb is doubt; a denial ("not", "never",
"haven't") before it is no. Pure; no IO. Example::

    watching(clause_tokens("nah havent, ill watch it tonight tho"))   # 'future'
    watching(clause_tokens("no idea if my dad has seen it"))          # 'unsure'
    watching(clause_tokens("saw it on a plane lol"))                  # 'yes'
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.seen_answers import liked_in_past

_VERBS = frozenset("saw seen watched caught watch watching see check try give put putting".split())
_GIVE_IT = frozenset("go try shot whirl chance look".split())  # "I'll give it a go"
# "no we havent", "I have not": the answer without its verb
_BARE_NO = (("havent",), ("hasnt",), ("have", "not"), ("has", "not"), ("not", "yet"))
_CHECK_OUT = frozenset((("it", "out"), ("that", "out"), ("this", "out"), ("them", "out")))
_PAST = frozenset("saw seen watched caught".split())  # "caught it on tv"
_DENIERS = frozenset("not never no isnt wasnt havent hasnt didnt nope nah".split())
# a no said as the answer ("no i've seen that", "nope seen it", "nah watched it already")
# refuses the film, not the verb after it: the verb says whether it was watched
_ANSWER_NOS = frozenset("no nope nah".split())
# before "watch" / "see": what makes it the future or an intention ("I'll", "gonna", "want to");
# folded, "we'll" is "well" and "she'll" "shell"
_FUTURE = frozenset("will ll ill well shell hell youll theyll gonna going wanna want shall "
                    "gotta plan planning lets let would id might may to".split())
# what makes it unknown ("not sure whether", "no idea if", "can't remember if")
_DOUBT = (("not", "sure"), ("no", "idea"), ("dont", "know"), ("do", "not", "know"),
          ("dunno",), ("idk",), ("unsure",), ("cant", "remember"), ("can", "not", "remember"),
          ("dont", "remember"), ("do", "not", "remember"), ("whether",), ("if",),
          ("not", "certain"), ("might", "have"), ("cannot", "remember"),
          ("cant", "recall"), ("dont", "recall"), ("not", "sure", "if"))
_PARTLY = ("the trailer", "a trailer", "trailer", "clips", "a clip", "bits of it",
           "part of it", "half of it", "the beginning", "the start", "some of it")
_OBJECTS = frozenset("it that this one them".split())
_PUT_ON = frozenset((("it", "on"), ("that", "on"), ("this", "on")))
# watched, said without a verb of watching: knowing the film, having done it already
# ("know that one", "been there done that", "already did", "old news"); a denial before them
# ("don't know that one") is a no
_SEEN_IDIOMS = (("know", "that"), ("know", "this"), ("know", "it"), ("knew", "that"),
                ("knew", "it"), ("been", "there"), ("done", "that"), ("done", "it"),
                ("done", "this"), ("already", "did"), ("did", "already"), ("already", "done"),
                ("did", "that", "already"), ("did", "it", "already"), ("did", "that", "one"),
                ("already", "have"), ("have", "already"), ("old", "news"), ("been", "done"),
                ("already", "know"), ("familiar", "with"))
_PAST_AUX = frozenset("was were been had kid child".split())  # "I was watching it as a kid"


def watching(tokens: Sequence[str]) -> str | None:
    """What the words say about watching the film: ``"yes"`` ("saw it as a kid"), ``"no"``
    ("never seen it"), ``"partly"`` ("only the trailer"), ``"future"`` ("I'll watch it
    tonight"), ``"unsure"`` ("not sure if I've seen it") or None."""
    words = [t for t in tokens if t != ","]
    text = f" {' '.join(words)} "
    if any(f" {p} " in text for p in _PARTLY) and not any(w in _PAST for w in words[-2:]):
        return "partly"
    found = [_reading(words, i) for i, w in enumerate(words) if _is_watch_verb(words, i)]
    if "future" in found:  # "haven't, but I'll watch it tonight": the plan is the answer
        return "future"
    if not found and any(_phrase_in(words, p) for p in _BARE_NO):
        return "no"
    if not found and (liked_in_past(words) or _times_told(words)):  # "yeah loved it", "like 10 times"
        return "yes"
    if not found and any(_phrase_in(words, p) for p in _SEEN_IDIOMS):  # "know that one", "been there"
        return "no" if set(words) & _DENIERS - _ANSWER_NOS else "yes"
    return found[0] if found else None


def _times_told(words: Sequence[str]) -> bool:
    """How often it was watched, the verb left unsaid ("like 10 times", "twice lol", "a few
    times already"): watched, unless denied ("not even once")."""
    counted = any(w in ("twice", "thrice") or w == "times" and i and (
        words[i - 1].isdigit() or words[i - 1] in _COUNT_WORDS) for i, w in enumerate(words))
    return counted and not set(words) & _DENIERS


_COUNT_WORDS = frozenset("""two three four five six seven eight nine ten eleven twelve twenty
    fifty hundred thousand million billion dozen few couple several many bunch multiple
    countless""".split())


def _is_watch_verb(words: Sequence[str], i: int) -> bool:
    word = words[i]
    if word not in _VERBS:
        return False
    if word in ("watch", "see", "try"):  # "watch it", "see that one": the film as its object
        if word == "watch" and _plan_without_object(words, i):
            return True  # "ok yes ill watch", "gonna watch tonight": the object left unsaid
        return i + 1 < len(words) and words[i + 1] in _OBJECTS
    if word == "give":  # "give it a go"
        return i + 1 < len(words) and words[i + 1] in _OBJECTS and bool(_GIVE_IT & set(words[i + 2 : i + 4]))
    if word in ("put", "putting"):  # "we'll put it on now"
        return tuple(words[i + 1 : i + 3]) in _PUT_ON
    if word == "watching":  # "watching it tonight", not "watching it made me cry"
        return i + 1 < len(words) and words[i + 1] in _OBJECTS
    if word == "check":  # "check it out"
        return tuple(words[i + 1 : i + 3]) in _CHECK_OUT
    return True


def _plan_without_object(words: Sequence[str], i: int) -> bool:
    after = words[i + 1 : i + 2]
    return bool(set(words[max(0, i - 3) : i]) & _FUTURE) and (not after or after[0] in _WHEN)


_WHEN = frozenset("tonight now later tomorrow today then soon first too tho though".split())


def _reading(words: Sequence[str], i: int) -> str:
    before = words[max(0, i - 4) : i]
    clause = words[:i]
    if any(_phrase_in(clause, p) for p in _DOUBT):
        return "unsure"
    if words[i] in ("try", "give"):  # "I'll try it", "gonna give it a go": an acceptance
        return "future"
    if words[i] in ("watch", "see", "check") and set(before[-3:]) & _FUTURE:
        return "future"
    if words[i] in ("watching", "putting", "put") and words[i - 1 : i] != ["not"] and not set(before) & _PAST_AUX:
        return "future"  # "watching it tonite", "putting it on now": a plan, not a memory
    if set(words[max(0, i - 3) : i]) & _DENIERS - _ANSWER_NOS:
        return "no"
    if words[i] == "check":  # "check it out": a plan, not a memory
        return "future"
    return "yes"


def _phrase_in(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(words[j : j + len(phrase)]) == phrase for j in range(len(words)))
