"""Everyday corrections, complaints about repeated picks and "more like this", said back in
the one form the understanding reads surely. Pure; no IO. Used by ``chatbot.dialog`` before a
message is understood, with the conversation's wishes at hand.

- *A wish replaced* in any of its shapes ("actually no harrison ford, keanu reeves pls",
  "forget spielberg, i want tarantino", "scrap X, Y", "not X but Y", "swap X for Y",
  "instead of X, Y", "Y instead of X"), where X is a wish already taken, is said as
  "forget <X in full>, Y instead": X gives way to Y at any point of the dialog, and the
  questions still open are asked as after any correction. X must be wished, so "no thanks,
  bye" or "no idea, you pick" is never a correction.
- *A complaint about the picks* ("why is it always star wars smh", "why do you keep showing
  me X", "seriously another X movie?", "enough with the X films"), with a film on the table,
  is "you keep showing me these" (sorry, and another film), with "no more X" when X is no
  wish of the user's (their wishes are kept), "too old" / "too long" when X is old or long
  films ("stop giving me old movies": newer ones, never old ones wished).
- *"more like this"* ("same vibe", "similar stuff") with no film on the table is "something
  like" the last film the user named as liked.

Example::

    wishes = [{"slot": "director", "values": ["Steven Spielberg"], "exclude": False}]
    replaced("actually forget spielberg, i want tarantino", wishes)
    # 'forget steven spielberg, tarantino instead'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chatbot.text import fold, strip_accents

_LEAD = (r"^(?:(?:actually|nah|no|nope|hmm+|wait|oh|ok|okay|um+|uh+|ugh+|so|well|sorry|oops|hm+|"
         r"seriously|really|omg|bruh|dude|wow|lol|come on|jeez|man|smh)[\s,.!]+)*")
_TAIL = r"(?:[\s,.!]+(?:instead|then|pls|please|plz|thanks|thx|now|rather|thank you|ok))*[\s.!?]*$"
_WANT = (r"(?:(?:i|we)\s+(?:want|wanna|would like|prefer|would rather have|need|would prefer)|"
         r"(?:id|wed)\s+(?:like|rather have|prefer|rather)|(?:ill|well)\s+take|give me|gimme|make it|"
         r"go with|how about|what about|lets do|lets go with|rather)\s+")  # apostrophes dropped
_GIVE_UP = r"(?:no|not|forget(?:\s+about)?|scrap|scratch|drop|ditch|nix|lose|remove|never\s*mind|nvm)"
_SEPARATOR = r"\s*(?:[,;.:]|\s+and|\s+but|\s+i mean)\s*"
_SWAP = r"(?:swap|switch|change|replace|trade|exchange|sub)"
_NO_VALUE = frozenset("""it that this them one ones thanks thank bye idea preference way more
    either neither all anything whatever""".split())
_MAX_WORDS = 5


def replaced(text: str, wishes: Iterable[Mapping[str, Any]]) -> str | None:
    """``text`` as "forget <X>, <Y> instead" when it replaces a wish X by Y, else None."""
    said = {form: full for full, form in _wish_forms(wishes)}
    if not said:
        return None
    wished = "|".join(re.escape(f) for f in sorted(said, key=len, reverse=True))
    x, y = rf"(?P<x>{wished})", r"(?P<y>[\w ]+?)"
    forms = (rf"{_LEAD}{_GIVE_UP}\s+{x}{_SEPARATOR}(?:{_WANT})?{y}{_TAIL}",
             rf"{_LEAD}{_GIVE_UP}\s+{x}\s+{_WANT}{y}{_TAIL}",
             rf"{_LEAD}{_SWAP}\s+(?:out\s+)?{x}\s+(?:for|to|with|into|out for)\s+{y}{_TAIL}",
             rf"{_LEAD}(?:ditch|drop|scrap|dump|lose)\s+{x}\s+for\s+{y}{_TAIL}",
             rf"{_LEAD}instead of\s+{x}\s*,?\s*(?:{_WANT})?{y}{_TAIL}",
             rf"{_LEAD}(?:(?:i|we|id|wed)\s+)?(?:would\s+)?(?:rather|prefer)\s+(?:have\s+)?{y}\s+(?:than|over|to)\s+{x}{_TAIL}",
             rf"{_LEAD}(?:{_WANT})?{y}\s*,?\s+(?:not|and not|rather than|over)\s+{x}{_TAIL}",
             rf"{_LEAD}(?:{_WANT})?{y}\s+instead of\s+{x}{_TAIL}")
    folded = _plain(text)
    for form in forms:
        match = re.match(form, folded)
        if match and _a_value(match["y"]) and fold(match["y"]) not in said:
            return f"forget {said[match['x']]}, {match['y'].strip()} instead"
    return None


def _plain(text: str) -> str:
    """Lower-case words as ``fold`` has them, with the marks that part clauses kept ("no
    harrison ford, keanu reeves": the comma says where the new wish starts)."""
    text = re.sub(r"['’‘`´ʼ]", "", strip_accents(text).casefold())
    text = re.sub(r"\b(\w)\.", r"\1", text)  # "p.t. anderson" as fold has it
    text = re.sub(r"\s+[-–—]+\s+|[–—]", ", ", text)  # "no ford - keanu": a clause parted
    text = re.sub(r"[^0-9a-z,;:.!?]+", " ", text)
    return " ".join(re.sub(r"\s*([,;:.!?])", r"\1 ", text).split())


def _wish_forms(wishes: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(the value in full, a way to say it) for each wish the user asked for: a person's
    full name and surname ("harrison ford", "ford"), a genre or rating as named."""
    forms: list[tuple[str, str]] = []
    for wish in wishes:
        if wish.get("exclude") or wish.get("slot") not in ("actor", "director", "genre", "mpaa"):
            continue
        for value in wish.get("values") or ():
            full = fold(str(value))
            forms.append((full, full))
            if wish["slot"] in ("actor", "director") and " " in full:
                forms.append((full, full.split()[-1]))
    return forms


def _a_value(said: str) -> bool:
    words = said.split()
    return 0 < len(words) <= _MAX_WORDS and not set(words) <= _NO_VALUE


_KIND = r"(?:\s+(?:movies?|films?|flicks?|stuff|ones?|things?|crap|garbage|again|stuff again))?"
_END = r"(?:[\s,.!?]+(?:smh|lol|ugh|pls|please|man|bro|dude|again|already|seriously|ffs|jeez|"\
       r"come on|lmao|omg))*[\s.!?]*$"
_ARTICLE = r"(?:(?:a|an|the|some|another|more|these|those|all\s+the|all\s+these)\s+)?"
_OFFER = r"(?:show|showing|give|giving|suggest|suggesting|recommend|recommending|pick|picking|" \
         r"offer|offering|throw|throwing|push|pushing|serve|serving)"
_THING = rf"(?P<x>[\w ]+?){_KIND}"
# "ugh star wars again?": a word of complaint first, so "harrison ford again pls" stays a wish
_MOAN = r"(?:ugh+|seriously|really|omg|bruh|come on|smh|wow|jeez|oh no|not|argh+|meh|ffs)"
_SEEN = frozenset("seen watched saw ive weve".split())  # "stop giving me stuff ive seen": chatbot.pick_complaints
_COMPLAINTS = (
    rf"{_LEAD}why\s+(?:is\s+it|is\s+this|are\s+these|are\s+they|'?s\s+it|is\s+everything|do\s+i\s+get)?\s*"
    rf"(?:always|only|all)\s+(?:{_OFFER}\s+(?:me\s+|us\s+)?)?{_ARTICLE}{_THING}{_END}",
    rf"{_LEAD}why\s+(?:do|does|did)\s+(?:you|it|u)\s+(?:keep|always|only)\s+(?:on\s+)?{_OFFER}\s+"
    rf"(?:me\s+|us\s+)?{_ARTICLE}{_THING}{_END}",
    rf"{_LEAD}(?:seriously|really|ugh|omg|wow|not|yet|come on|bruh|oh no|smh)[\s,.!]+(?:yet\s+)?another\s+"
    rf"{_THING}{_END}",
    rf"{_LEAD}(?:enough|no more|stop)\s+(?:with|of)\s+{_ARTICLE}{_THING}{_END}",
    rf"{_LEAD}why\s+(?:do|does|did)\s+(?:i|we)\s+(?:keep|always|only)\s+(?:getting|seeing|being\s+shown)\s+"
    rf"{_ARTICLE}{_THING}{_END}",
    rf"{_LEAD}why\s+(?:is|s)\s+(?:everything|every\s+(?:film|movie|pick)|it\s+all)\s+{_ARTICLE}{_THING}{_END}",
    rf"{_LEAD}(?:(?:you|u)\s+(?:keep|always|only)\s+(?:on\s+)?|(?:please\s+|pls\s+)?stop\s+){_OFFER}\s+"
    rf"(?:me\s+|us\s+)?{_ARTICLE}{_THING}{_END}",
    rf"^(?:{_MOAN}[\s,.!?]+)+(?:not\s+)?{_ARTICLE}{_THING}\s+again{_END}",
)
_TOO = {"old": frozenset("old older dated".split()), "long": frozenset("long longer".split())}
_NO_THING = frozenset("""same this that these those it one ones them thing things stuff
    movie movies film films kind sort type""".split())
# "stop giving me old movies", "why is it always so long": a complaint of a kind of film, read
# by the understanding's own complaints (age, length, mood), never a title refused
_DESCRIBING = frozenset("""old older new newer long longer short boring sad dark depressing
    violent scary gory slow black white foreign subtitled cheesy so too very""".split())


def complained(text: str, wishes: Iterable[Mapping[str, Any]]) -> str | None:
    """``text`` as "you keep showing me these[, no more X]" when it complains that the picks
    repeat X, else None. X is refused only when it is no wish of the user's."""
    folded = _plain(text)
    for form in _COMPLAINTS:
        match = re.match(form, folded)
        if match is None:
            continue
        said = set(match["x"].split())
        if _SEEN & said:
            return None
        if _DESCRIBING & said:  # "stop giving me old movies": too old, never a wish for old ones
            too = [k for k, words in _TOO.items() if words & said]
            return f"you keep showing me these, too {too[0]}" if too else None
        thing = " ".join(w for w in match["x"].split() if w not in _NO_THING)
        wished = {w for full, form in _wish_forms(wishes) for w in (full, form)}
        if not thing or thing in wished or len(thing.split()) > _MAX_WORDS:
            return "you keep showing me these"
        return f"you keep showing me these, no more {thing}"
    return None


_SAME = (r"(?:(?:give\s+me|i\s+want|show\s+me|find\s+me|got|any|anything|something|smth|sth|some|"
         r"more|want|need)\s+)*(?:more\s+)?(?:like\s+(?:this|that|it|this one|that one)|"
         r"(?:the\s+)?same\s+(?:vibes?|kind|sort|type|feel|style|energy|stuff)"
         r"(?:\s+of\s+(?:stuff|thing|things|films?|movies?|vibes?))?|"
         r"similar(?:\s+(?:stuff|ones|films|movies|things|vibes?|vibe))?|of\s+(?:the\s+)?same|"
         r"along\s+(?:those|these|the\s+same)\s+lines|in\s+the\s+same\s+vein|"
         r"(?:that|this)\s+(?:kind|sort|type)\s+of\s+(?:thing|stuff|film|movie|vibe)s?)")
_MORE_LIKE = re.compile(rf"{_LEAD}{_SAME}{_TAIL}")


def more_like_named(text: str, liked: Sequence[str]) -> str | None:
    """``text`` as "something like <the last film liked>" when it asks for more like "this"
    with no film shown ("more like this pls", "same vibe", "similar stuff"), else None."""
    if not liked or not _MORE_LIKE.match(_plain(text)):
        return None
    return f"something like {liked[-1]}"
