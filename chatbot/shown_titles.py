"""A film named while another is shown is the one wanted: "how about heat?", "what about
seven", "heat pls", "se7en?", "'Heat'", "what about Se7en or 12 Monkeys? loved both". Pure; no IO.

Before any film is shown, "heat" or "seven" alone may be an everyday word, so the title
finders want a capital, a rare word or a hint. Once a film is on the table (the NLU is asked
with no slot expected), a message that is a catalogue title, give or take a word asking for it
("how about", "just give me", "pls", "?"), can only ask for that film: it is proposed, never
read as a refusal of the film shown ("how about ..." also asks for *another*). Kinds of film
("how about a comedy?"), ratings, the film's facts ("what about the director?"), people and
pointing words ("what about that one") stay what they are. Example::

    reader = ShownTitles(index.exact, listed)
    reader(understood, "no. how about heat?", None)["wanted_title"]   # 'Heat'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from chatbot.text import fold

Exact = Callable[[str], str | None]
Listed = Callable[[str], tuple[list[str], str]]
MAX_TITLE_WORDS = 8
# words before the title that say nothing of their own ("no.", "ok", "hmm") or ask for it
_OPENERS = frozenset("""no nah nope ok okay well oh ooh wait actually hmm hm um umm uh so then
    and or but yes yeah yep maybe perhaps lol omg ugh meh idk erm""".split())
_CUES = tuple(tuple(c.split()) for c in (
    "how about", "what about", "wbu", "hbu", "just give me", "give me", "gimme", "just gimme",
    "can i get", "can we get", "can we do", "can we watch", "could we do", "could we watch",
    "lets do", "lets watch", "lets go with", "i want", "i wanna watch", "i want to watch",
    "we want", "id like", "id rather watch", "id rather have", "id rather do", "or maybe",
    "maybe", "rather", "instead", "just", "any chance of", "i vote", "i vote for", "we could do",
    "i was thinking", "thinking", "what about just", "how about just", "put on", "play",
    "show me", "just show me", "show us", "just show us", "can you show me", "can you just show me"))
# words after the title asking for it or leaving it whole ("heat pls", "se7en instead?")
_AFTER = frozenset("""pls plz please instead then maybe tho though tonight now lol haha
    thx thanks rather""".split())
_ASKING = frozenset("pls plz please instead then rather".split())  # "heat pls": asks; "thanks" does not
# one-word replies that some film is titled ("Perfect", "Sure", "Really"): a reply, never a film
_REPLIES = frozenset("""perfect great cool fine sure really seriously what why how ok okay nice
    awesome true right wow yes no done again maybe later now tonight today tomorrow serious
    exactly anything whatever nothing sorry pardon huh good bad excellent amazing brilliant
    thanks interesting definitely absolutely totally wonderful lovely hi hello hey bye goodbye
    ciao adios cheers merci gracias danke grazie arigato tschuss au revoir goodnight night
    farewell aloha salut hola ta peace later""".split())  # greetings and leave-takings too
LONE_ZIPF = 5.2  # "heat?", "seven?" alone: a word no more common than this
# a title's place taken by the film's own facts or by pointing back: never a film asked for
_NOT_FILMS = frozenset("""it that this one them those these another other something anything
    else more different cast director directors rating ratings length runtime plot ending
    story critics reviews score year actors actor music you me us him her them kids""".split())
_EDGE = re.compile(r"^[\"'“”‘’«»(]+|[\"'“”‘’«»),.!?;:]+$")
_CLAUSES = re.compile(r"[^.!?;]+[.!?;]*")
EVERYDAY_ZIPF = 6.0  # one-word titles this common ("up", "it") need a capital or quotes
RARE_ZIPF = 3.5  # a word this rare is a title's by itself


class ShownTitles:
    """Reads the film a message asks for while another is shown (see the module)."""

    def __init__(self, exact: Exact, listed: Listed, common: dict[str, float] | Any) -> None:
        self._exact = exact
        self._listed = listed
        self._common = common

    def __call__(self, understood: dict[str, Any], cleaned: str, expect: str | None) -> dict[str, Any]:
        """``understood`` asking for the film(s) ``cleaned`` names, when a film is shown."""
        if expect is not None or _other_reading(understood):
            return understood
        for clause in _CLAUSES.findall(cleaned):
            titles = self._asked(clause)
            if understood.get("wanted_title") and len(titles) < 2:  # already read ("got Shining?")
                continue
            if titles:
                return dict(understood, wanted_title=titles[0], wanted_titles=titles if len(titles) > 1 else [],
                            titles=[], title=None, question=[], asked_title=None, intent="unknown",
                            approval=False, verdict=None, about_film=False, asks_other=False)
        return understood

    def _asked(self, clause: str) -> list[str]:
        raw = [w for w in (_EDGE.sub("", w) for w in clause.split()) if w]
        words = [fold(w) for w in raw]
        start = 0
        while start < len(words) and words[start] in _OPENERS:
            start += 1
        cue = max((c for c in _CUES if tuple(words[start : start + len(c)]) == c), key=len, default=())
        at = start + len(cue)
        end = len(words)
        while end > at and words[end - 1] in _AFTER:
            end -= 1
        if end <= at or set(words[at:end]) <= _NOT_FILMS:
            return []
        said = " ".join(raw[at:end])
        asking = bool(cue) or clause.rstrip().endswith("?") or bool(set(words[end:]) & _ASKING)
        title = self._exact(said) if end - at <= MAX_TITLE_WORDS else None  # "what about A or B" else
        cued = bool(cue) or bool(set(words[end:]) & _ASKING)
        if title is not None and self._plain_enough(raw[at:end], clause, asking, cued):
            return [title]
        listed, rest = self._listed(said)
        return listed if len(listed) > 1 and not rest.strip(" ,?") and asking else []

    def _plain_enough(self, raw: Sequence[str], clause: str, asking: bool, cued: bool) -> bool:
        """A one-word everyday title ("up", "it") needs a capital or quotes; any other needs
        a word asking for it, or to be plainly a title by itself (a capital, quotes, a rare word)."""
        content = [fold(w) for w in raw if fold(w) not in ("the", "a", "an")]
        if not content or set(content) <= _NOT_FILMS:
            return False
        quoted = bool(re.search(r"[\"“‘'].+[\"”’']", clause))
        capital = any(w[:1].isupper() for w in raw)
        if set(content) <= _REPLIES and not quoted:
            return False  # "perfect thanks", "really?"
        if len(content) == 1 and not (cued or quoted or capital) and self._common.get(content[0], 0.0) >= LONE_ZIPF:
            return False  # "hello?", "seriously?" alone; "heat?" is a film
        if len(content) == 1 and self._common.get(content[0], 0.0) >= EVERYDAY_ZIPF:
            return quoted or capital and asking
        rare = min(self._common.get(w, 0.0) for w in content) < RARE_ZIPF  # "se7en", "goodfellas"
        return asking or quoted or capital or rare  # "take care now": no film


def _other_reading(understood: dict[str, Any]) -> bool:
    """The message already says something else: a wish, a person, a question about the film."""
    return any(understood.get(k) for k in ("constraints", "people", "question", "seen_titles",
                                           "social", "recap", "defines", "restart"))
