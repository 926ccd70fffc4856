"""Which film a reply takes when it names one of those proposed: "yes, fistful of dollars it
is", "i'll take orlando", "I will watch Mister Roberts. Goodbye.", "going with Heat then".
Pure: the titles are given, matched fuzzily (``rapidfuzz``) so a dropped article or a typo
still names the film. Example::

    taken_film("ok fine, I'll take fistful of dollars. thx", {7: "A Fistful of Dollars"})
    # 7
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz

from chatbot.text import fold_utterance, pattern
from chatbot.titles import normalise_title

MIN_SCORE = 88  # rapidfuzz partial ratio of the title against the words said
# just before the title: a verb of taking ("i will take", "going with", "let us watch")
_TAKE_BEFORE = re.compile(
    r"\b(?:take|taking|took|watch|watching|go with|going with|go for|going for|pick|picking|"
    r"choose|choosing|settle on|settling on|stick with|sticking with|try|have|do|rent|put on|"
    r"want|wanted|wanna|was thinking|thinking of|give me|gimme|back to|prefer|rather have|"
    r"rewatch|rewatching|re watch|re watching|rather see|rather watch)"
    r" (?:the |a |an )?$")
# just after the title: it is the choice ("... it is", "... then", "... sounds good")
_TAKE_AFTER = re.compile(
    r"^ ?(?:it is|its|it be|then|please|for me|for us|wins|is the one|is it|it will be|"
    r"(?:sounds|looks|seems) (?:good|great|fine|perfect|ok|okay|best|cool|fun|interesting|nice|"
    r"awesome|amazing|neat|decent|better)|works|will do|"
    r"is fine|is good|is perfect|is great|it shall be)\b")
# a denial close before it ("not fistful of dollars", "rather than heat", "no heat please");
# a "nope." answering the question before ("nope. ok fine, i'll take heat") is none
_DENIAL = re.compile(r"\b(?:(?:not|never|neither|nor|than|instead of)(?: \w+){0,3}|no|nope|nah) $")


# "go back to that one": with a film shown before this one, "that one" is the earlier one
_BACK_TO = re.compile(r"\bback to (?:that|the (?P<which>previous|last|first|other|earlier|original)) "
                      r"(?:one|film|movie)\b")
_EARLIER = re.compile(r"\b(?:the )?(?P<which>previous|first|earlier|original|other) (?:one|film|movie)"
                      r"(?: you (?:said|showed|suggested|mentioned))?\b|\bthe one (?P<before>before)\b")
_EARLIER_AFTER = re.compile(r"^ ?(?:pls|plz|please|then|instead|it is|its|for me|for us|sounds good)\b")
# a choice said after the film pointed back at: "the previous one was better, let's do that"
_CHOSEN_LATER = re.compile(r"\b(?:lets|let us|we will|well|ill|i will|im gonna|gonna|i wanna|i want to)"
                           r"(?: just)? (?:do|take|watch|go with|go for|have|pick|see|rewatch|choose) "
                           r"(?:that|it|this|that one|this one|that instead|it instead)\b")
_DENIED_EARLIER = re.compile(r"\b(?:not|never|no) (?:the |that )?(?:previous|first|earlier|other) one\b")


def taken_film(text: str, shown: Mapping[int, str]) -> int | None:
    """The id of the film of ``shown`` (id -> title) that ``text`` takes, or None: a title
    said with words of taking before it or of choice after it, with no denial before."""
    said = f" {fold_utterance(text)} "
    best: tuple[float, int] | None = None
    for movie_id, title in shown.items():
        span = title_span(said, normalise_title(title))
        if span is None or not _taken_at(said, span[0], span[1]):
            continue
        if best is None or span[2] > best[0]:
            best = (span[2], movie_id)
    return best[1] if best else None


def earlier_pick(text: str, shown: Sequence[int]) -> int | None:
    """The film shown before that ``text`` takes without naming it ("go back to that one",
    "i'll take the first one", "the previous one pls"), or None."""
    said = f" {fold_utterance(text)} "
    if len(shown) < 2 or _DENIED_EARLIER.search(said):
        return None
    match = _BACK_TO.search(said) or _EARLIER.search(said)
    if match is None or match.re is _EARLIER and not (
            _TAKE_BEFORE.search(said[: match.start()]) or _EARLIER_AFTER.match(said[match.end():])
            or _CHOSEN_LATER.search(said[match.end():])):
        return None
    return shown[0] if match["which"] in ("first", "original") else shown[-2]


def title_span(said: str, key: str) -> tuple[int, int, float] | None:
    """Where ``key`` (a normalised title) is in ``said``, with the score; None below the bar
    (a short title must be said exactly, as whole words)."""
    if len(key) < 2:
        return None
    if len(key) <= 5:
        found = pattern(rf"(?<= ){re.escape(key)}(?= )").search(said)
        return (found.start(), found.end(), 100.0) if found else None
    match = fuzz.partial_ratio_alignment(key, said, score_cutoff=MIN_SCORE)
    if match is None:
        return None
    start = said.rfind(" ", 0, match.dest_start + 1) + 1  # widen to whole words
    end = said.find(" ", max(match.dest_end - 1, start))
    return start, end if end >= 0 else len(said), match.score


def _taken_at(said: str, start: int, end: int) -> bool:
    before, after = said[:start], said[end:]
    if _DENIAL.search(before):  # "not fistful of dollars", "rather than heat"
        return False
    return bool(_TAKE_BEFORE.search(before) or _TAKE_AFTER.match(after))
