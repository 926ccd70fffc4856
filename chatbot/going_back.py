"""Going back to a film talked about before: "go back to heat, we'll watch that", "HEAT. the one
you showed me before", "whats the heat one about, go back to that", "the film before, heat, is
better", "tell me about heat" (Heat shown before the film on the table), and a question about a
film the bot just named in a reply ("ooh heat, how long is that one" after "what else has he
done?"). Pure; no IO: the films are given as ids and titles.

The film named is put back on the table (described again, so "what's it about", its length or
year are answered by the description), and what the message says besides ("we'll watch that",
"we did not see it", "is it scary?") is then read about that film, never about the one shown.
Example::

    back = went_back("go back to heat, we'll watch that", {1: "Heat", 2: "Ronin"}, 2, {})
    back.film_id, back.rest   # (1, "we'll watch that")
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chatbot.taking import title_span
from chatbot.text import fold_utterance
from chatbot.titles import normalise_title

# a word or phrase saying the film is one talked about before (not a wish for a new one)
_BACK = re.compile(r"\b(?:go|going|goin|come|coming|get|went) back\b|\bback to\b|\bbefore\b|\bearlier\b|"
                   r"\bprevious(?:ly)?\b|\bone you (?:showed|said|suggested|mentioned|had|gave|offered)\b|"
                   r"\byou (?:showed|suggested|mentioned|offered|recommended|said) (?:me )?(?:first|before|earlier)\b")
# "tell me about heat", "whats heat about": the film named is wanted described
_DESCRIBE = re.compile(r"\btell (?:me|us) (?:more )?about\b|\b(?:what is|whats) (?:the )?\S.* about\b|\bmore about\b")
# a question about a film just named ("how long is that one", "who is in it", "is it scary")
_QUESTION = re.compile(r"\?|\b(?:how|what|whats|when|who|whos|which|is|does|did|was|are)\b")
_FIRST = re.compile(r"\b(?:the )?(?:very )?(?:first|1st) (?:one|film|movie)\b")
_WORD_ONE = re.compile(r"\bthe (?P<words>\w+(?: \w+)?) (?:one|film|movie|flick)\b")
_TAKES = re.compile(r"\b(?:watch|watching|take|taking|have|pick|choose|go with|going with|go for|do|want)"
                    r" (?:that|it|this|that one|this one|that instead|it instead)\b")
_CLAUSE = re.compile(r"[^.,!?;]+[.,!?;]*")
_OPENERS = re.compile(r"^(?:(?:no|nah|nope|ok|okay|ooh|oh|hmm|hm|ugh|um|umm|sorry|wait|but|so|and|"
                      r"well|yeah|yes|cool|lol|actually|fine|then|meh|hey|right|alright)\b[\s,.!]*)+")
# what the description already tells: asked again, it would be said twice
_DESCRIBED = re.compile(r"\b(?:about|long|length|runtime|minutes|year|when|who|whos|director|directed|"
                        r"cast|starring|stars|rated|rating|genre|kind of)\b")
# a clause left with nothing of its own once the film and the pointing back are taken out
_EMPTY = frozenset("""it that this one the film movie to go back before earlier previous showed
    said you me us is was better best one first that's thats whats what about tell more""".split())
_STOP = frozenset("""the a an of in and on to for with from at by my your one film movie part
    ii iii 2 3 man""".split())


@dataclass(frozen=True)
class WentBack:
    """The film gone back to, and the rest of the message, to be read about that film."""

    film_id: int
    rest: str

    @property
    def takes(self) -> bool:
        """The rest takes the film ("we'll watch that", "ok we take it")."""
        return bool(_TAKES.search(f" {fold_utterance(self.rest)} "))


def went_back(text: str, shown: Mapping[int, str], current: int | None,
              named: Mapping[int, str]) -> WentBack | None:
    """The film of ``shown`` (not ``current``) the message goes back to, or of ``named`` (the
    films the last reply named) it asks about; None when it does neither."""
    said = f" {fold_utterance(text)} "
    earlier = {i: t for i, t in shown.items() if i != current}
    backed = bool(_BACK.search(said))
    film = _named_in(said, earlier) if backed or _DESCRIBE.search(said) else None
    if film is None and backed:
        film = _by_word(said, earlier) or _first(said, list(shown), current)
    if film is None and _QUESTION.search(said):
        film = _named_in(said, {i: t for i, t in named.items() if i != current and i not in shown})
    if film is None:
        return None
    return WentBack(film, _rest(text, shown.get(film) or named[film]))


def _named_in(said: str, films: Mapping[int, str]) -> int | None:
    """The film whose title is said, or the first two words of it ("ferris bueller")."""
    found = [(span[2], i) for i, t in films.items() if (span := title_span(said, normalise_title(t)))]
    if found:
        return max(found)[1]
    plain = f" {' '.join(w.removesuffix('s') for w in said.split())} "
    starts = [i for i, t in films.items() if len(key := normalise_title(t).split()) > 2
              and not set(key[:2]) <= _STOP and f" {key[0].removesuffix('s')} {key[1].removesuffix('s')} " in plain]
    return starts[0] if len(starts) == 1 else None


def _by_word(said: str, films: Mapping[int, str]) -> int | None:
    """"the cabin one", "the jurassic one": a distinctive word of one earlier film's title."""
    for match in _WORD_ONE.finditer(said):
        words = {w.removesuffix("s") for w in match["words"].split()} - _STOP
        hits = [i for i, t in films.items()
                if words and words <= {w.removesuffix("s") for w in normalise_title(t).split()}]
        if len(hits) == 1:
            return hits[0]
    return None


def _first(said: str, shown: Sequence[int], current: int | None) -> int | None:
    # "the first one you said" alone asks its name (``chatbot.recall``); "go back to" takes it back
    return shown[0] if _FIRST.search(said) and " back " in said and shown and shown[0] != current else None


def _rest(text: str, title: str) -> str:
    """The clauses, from where the film is named or pointed back to on, that say something
    besides naming it ("nah too long. go back to heat": the dislike was of the film left)."""
    key = set(normalise_title(title).split())
    kept: list[str] = []
    started = False
    for clause in _CLAUSE.findall(text):
        words = fold_utterance(clause).split()
        pointing = bool(_BACK.search(f" {' '.join(words)} ") or _WORD_ONE.search(" ".join(words)))
        started = started or pointing or bool(set(words) & key - _STOP)
        if not started or not words or pointing or set(words) <= _EMPTY | key | _STOP \
                or all(len(w) <= 2 for w in words):  # "l.", "a." of "L.A. Confidential"
            continue
        plain = _OPENERS.sub("", " ".join(words)).strip()
        if not plain or _DESCRIBED.search(plain) or set(plain.split()) <= _EMPTY | key | _STOP:
            continue
        kept.append(_OPENERS.sub("", clause.strip().lower()).strip(" ,;"))
    return ". ".join(kept)
