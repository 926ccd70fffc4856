"""Words about the conversation itself rather than about a film: leaving it ("im off. ciao",
"no more, ill just go to sleep") and asking for time ("let me think", "give me a sec").
Pure; no IO. Folded tokens as ``chatbot.cues.clause_tokens`` gives them (``","`` at clause
ends).

Leaving is read by what it does, whatever else the message holds: "nah none of that, im off"
says goodbye, not "another one", and "no more, im done, going to bed" is no request for more.
Asking for time is no answer at all: the question is asked again, never taken as a no (the
next film) or a yes (the film accepted). Example::

    leaves("nah none of that , im off , ciao".split())     # True
    leaves("im off work tomorrow".split())                 # False
    ponders("ok give me a sec".split())                    # 'pause'
    ponders("hmm idk".split())                             # 'unsure'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# a goodbye word the lexicon's "bye" phrases lack ("ciao", "adios"), or "later" said last
_FAREWELL = re.compile(r"\b(?:ciao|adios|adieu|cheerio|toodles|tata|ta ta|night all|nite|"
                       r"gtg|g2g|gtgo|g2go|got2go|gotta go|ttys|bbl|afk|peace out|catch ya|"
                       r"catch you|see ya|see you|cya|laterz|im outie|gotta jet|gotta dash)\b"
                       r"|(?:^|, )(?:later|laters|l8r)(?: ,)?$")
# "im off", "i am out of here", "im done": the user leaving; not "off work", "done with horror"
_I_AM = r"\b(?:im|i am|i m|we are|were)\s+"
_LEAVING_STATE = re.compile(
    _I_AM + r"(?:off|out|outta here|out of here|leaving|going|done|finished|heading off|gone)"
    r"(?:\s+now)?(?!\s+(?:with|of|on|work|to see|to watch|for|watching|looking|in|to the|to a)\b)"
    r"(?=\s|$)")
# "gotta run", "ill just go to sleep", "time to head off"; not "gonna go with X", "go watch"
_MUST_GO = re.compile(
    r"\b(?:gotta|got to|have to|need to|must|should|gonna|going to|will|ill|better|time to|"
    r"i will just|ill just|im just gonna|im gonna|i am going to|let me)\s+"
    r"(?:go|run|leave|bounce|split|head off|head out|log off|sign off|crash|sleep|dip)\b"
    r"(?!\s+(?:with|for|see|watch|and|through|back|over|by|on|to the|to a|get|grab|pick)\b)")
# "going to bed", "off to sleep", "hit the hay"
_BED = re.compile(r"\b(?:go|goin|going|head|heading|off|hit|hitting|get|getting|time for|"
                  r"turn in|turning in)\s+(?:to\s+)?(?:bed|sleep|the hay|the sack)\b"
                  r"|\b(?:bedtime|bed time|sleepy time)\b")
# "no more", "enough" as a whole clause: no more films ("no more horror" is a wish)
_NO_MORE = re.compile(r"(?:^|, )(?:no more|nothing more|enough|no more films|no more movies|"
                      r"enough films|enough movies|i give up|forget it all)"
                      r"(?: (?:please|pls|thanks|thx|for me|for tonight|tonight|today|now|lol))*"
                      r"(?: ,|$)")

# dropping what is on the table as a whole message: "forget it", "nvm", "never mind then"
_DROP = re.compile(r"^(?:(?:oh|ah|ugh|meh|ok|okay|well|actually|just|nah|no|whatever|hmm|you know "
                   r"what|lol|ya know what|eh) (?:, )?)*(?:forget it|forget about it|never mind|nevermind|"
                   r"nvm|nm|drop it|not interested|scrap it|skip it|pass on it)"
                   r"(?: (?:,|then|lol|please|pls|thanks|thx|haha|mate|man|dude|bro|"
                   r"actually|ok|okay))*(?: ,)?$")

# asking for time: the question stays open
_PAUSE = re.compile(
    r"\b(?:let me|lemme|let us|lets|i need to|need to|i have to|gotta|i will|ill)\s+"
    r"(?:think|see|check|ponder|consider|mull|sleep on|decide|look)\b"
    r"|\b(?:give me|gimme|give us|wait|one|need|hold on|hang on)\s+(?:a\s+)?"
    r"(?:sec|secs|second|seconds|minute|minutes|min|mins|moment|mo|tick)\b"
    r"|\b(?:hold on|hang on|hold up|wait up|one sec|one second|one moment)\b"
    r"|\b(?:thinking about it|still thinking|im thinking|i am thinking|thinking it over|"
    r"cant decide|can not decide|not sure yet|undecided|on the fence|torn)\b")
# not knowing yet whether the film appeals: at "Do you like it?" a wait, not a no
_UNSURE = re.compile(r"\b(?:idk|dunno|unsure|not sure|no idea|i do not know|do not know|"
                     r"dont know|not certain|hmm+|hm+|uhh+|umm+)\b")
# words beside the uncertainty that still say nothing of the film
_HEDGES = frozenset("""actually hmm hm umm um uh uhh well ok okay so i honestly tbh yet really
    just still right now lol haha oh ah eh man dude im i am""".split())


def leaves(tokens: Sequence[str]) -> bool:
    """The words leave the conversation: a goodbye in other words ("im off", "ciao", "gotta
    run", "ill just go to sleep", "no more, im done")."""
    text = " ".join(tokens)
    return any(p.search(text) for p in (_FAREWELL, _LEAVING_STATE, _MUST_GO, _BED, _NO_MORE))


def drops_it(tokens: Sequence[str]) -> bool:
    """The whole message drops the matter ("forget it", "nvm", "oh never mind then"): with a
    film on the table that film, else the search (a goodbye)."""
    return bool(_DROP.search(" ".join(tokens)))


def ponders(tokens: Sequence[str]) -> str | None:
    """``"pause"`` when the words ask for time ("let me think", "hold on"), ``"unsure"`` when
    they only say the user does not know yet ("hmm idk", "not sure"), else None."""
    words = [t for t in tokens if t != ","]
    text = " ".join(words)
    if _PAUSE.search(text):
        return "pause"
    rest = _UNSURE.sub(" ", text).split()
    if _UNSURE.search(text) and all(w in _HEDGES for w in rest):
        return "unsure"
    return None
