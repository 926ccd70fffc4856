"""Seen it, and then: watching it again anyway ("seen it 10 times, still want it", "seen it
but i'd happily watch it again", "wouldn't mind a rewatch") takes the film; wanting something
new ("love it but want something new for them", "seen it, great, but one we haven't seen")
moves on to the next film and keeps the liked one as a taste. Read the same way at every
follow-up question. Pure; no IO. Example::

    rewatches("seen it ten times still want it putting it on".split())   # True
    rewatches("i do not want to see it again".split())                    # False
    wants_other("love it but want something new for them".split())       # True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# watching the film on the table, again or anyway
_REWATCH = re.compile(
    r"\b(?:(?:watch|see|watching|seeing|put|putting|rewatch|rewatching) (?:it|that|this)(?: one)? "
    r"(?:again|anyway|anyways|regardless|tonight|now)"
    r"|(?:a|another|will|ill|to|can|could|would|gonna|happily) re ?watch(?:ing)?"
    r"|re ?watch(?:ing)? it|still (?:want|wanna|watching|watch|taking|choosing|going with|up for) it"
    r"|(?:putting|put|throwing|throw) it on|watching it (?:again|anyway|anyways|tonight)"
    r"|(?:never|not) (?:get|gets|got) (?:tired|bored|old) of it|always up for it)\b")
# a denial of the verb close before ("i don't want to watch it again", "not watching it
# again"); "nope. watching it tonight" answers "have you watched it?", then takes it
_DENIED = re.compile(r"\b(?:not|dont|never|wont|cant|wouldnt|couldnt)(?: \w+){0,3} $")
_MIND = re.compile(r"\b(?:wouldnt|dont|would not|do not) mind (?:\w+ ){0,2}$")  # "wouldn't mind a rewatch"
# something the user has not seen, or anything else
_OTHER = re.compile(
    r"\b(?:something|anything|smth|sth|one|film|movie|stuff|a film|a movie|ones) "
    r"(?:new|else|different|fresh|other|we havent seen|i havent seen|they havent seen|"
    r"he hasnt seen|she hasnt seen|we have not seen|i have not seen|they have not seen)\b"
    r"|\b(?:havent|hasnt|have not|has not) seen (?:yet|before)\b")
_WISH_CUES = re.compile(r"\b(?:want|wants|wanted|need|needs|like|prefer|rather|looking for|give me|"
                        r"show me|try|maybe|but|how about|got|any|have you got|please|pls)\b")
_TAKES = frozenset(("accept", "reject", "next", "ask_like", "ask_another", "not_understood", "bye"))
_MOVES_ON = frozenset(("accept", "ask_like", "ask_another", "not_understood", "bye"))


# "give it another shot", "give that one a second chance": the film on the table watched
# again, never a request for another film (its "another" no "another one")
_SECOND_CHANCE = re.compile(
    r"\b(?:(?:im|i'm|i am|were|we're|we are) )?(giv(?:e|ing)|deserves?) (it|that|this|that one|this one|the film|the movie) "
    r"(?:another|a second|one more|a 2nd|a fresh) (?:go|try|shot|chance|look|watch|viewing|whirl|spin)\b",
    re.IGNORECASE)


def second_chance(text: str) -> str:
    """``text`` with a second chance given to the film ("give it another shot") said as taking
    it ("give it a go"), so its "another" asks for no other film."""
    return _SECOND_CHANCE.sub(lambda m: f"{_GIVING.get(m.group(1).lower(), m.group(1))} {m.group(2)} a go", text)


_GIVING = {"giving": "ill give"}  # "im giving it another shot": a plan, as "ill give it a go"


def rewatches(words: Sequence[str]) -> bool | None:
    """True when the words say the film on the table will be watched (again) anyway, False
    when they say it will not ("i don't want to see it again"), None when they say neither."""
    said = f" {' '.join(words)} "
    denied = None
    for match in _REWATCH.finditer(said):
        before = said[: match.start()]
        if not _DENIED.search(before) or _MIND.search(before):
            return True
        denied = False
    return denied


def wants_other(words: Sequence[str]) -> bool:
    """The words ask for a film other than the one on the table ("want something new")."""
    said = f" {' '.join(words)} "
    match = _OTHER.search(said)
    return match is not None and bool(_WISH_CUES.search(said[: match.start()]))


def seen_choice(decision: Mapping[str, Any], nlu: Mapping[str, Any]) -> dict | None:
    """``decision`` (the policy's, while a film is proposed) read again when the words say
    the film will be watched anyway (``accept``) or that another is wanted (``next``, the film
    kept as a taste when liked); None when they say neither or the act is a request."""
    act = decision.get("act")
    words = list(nlu.get("words") or ())
    again = rewatches(words)
    if act in _TAKES and again:
        return dict(decision, act="accept", notes=[], keep_taste=False)
    if act in _MOVES_ON and (again is False or wants_other(words)):  # "not watching it again"
        liked = nlu.get("verdict") == "liked" or bool(nlu.get("approval")) or bool(
            set(words) & _LIKING)
        return dict(decision, act="next", keep_taste=liked, reject=False)
    return None


_LIKING = frozenset("love loved loves liked great amazing awesome favourite favorite fave "
                    "classic brilliant".split())
