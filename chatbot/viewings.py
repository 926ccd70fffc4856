"""A past viewing told of the film shown, and who it was that watched or liked a film.

- Where and when a film was watched ("i watched it in college", "saw it at the cinema when
  it came out", "watched that on netflix last year") is a memory, never a wish, a question
  or a film: ``without_circumstances`` leaves "i watched it", so "college" asks for no topic,
  "netflix" for no streaming service, "last year" for no year and "back in the day" names
  no film.
- Someone else who saw or liked a film ("my son has seen Big", "my wife loved that one",
  "he's seen it") is who the reply names (``seer``, ``seen_by_sentence``): never "You've seen
  Big" for a son.

Pure; no IO. Example::

    without_circumstances("i watched it in college lol")   # 'i watched it lol'
    seer("my son has seen big")                              # Seer(name='your son', plural=False)
    seer("we have seen it")                                  # None (the user is among them)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

_POINTED = r"(?:it|that|this|that one|this one|(?:that|this|the) (?:film|movie|flick))"
_WATCHED = r"(?:watched|saw|seen|viewed|caught)"
# where, when and with whom: a phrase that opens with one of these words after "watched it"
_OPENERS = (r"(?:in|at|on|with|back|during|when|while|as|over|years|ages|a\s+while|a\s+long\s+time|"
            r"last|like|once|way|long|around|about|years|forever|the\s+other|for|after|before|"
            r"\d{4}|ages)")
# a new clause starts at these: "saw it in college but want something newer" keeps the wish
_CLAUSE_WORDS = frozenset("""but and so though tho although can could would will any anything
    something another else got give show what how is does do did maybe pls please lol haha
    lmao hehe or not no yes yeah yep loved liked love enjoyed hated want wanted need
    rather prefer other different new newer older again instead recommend suggest
    thanks thank ty thx""".split())
_REMEMBERED = re.compile(rf"\b(?:remember|recall|remembered)\s+(?:watching|seeing)\s+(?={_POINTED}\b)",
                         re.IGNORECASE)
_CIRCUMSTANCE = re.compile(rf"\b(?P<seen>{_WATCHED}\s+{_POINTED}(?:\s+(?:before|already|once|twice))?)"
                           rf"(?P<when>\s+{_OPENERS}\b[^,.;!?]*)", re.IGNORECASE)

_PEOPLE = ("""wife husband partner girlfriend boyfriend gf bf fiance fiancee son daughter kid kids
    child children mom mum dad mother father brother sister friend friends roommate flatmate
    spouse hubby wifey boy boys girl girls grandma grandpa nan gran family parents folks
    teen teens teenager teenagers missus bestie cousin cousins niece nephew nephews nieces
    aunt uncle sons daughters brothers sisters""")
_PLURALS = frozenset("""kids children friends boys girls family parents folks teens teenagers
    cousins nephews nieces sons daughters brothers sisters""".split())
_SEER = re.compile(
    r"(?:^|[,.;!?]\s*|\b(?:but|and|oh|well|ah|yeah|no|nah|so|actually|lol|ok|okay|hmm)\s+)"
    r"(?:(?:both|all|even|also)\s+)?"  # "both my kids loved it"
    rf"(?P<who>(?:my|our|the)\s+(?:\w+\s+)?(?:{'|'.join(_PEOPLE.split())})(?:\s+and\s+i)?|he|she|they)"
    r"(?P<verb>\s*(?:'s|’s|'ve|’ve|\s+s|\s+ve|\s+has|\s+have|\s+had|\s+already|\s+both|\s+all|"
    r"\s+just|\s+def|\s+definitely|\s+prob|\s+probably|\s+totally|\s+really|\s+also)*"
    r"\s+(?:seen|saw|watched|loved|liked|enjoyed|adored|hated|disliked))\b",
    re.IGNORECASE)


# the film just named as seen, liked or wanted more of in the same message ("seen heat twice,
# loved it", "i've seen alien like 5 times, something similar?")
_LIKED_BACK = re.compile(
    r"(?<!\bnot )(?<!n't )(?<!nt )(?<!never )\b(?:loved|liked|enjoyed|adored|love|loves|adore|enjoy)\s+(?:it|that|this|them|both|that one|this one)\b"
    r"|\b(?:something|anything|more|others?|ones?|films?|movies?|stuff)\s+(?:(?:kinda|sort\s+of|kind\s+of|a\s+bit|just)\s+)?"
    r"(?:like|similar\s+to)\s+(?:it|that|this|them|those)\b|\bsimilar\b|\bmore\s+of\s+(?:that|those|the\s+same)\b"
    r"|\b(?:one\s+of\s+)?(?:my|our)\s+(?:all\s+time\s+)?(?:fav|favs|fave|faves|favou?rites?)\b"
    r"|\b(?:it|that)\s*(?:was|is|s)\s+(?:so\s+|really\s+|sooo*\s+)?(?:great|amazing|awesome|brilliant|fantastic|so\s+good|good)\b",
    re.IGNORECASE)


def liked_back(rest: str) -> bool:
    """The rest of a message naming films seen likes them or asks for more like them."""
    return bool(_LIKED_BACK.search(rest))


class Seer(NamedTuple):
    """Who saw or liked a film, as the reply names them ("your son", "she"), and whether
    they are several ("your kids have seen")."""

    name: str
    plural: bool


def without_circumstances(text: str) -> str:
    """``text`` without where, when or with whom a film shown was watched ("saw it at the
    cinema when it came out" -> "saw it"); a new clause after it stays."""
    text = _REMEMBERED.sub("watched ", text)  # "i remember watching it": seen, not watching now
    return _CIRCUMSTANCE.sub(lambda m: m["seen"] + _clause_rest(m["when"]), text)


def _clause_rest(when: str) -> str:
    """The part of ``when`` from the first word that opens a new clause ("... and want X")."""
    words = when.split()
    for i, word in enumerate(words[1:], start=1):
        if word.lower().strip("'’") in _CLAUSE_WORDS:
            return " " + " ".join(words[i:])
    return ""


def seer(text: str) -> Seer | None:
    """Someone other than the user who saw or liked a film in ``text``, or None (the user,
    or the user among them: "my son and i have seen it")."""
    match = _SEER.search(text)
    if match is None or re.search(r"\band\s+i$", match["who"], re.IGNORECASE):
        return None
    who = match["who"].lower().split()
    if who[0] in ("my", "our", "the"):  # "my son": "your son"; "the kids": "the kids"
        return Seer(" ".join(["the" if who[0] == "the" else "your", *who[1:]]), who[-1] in _PLURALS)
    return Seer(who[0], who[0] == "they")


def seen_by_sentence(titles: str, them: str, who: Seer) -> str:
    """"Your son has seen Big, so I'll leave it out."."""
    have = "have" if who.plural else "has"
    return f"{who.name[:1].upper()}{who.name[1:]} {have} seen {titles}, so I'll leave {them} out."


def liked_by_sentence(title: str, who: Seer) -> str:
    """"Glad your wife liked The Shining: ...", as ``liking.keep_taste`` says it of the user."""
    return f"Glad {who.name} liked {title}: I won't propose it again, and I'll look for films like it."


# the user's own viewing denied beside another's: "... but i haven't", "i didn't tho",
# "not me", "i never have", "i've never seen it" (contractions spelt out or not)
_SELF_DENIED = re.compile(
    r"\b(?:(?:i|me)\s+(?:(?:still|personally|myself|have|did|do|had|ve|'ve)\s+)*"
    r"(?:not|never|haven'?t|havent|didn'?t|didnt|don'?t|dont|hadn'?t|hadnt)\b|not\s+me\b|"
    r"i'?ve\s+never|ive\s+never)", re.IGNORECASE)


def not_seen_by_user(text: str) -> bool:
    """Someone else saw the film and the user says they did not ("my kids have seen it but
    i haven't"): the film is new to the user, never "seen" as theirs."""
    return seer(text) is not None and _SELF_DENIED.search(text) is not None


_SEEN_VERBS = frozenset("seen saw watched".split())
_ALL_OF = frozenset("every all everything each".split())
_ALL_REACH = 3  # "seen every", "seen all of the", "watched just about every"
_NAME_REACH = 4  # "every single jim carrey", "everything with tom hanks"


def seen_all_of(people: Sequence[Mapping[str, Any]], tokens: Sequence[str],
                text: str) -> list[dict[str, Any]]:
    """``people`` with those someone else has seen every film of ("my mom has seen every jim
    carrey movie") refused: their films are seen in that house, never a wish for them."""
    if seer(text) is None:
        return [dict(p) for p in people]
    alls = [j for i, t in enumerate(tokens) if t in _SEEN_VERBS
            for j in range(i + 1, min(len(tokens), i + 1 + _ALL_REACH)) if tokens[j] in _ALL_OF]
    return [dict(p, negated=True) if any(0 < p.get("at", -1) - j <= _NAME_REACH for j in alls)
            else dict(p) for p in people]
