"""Token-level cues of an utterance: clause boundaries, the scope of a negation, release-date
and runtime phrases, corrections and additions. Pure; no IO. (What kind of act an utterance
is -- a question, a verdict, a request -- is ``chatbot.acts``'.)

Tokens are folded words (``chatbot.text.fold_utterance``) with ``","`` standing for a clause
boundary (a comma, full stop, semicolon, "?" or "!"). Example::

    tokens = clause_tokens("I don't want horror, maybe a thriller")
    # ['i', 'do', 'not', 'want', 'horror', ',', 'maybe', 'a', 'thriller']
    negation_mask(tokens)[4], negation_mask(tokens)[8]     # (True, False)
    year_ranges("90s thrillers".split(), last_year=2014)   # [(0, 1, 1990, 1999)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from chatbot.attitudes import tired_over
from chatbot.aversions import aversion_mask, opens_at
from chatbot.durations import HOUR_UNITS, MINUTE_UNITS, spell_compact
from chatbot.length_phrases import (  # noqa: F401  (this module's public names too)
    LONG_MINUTES,
    SHORT_MINUTES,
    runtime_ranges,
)
from chatbot.refused_after import refused_after_mask
from chatbot.scope import (
    asked_not,
    concession_mask,
    disliked_mask,
    left_out_mask,
    refused_before_mask,
    unstressed,
    wish_restarts,
)
from chatbot.text import fold_utterance, phrases
from chatbot.year_bounds import AROUND as _AROUND
from chatbot.year_bounds import bounded_around, without_around

BOUNDARY = ","
_SPLIT = re.compile(r"\s*(?:[,;!?]+|:(?!\d)|(?<=\w\w|'\w)\.+(?=\s|$)|\s[-–—]+\s)\s*")
_LISTING_SLASH = re.compile(r"(?<=[^\W\d_]{2})\s*/\s*(?=[^\W\d_]{2})")  # not "w/o", "9/10"
_ABBREVIATIONS = frozenset("jr sr dr mr mrs ms st vs mt".split())
# "not R. pg or pg13", "rated G. something funny": a one-letter rating ends its sentence
_RATING_STOP = re.compile(r"(?i)(\b(?:not|no|rated|nothing|never|except|than)\s+[rg])\.(?=\s)")

# -- negation ------------------------------------------------------------------------------
_OPENERS = frozenset("not no never without except excluding nothing neither nor hate hates "
                     "dislike dislikes avoid avoiding nobody none less skip skipping "
                     "exclude excludes omit omitting minus sans".split())
# Verbs of cutting that deny only as the clause's verb: "cut horror and war" (no "final cut")
_CLAUSE_OPENERS = frozenset("cut".split())
_CUT_IDIOMS = frozenset("to it me back down short loose".split())
_CLAUSE_STARTS = frozenset(("and", "just", "please", "pls", "so", "then", "also", "but"))
_OPENER_PHRASES = (("other", "than"), ("rather", "than"), ("instead", "of"), ("tired", "of"),
                   ("sick", "of"), ("anything", "but"), ("everything", "but"),
                   ("anyone", "but"), ("anybody", "but"), ("all", "but"), ("just", "no"),
                   ("done", "with"), ("enough", "of"), ("keep", "away"), ("stay", "away"), ("spare", "me"),
                   # ("asleep during X", "bored of X": chatbot.aversions.opens_at)
                   # "leave out horror, war and westerns": the verb covers its whole list
                   ("leave", "out"), ("rule", "out"), ("cut", "out"), ("count", "out"),
                   # "i'm SO over sci fi", "we're totally over superheroes": tired of it
                   ("m", "over"), ("am", "over"), ("re", "over"), ("are", "over"), ("so", "over"),
                   ("totally", "over"), ("fed", "up"), ("had", "enough"), ("over", "with"))
_PHRASES_ENDING: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _OPENER_PHRASES:
    _PHRASES_ENDING.setdefault(_phrase[-1], []).append(_phrase)
# "not" that does not deny what follows: "I don't mind horror", "not sure, maybe a comedy".
_NOT_DENIALS = frozenset("mind care sure matter bad".split())
# a reason given ("not too long because the little one falls asleep") is no longer refused
_REASONS = frozenset("because cuz coz cos bc".split())
_CLOSERS = frozenset("but though although however maybe perhaps instead prefer rather so "
                     "just only make switch change swap lets let".split()) | {BOUNDARY} | _REASONS
_PERSON_CUES = frozenset("with starring featuring by from".split())
# Words a negation's scope may cover before a person cue and still deny the person: "not
# directed by X", "I don't want anything with X" (but "no comedies with X" denies comedies).
_SCOPE_FILLERS = frozenset("""want wanna need anything something one ones movie movies film
    films flick flicks stuff directed made starring a an the any of be to really just even see
    watch like that is are was been too so much more please thing things acted playing""".split()) | \
    frozenset("fan fans big huge into keen fond crazy mad about on of".split())
# (the attitude words of a refusal cover nothing yet: "not a fan of anything from the 80s",
# "not big on anything with cruise" deny the decade, the person)

# -- release dates -------------------------------------------------------------------------
_DECADE_WORDS = {"forties": 1940, "fifties": 1950, "sixties": 1960, "seventies": 1970,
                 "eighties": 1980, "nineties": 1990, "noughties": 2000, "naughties": 2000,
                 "aughts": 2000, "oughts": 2000}
_PARTS = {"early": (0, 3), "mid": (4, 6), "middle": (4, 6), "late": (7, 9)}
_AFTER = {"after": 1, "since": 0, "post": 1, "newer": 1, "later": 1, "from": 0}
_BEFORE = {"before": -1, "pre": -1, "prior": -1, "older": -1, "earlier": -1, "until": 0,
           "till": 0, "through": 0, "up": 0}
_RECENT = frozenset("recent recently latest modern newer newest contemporary".split())
_OLD = frozenset("old older classic classics oldie oldies vintage".split())
RECENT_YEARS = 5  # "a recent one": the catalogue's last five years
OLD_BEFORE = 1980  # "an old classic": released before 1980
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "a": 1, "couple": 3,
            "few": RECENT_YEARS}
AROUND_YEARS = 2  # "around 2000": 1998 to 2002
_COMPARATIVES = {"older": "older", "earlier": "older", "newer": "newer", "later": "newer"}

# -- corrections and additions -------------------------------------------------------------
_CORRECTIONS = ("i meant", "i mean", "actually", "instead", "rather", "make it", "make that",
                "change it to", "change that to", "change the", "scratch that", "switch to",
                "oops", "no wait", "wait no", "correction", "not that", "i said", "sorry",
                "or rather", "on second thought", "changed my mind", "after all", "hmm no",
                "hm no", "um no", "umm no", "no no",
                "you know what", "second thoughts")
_CORRECTION_PATTERN = re.compile(r"(?<!\S)(?:" + "|".join(map(re.escape, _CORRECTIONS)) + r")(?!\S)")
_CUES_AFTER_VALUE = frozenset({"after all"})  # said after the value it brings back
_ADDITIONS = ("also", "too", "as well", "plus", "and also", "add", "both")


def clause_tokens(text: str) -> list[str]:
    """Folded words of ``text`` with ``","`` at each clause boundary (never first or last,
    never doubled); "Jr." and initials ("Samuel L. Jackson") are not boundaries, but a
    rating after a negation is ("not R. pg or pg13")."""
    tokens: list[str] = []
    text = _RATING_STOP.sub(r"\1,", text)
    for piece in _SPLIT.split(spell_compact(unstressed(text))):
        # "clooney & pitt"; "hanks / streep", "horror/war": a slash between words lists them
        words = fold_utterance(_LISTING_SLASH.sub(" or ", piece.replace("&", " and "))).split()
        if not words:
            continue
        if tokens and tokens[-1] != BOUNDARY and tokens[-1] not in _ABBREVIATIONS:
            tokens.append(BOUNDARY)
        tokens += words
    return tokens


def negation_mask(tokens: Sequence[str]) -> list[bool]:
    """Which tokens lie in the scope of a negation.

    A scope opens at "not", "no", "without", "hate", "anything but", "other than", ... and
    runs to the end of the clause or to a contrast ("but", "maybe", "instead"); a person cue
    ("with", "by") ends it once it has covered something ("no comedies with Jim Carrey"
    denies the comedies, not Jim Carrey). "I don't mind", "not sure" deny nothing. "Keep Hugh
    Grant out of it" / "leave horror out" deny what lies between.
    """
    mask = [any(m) for m in zip(_kept_out(tokens), disliked_mask(tokens), refused_before_mask(tokens),
                                left_out_mask(tokens), aversion_mask(tokens),
                                refused_after_mask(tokens), strict=True)]  # "r is a no"
    # "isn't X in it?" asks; "even if it's not sci-fi" gives a wish up: neither denies
    silent = [a or c for a, c in zip(asked_not(tokens), concession_mask(tokens), strict=True)]
    open_at: int | None = None
    for i, token in enumerate(tokens):
        if open_at is not None and token == "without" and _cannot_do_without(tokens, i):
            mask[open_at + 1 : i] = [False] * (i - open_at - 1)  # "can't live without X": X wished
            open_at = None
        if open_at is not None:
            covered = any(t not in _SCOPE_FILLERS for t in tokens[open_at + 1 : i])
            softened = token == "so" and tokens[i - 1] == "not"  # "not so much violence"
            listed = token == BOUNDARY and covered and _list_goes_on(tokens, i)  # "no X, Y or Z"
            if (token in _CLOSERS and not _opens(tokens, i) and not softened and not listed) or (
                    covered and token in _PERSON_CUES and tokens[i - 1] not in _OPENERS) or (
                    covered and _example_at(tokens, i)) or wish_restarts(tokens, i):
                open_at = None
            else:
                mask[i] = True
        if open_at is None and _opens(tokens, i) and not silent[i]:
            open_at = i
    return mask


_LIST_ITEM_WORDS = 3  # words of one item in a list of names or genres ("ben stiller")
_LIST_ENDS = frozenset("or nor and".split())


def _list_goes_on(tokens: Sequence[str], comma: int) -> bool:
    return _list_closer(tokens, comma) is not None


def _list_closer(tokens: Sequence[str], comma: int) -> str | None:
    """The word ("or", "nor", "and") that ends the list the comma at ``comma`` continues ("not
    adam sandler, jim carrey or ben stiller", "no horror, war or westerns"), else None: short
    items only, no word that starts a wish of its own ("no horror, a comedy maybe")."""
    items: list[list[str]] = [[]]
    for token in tokens[comma + 1 :]:
        if token == BOUNDARY:
            items.append([])
        elif token in _LIST_ENDS and items[-1]:
            items.append([token])
        else:
            items[-1].append(token)
    closing = [k for k, item in enumerate(items) if item[:1] and item[0] in _LIST_ENDS]
    if not closing or any(not item for item in items[: closing[0] + 2]):
        return None
    # "not star wars, star trek or anything marvel": "anything" opens the last item, no wish
    listed = [w for item in items[: closing[0] + 1] for j, w in enumerate(item) if w not in _LIST_ENDS
              and not (j == 1 and item[0] in _LIST_ENDS and w in _ANY_ITEM)]
    if set(listed) & _RATING_WORDS:  # "never R. pg-13 or pg": the ratings wanted after a refusal
        return None
    short = all(len([w for w in item if w not in _LIST_ENDS]) <= _LIST_ITEM_WORDS
                for item in items[: closing[0] + 1])
    return items[closing[0]][0] if short and not set(listed) & _LIST_BREAKERS else None


_RATING_WORDS = frozenset("g pg pg-13 pg13 r nc-17 nc17 13".split())
_ANY_ITEM = frozenset("anything any".split())
_LIST_BREAKERS = _CLOSERS | _PERSON_CUES | frozenset("""want wanna would like love prefer need
    something anything fine ok okay good great a an some is are was""".split())


def _example_at(tokens: Sequence[str], i: int) -> bool:
    """"not too old, like 2005", "nothing ancient, say the 90s": what follows is an example
    of what the user wants, out of the denial's scope."""
    following = tokens[i + 2] if i + 2 < len(tokens) and tokens[i + 1] == "the" else _next(tokens, i)
    if i and tokens[i - 1] == "than":  # "nothing older than like 2010": the bound's year
        return False
    return tokens[i] in ("like", "say", "eg") and (
        _year(following) is not None or _decade_start(following) is not None)


def _kept_out(tokens: Sequence[str]) -> list[bool]:
    """"keep X out (of it)", "leave X out", "keep X away": X is denied."""
    mask = [False] * len(tokens)
    for i, token in enumerate(tokens):
        if token in ("keep", "leave"):
            for j in range(i + 2, min(len(tokens), i + 7)):
                if tokens[j] == BOUNDARY:
                    break
                if tokens[j] in ("out", "away"):
                    mask[i + 1 : j] = [True] * (j - i - 1)
                    break
    return mask


_NO_IDIOMS = frozenset("preference idea problem matter one way clue clues worries worry rush "
                       "pressure biggie prob probs".split())


_TIRED = frozenset(p for p in _OPENER_PHRASES if p[-1] in ("over", "of", "with", "up", "enough"))
_BACK = frozenset("it that them those this".split())


def refused_back(tokens: Sequence[str]) -> list[int]:
    """Where a tired-of attitude points back at something said before ("my ex made me watch
    nothing but sci fi and i'm SO over it", "westerns again? sick of them"): the index of
    its pronoun, which refuses the last wish named before it."""
    found = []
    for i, token in enumerate(tokens[:-1]):
        phrase = next((p for p in _TIRED if p[-1] == token and tuple(tokens[i - len(p) + 1 : i + 1]) == p), None)
        denied = phrase and {"not", "never"} & set(tokens[max(0, i - len(phrase) - 1) : i - len(phrase) + 1])
        if phrase and not denied and tokens[i + 1] in _BACK:  # "never tired of it": no refusal
            found.append(i + 1)
    return found


def refused_echo(raw: str) -> bool:
    """A value asked back and refused ("documentary?? no", "horror? nah", "a musical? hell
    no"): what the question names is refused, never wished for."""
    return _ECHO_REFUSED.match(raw.strip()) is not None


_ECHO_REFUSED = re.compile(r"[^?]*[^?\s][^?]*\?+\s*(?:ugh\W*|oh\W*|um+\W*|lol\W*)?(?:no+|nope|nah+|naw|"
                           r"no way|hell no|god no|no no|no thanks|no thank you|not really|pass|"
                           r"definitely not|absolutely not|nah+ thanks?)\s*[.!]*\s*(?:lol|please|pls)?[.!]*$",
                           re.I)


def _opens(tokens: Sequence[str], i: int) -> bool:
    token = tokens[i]
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if token == "not" and following in _NOT_DENIALS:
        return _cares_for(tokens, i + 1)  # "I don't care for westerns": a dislike, not indifference
    if token == "no" and following in _NO_IDIOMS:  # "no clue", "no worries": deny nothing
        return False
    if token == "no" and _correcting_no(tokens, i):  # "actually no, thriller": a correction
        return False
    if token == "less" and (following == "than" or (i and tokens[i - 1] in ("or", "more"))):
        return False  # "less than 2 hours", "two hours or less": a length, not a denial
    if token == "not" and i and tokens[i - 1] == "or" and following in _AFTER_OR_NOT:
        return False  # "harrison ford maybe? or not lol": taken back (``chatbot.hedges``)
    if token == "without" and _cannot_do_without(tokens, i):
        return False  # "he will riot without tom cruise": a wish for him
    if token in _OPENERS:
        return True
    if token in _CLAUSE_OPENERS and (not i or tokens[i - 1] in _CLAUSE_STARTS or tokens[i - 1] == BOUNDARY):
        return following not in _CUT_IDIOMS and tokens[i + 1 : i + 3] != ["the", "crap"]  # "cut to the chase"
    if tired_over(tokens, i) or opens_at(tokens, i):  # "he's kinda over cartoons", "asleep in long ones"
        return True
    phrase = next((p for p in _PHRASES_ENDING.get(token, ()) if tuple(tokens[i - len(p) + 1 : i + 1]) == p), None)
    return phrase is not None and not (token == "out" and _complains_left_out(tokens, i - len(phrase) + 1))


_AFTER_OR_NOT = frozenset(["", BOUNDARY, "idk", "dunno", "lol", "haha", "whatever"])
# verbs of complaining or missing: "will riot without X", "can't live without X", "sulks without X"
_COMPLAINTS = frozenset("""riot riots rioting revolt revolts mutiny cry cries crying complain
    complains complaining sulk sulks sulking moan moans whine whines die dies dying protest
    protests tantrum meltdown strike pout pouts live survive upset sad grumpy mad angry cope
    nothing""".split())
_FILLERS_BEFORE_WITHOUT = frozenset("literally totally definitely honestly probably just "
                                    "absolutely seriously".split())


def _cannot_do_without(tokens: Sequence[str], i: int) -> bool:
    """"without" after a verb of complaining or missing ("my husband will riot without tom
    cruise", "the kids can't live without a dog in it", "nothing without Tom Hanks") asks for
    what follows; a film "without X" refuses it."""
    j = i - 1
    while j >= 0 and tokens[j] in _FILLERS_BEFORE_WITHOUT:
        j -= 1
    return j >= 0 and tokens[j] in _COMPLAINTS


def _cares_for(tokens: Sequence[str], i: int) -> bool:
    """"(don't) care for X", "care much for X", "care too much for X" at ``i``: a liking verb,
    whereas "don't care", "don't care about the rating" waive a wish."""
    words = [t for t in tokens[i + 1 : i + 4] if t not in ("much", "too", "that", "all", "really")]
    return tokens[i] == "care" and words[:1] == ["for"]


def _complains_left_out(tokens: Sequence[str], verb: int) -> bool:
    """"why did you leave out X", "you'd leave out X?": a wish said dropped, nothing denied."""
    start = max((k + 1 for k in range(verb) if tokens[k] == BOUNDARY), default=0)
    return bool({"why", "you", "did", "didnt"} & set(tokens[start:verb]))


# after "hmm no": words that go on to the correction ("hmm no make it cameron"),
# not a wish the "no" refuses
_CORRECTION_NEXT = frozenset("""wait actually sorry something anything i im you we lets let make go
    switch change how what maybe instead just a an the one that this it its then scratch
    never forget on""".split())


def _correcting_no(tokens: Sequence[str], i: int) -> bool:
    """"no wait", "actually no", "no something newer": a "no" that takes back what was said
    (or shown) before it; no determiner goes before "something", so it denies nothing after."""
    before = tokens[i - 1] if i else ""
    following = tokens[i + 1 : i + 4]
    hesitant = before in ("hmm", "hm", "hmmm") and not (  # "hmm no, thriller"; "hmm no horror": refused
        following[:1] not in ([], [BOUNDARY]) and following[0] not in _CORRECTION_NEXT)
    return before in ("wait", "actually", "oh") or hesitant or (
        following[:1] in (["wait"], ["actually"], ["sorry"], ["something"])) or following == ["you", "know", "what"] or (
        following[:2] in (["i", "meant"], ["i", "mean"], ["i", "said"]))  # "no I meant the 80s"


def year_ranges(tokens: Sequence[str], last_year: int | None = None
                ) -> list[tuple[int, int, int | None, int | None]]:
    """Release-date phrases: ``(start, end, first, last)`` per phrase, tokens ``[start, end)``,
    years inclusive (None: open). "the 80s", "early 2000s", "made after 2010" (2011-),
    "between 1995 and 2005", "from 1994", "a recent one" (the catalogue's last
    ``RECENT_YEARS`` years, from ``last_year``), "an old classic" (before ``OLD_BEFORE``)."""
    return phrases(tokens, lambda i: _range_at(tokens, i, last_year))


def _range_at(tokens: Sequence[str], i: int, last_year: int | None
              ) -> tuple[int, int, int | None, int | None] | None:
    if i and tokens[i - 1] == "the" and _next(tokens, i) in ("ones", "one"):
        return None  # "haven't seen the older ones": films pointed back at, no release dates
    decade = _decade(tokens, i)
    if decade is not None:
        return _bounded(tokens, *decade)
    year = _year(tokens[i]) or _short_year(tokens, i)
    if year is not None:
        return _around_year(tokens, i, year)
    token = tokens[i]
    if _next(tokens, i) == "than":  # "older than 1970": the year says it
        if token in _COMPARATIVES and _deictic(tokens, i + 2):  # "older than this one"
            end = i + 4 if _next(tokens, i + 2) in ("one", "film", "movie") else i + 3
            first, last = (None, OLD_BEFORE - 1) if _COMPARATIVES[token] == "older" else (
                (last_year or 2014) - RECENT_YEARS + 1, None)
            return i, end, first, last
        return None
    relative = _relative_at(tokens, i, last_year or 2014)
    if relative is not None:
        return relative
    if token in _WHEN_WATCHED and _watching_said(tokens, i):
        return None  # "seen Amélie recently": when they watched it, not when it came out
    if token in _RECENT or (token == "new" and i and tokens[i - 1] == "too") or (
            token == "new" and _next(tokens, i) in ("movie", "movies", "film",
                                                                    "films", "release", "releases")):
        top = last_year or 2014
        return i, i + 1, top - RECENT_YEARS + 1, None
    if token in _OLD and not (i and tokens[i - 1] in ("year", "years", "month", "months")) and not (
            _complained_old(tokens, i)) and not _praised(tokens, i):
        return i, _period_end(tokens, i), None, OLD_BEFORE - 1
    return None


_WHEN_WATCHED = frozenset("recently lately".split())
_WATCHING = frozenset("""seen saw see watched watch watching rewatched rewatch rewatching viewed
    streamed caught""".split())


def _watching_said(tokens: Sequence[str], i: int) -> bool:
    """A verb of watching in the clause of ``tokens[i]`` ("we watched alien recently"), or in
    the one before when it opens its clause (a title taken out leaves a boundary)."""
    start = max((k + 1 for k in range(i) if tokens[k] == BOUNDARY), default=0)
    if start == i and start:
        start = max((k + 1 for k in range(start - 1) if tokens[k] == BOUNDARY), default=0)
    end = next((k for k in range(i + 1, len(tokens)) if tokens[k] == BOUNDARY), len(tokens))
    return bool(_WATCHING & set(tokens[start:end]))


def _period_end(tokens: Sequence[str], i: int) -> int:
    """"old school", "old-school": one period phrase (no topic "school")."""
    return i + 2 if tokens[i] == "old" and _next(tokens, i) == "school" else i + 1


_PRAISE_BEFORE = frozenset("a such true real total absolute proper what an s is its thats".split())
_CONTRASTS_AFTER = frozenset("but though tho although".split())


def _praised(tokens: Sequence[str], i: int) -> bool:
    """"classic but seen it", "what a classic", "it's a true classic": a judgement of a
    film, not a wish for old ones ("something classic", "a classic comedy" still wish)."""
    if tokens[i] not in ("classic", "oldie"):
        return False
    start = max((k + 1 for k in range(i) if tokens[k] == BOUNDARY), default=0)
    before = tokens[start:i]
    following = _next(tokens, i)
    alone = all(w in _PRAISE_BEFORE for w in before)
    return alone and (following in _CONTRASTS_AFTER or (bool(before) and following in ("", BOUNDARY)
                                                        and before[-1] != "an"))


def _complained_old(tokens: Sequence[str], i: int) -> bool:
    """"(way) too old (for me)" complains of age, asking for newer films (``chatbot.complaints``),
    never old ones; "nothing too old" denies old films."""
    before = tokens[max(0, i - 5) : i]
    return before[-1:] in (["too"], ["overly"]) and not set(before) & {"nothing", "no", "not", "without"}


def _relative_at(tokens: Sequence[str], i: int, last_year: int
                 ) -> tuple[int, int, int | None, int | None] | None:
    """"the last decade", "the past 5 years", "the last few years", "this century": counted
    back from ``last_year``, the catalogue's latest."""
    token, following = tokens[i], tuple(tokens[i + 1 : i + 4])
    if token in ("last", "past", "previous"):
        count, j = 1, i + 1
        if following and (following[0].isdigit() or following[0] in _NUMBERS):
            count = int(following[0]) if following[0].isdigit() else _NUMBERS[following[0]]
            j += 1
            if j < len(tokens) and tokens[j] == "of":  # "the last couple of years"
                j += 1
        unit = tokens[j] if j < len(tokens) else ""
        if unit in _YEAR_UNITS and count <= 100:
            return i, j + 1, last_year - count + 1, None
        if unit in ("decade", "decades") and count <= 10:
            return i, j + 1, last_year - 10 * count + 1, None
        if unit == "century":  # "the last century": the twentieth
            return i, j + 1, None, 1999
        return None
    if token == "this" and following[:1] in (("century",), ("millennium",)):
        return i, i + 2, 2000, None
    if token == "this" and following[:1] == ("decade",):
        return i, i + 2, last_year - last_year % 10, None
    return None


_YEAR_UNITS = frozenset("year years yr yrs yrs. yeras".split())  # "the last 10 yrs"
_UP_TO = frozenset("until till through up".split())
_OR_LATER = (("on",), ("onwards",), ("onward",), ("or", "later"), ("or", "newer"), ("and", "up"),
             ("and", "later"), ("or", "after"), ("plus",))
_OR_EARLIER = (("or", "earlier"), ("or", "older"), ("and", "earlier"), ("or", "before"))


def _bounded(tokens: Sequence[str], start: int, end: int, first: int, last: int
             ) -> tuple[int, int, int | None, int | None]:
    """A decade with the words around it: "before the 80s" (-1979), "after the 90s" (2000-),
    "since the 90s" / "the 80s onwards" (1980-), "older than the 70s" (-1969), "until the
    80s" (-1989); plain, the decade itself."""
    for tail in _OR_LATER + _OR_EARLIER:
        if tuple(tokens[end : end + len(tail)]) == tail:
            return (start, end + len(tail), first, None) if tail in _OR_LATER else (
                start, end + len(tail), None, last)
    p = start - 1 if start and tokens[start - 1] == "the" else start
    word = tokens[p - 1] if p else ""
    if word in ("than", "to") and p > 1:  # "older than the 80s", "prior to the 80s"
        word, p = tokens[p - 2], p - 1
    if word in ("since",):
        return p - 1, end, first, None
    if word in _AFTER and word != "from":
        return p - 1, end, last + 1, None
    if word in _UP_TO:
        return p - 1, end, None, last
    if word in _BEFORE:
        return p - 1, end, None, first - 1
    return start, end, first, last


def _decade(tokens: Sequence[str], i: int) -> tuple[int, int, int, int] | None:
    part = _PARTS.get(tokens[i])
    j = i + 1 if part else i
    if j >= len(tokens):
        return None
    start = _decade_start(tokens[j])
    if start is None:
        return None
    low, high = part or (0, 9)
    return i, j + 1, start + low, start + high


def _decade_start(token: str) -> int | None:
    if token in _DECADE_WORDS:
        return _DECADE_WORDS[token]
    if len(token) >= 7 and token.endswith(("ies", "ees", "ys")) and token.isalpha():
        near = process.extractOne(token, _DECADE_WORDS.keys(), scorer=OSA.distance, score_cutoff=2)
        if near is not None:  # "ninetees", "eightys": a decade word misspelt
            return _DECADE_WORDS[near[0]]
    match = re.fullmatch(r"(19|20)?(\d)0s", token)
    if not match:
        return None
    century = match.group(1) or ("20" if match.group(2) in "01" else "19")
    return int(f"{century}{match.group(2)}0")


def _around_year(tokens: Sequence[str], i: int, year: int
                 ) -> tuple[int, int, int | None, int | None]:
    """A year and the words around it: "after 2010", "between 1995 and 2005", "1995-2005",
    "around 2000" (``AROUND_YEARS`` either side)."""
    before = tokens[i - 1] if i else ""
    if bounded_around(tokens, i, _AFTER, _BEFORE):  # "after about 1975": a bound, said roughly
        tokens = without_around(tokens, i)
    elif before in _AROUND or _next(tokens, i) == "ish" or tokens[i].endswith("ish"):
        start, end = i - (before in _AROUND), i + 1 + (_next(tokens, i) == "ish")
        return start, end, year - AROUND_YEARS, year + AROUND_YEARS
    before, before2 = _bound_words(tokens, i)  # "after the year 2000", "older than like 2010"
    if before == "than":
        before = before2
    nxt, second = _next(tokens, i), _next(tokens, i + 1)
    other = _year(second) if nxt in ("and", "to", "through", "until", "till") else _year(nxt)
    if other is not None and other > year:
        end = i + (3 if _year(nxt) is None else 2)
        return max(i - 1, 0) if before in ("between", "from") else i, end, year, other
    if before in _AFTER and before != "from":
        return i - 1, i + 1, year + _AFTER[before], None
    if before in _BEFORE or (before == "to" and before2 in ("prior", "up")):
        return i - 1, i + 1, None, year + _BEFORE.get(before2 if before == "to" else before, -1)
    if nxt in ("on", "onwards", "onward", "or") and (nxt != "or" or second in ("later", "after", "newer")):
        return i, i + 2 if nxt != "or" else i + 3, year, None
    return i, i + 1, year, year


# words between a bound and its year: "after the year 2000", "older than like 2010", "since
# around 2005" is "around" (``_AROUND``), so it is not among them
_BOUND_FILLERS = frozenset("the year yr like um uh erm say maybe".split())


def _bound_words(tokens: Sequence[str], i: int) -> tuple[str, str]:
    """The two words before the year at ``i``, fillers between a bound and the year skipped."""
    j = i
    while j and tokens[j - 1] in _BOUND_FILLERS:
        j -= 1
    if j < i and not (j and (tokens[j - 1] in _AFTER or tokens[j - 1] in _BEFORE or tokens[j - 1] == "than")):
        j = i  # "i like 2010 films": no bound before the fillers, nothing skipped
    return (tokens[j - 1] if j else ""), (tokens[j - 2] if j > 1 else "")


def _short_year(tokens: Sequence[str], i: int) -> int | None:
    """"no earlier than 95", "since 98", "older than 05": a year said in two digits after a
    bound of time (after "before"/"after" only from 30 up: "before 10" is a time of day)."""
    token = tokens[i]
    if len(token) != 2 or not token.isdigit() or _next(tokens, i) in HOUR_UNITS | MINUTE_UNITS:
        return None  # "restless after 80 minutes": a length
    before, before2 = _bound_words(tokens, i)
    year = int(token) + (1900 if int(token) >= 30 else 2000)
    if before == "than" and before2 in _COMPARATIVES:
        return year
    if before in ("after", "since", "before", "pre", "post", "until", "till") and year < 2000:
        return year
    return None


def period_at(tokens: Sequence[str], i: int) -> int | None:
    """The end of the period phrase that alone starts at ``i`` ("modern", "classics", "old
    school"; ``year_ranges``), else None."""
    if tokens[i] in _RECENT:
        return i + 1
    return _period_end(tokens, i) if tokens[i] in _OLD else None


def names_a_date(tokens: Sequence[str]) -> bool:
    """Whether ``tokens`` hold a year or a decade ("1995", "the 80s", "eighties")."""
    return any(_year(t) is not None or _decade_start(t) is not None for t in tokens)


def _year(token: str) -> int | None:
    if len(token) == 4 and token.isdigit() and token[:2] in ("19", "20"):
        return int(token)
    if len(token) == 7 and token.endswith("ish") and token[:4].isdigit():  # "1995ish"
        return _year(token[:4])
    return None


def _next(tokens: Sequence[str], i: int) -> str:
    return tokens[i + 1] if i + 1 < len(tokens) else ""


def comparative(tokens: Sequence[str]) -> str | None:
    """"something older", "newer than this one": relative to the film on the table."""
    for i, token in enumerate(tokens):
        if token in _COMPARATIVES and (_next(tokens, i) != "than" or _deictic(tokens, i + 2)):
            return _COMPARATIVES[token]
    return None


def _deictic(tokens: Sequence[str], i: int) -> bool:
    """"this", "that", "it", "the one you said": the film on the table."""
    return i < len(tokens) and tokens[i] in ("this", "that", "it", "thats", "the", "these")


def is_correction(tokens: Sequence[str]) -> bool:
    """The user is correcting an earlier wish: "I meant ...", "actually make it ..."."""
    return correction_at(tokens) is not None


def correction_cues(tokens: Sequence[str]) -> list[int]:
    """The token index where each correction cue starts, in order ("comedy. wait no, drama.
    actually comedy is fine": two, and the last one said wins)."""
    text = " ".join(tokens)
    return [_cue_start(tokens, text.count(" ", 0, m.start()), m.group(0))
            for m in _CORRECTION_PATTERN.finditer(text) if not _film_refused(tokens, text, m)]


def _film_refused(tokens: Sequence[str], text: str, match: re.Match[str]) -> bool:
    """"ok not that. is there one with X", "not that one": the film shown refused, no wish
    corrected (so X joins the wishes of its slot)."""
    after = text.count(" ", 0, match.start()) + len(match.group(0).split())
    return match.group(0) == "not that" and (after >= len(tokens) or tokens[after] in _FILM_WORDS)


_FILM_WORDS = frozenset((BOUNDARY, "one", "film", "movie", "either", "please", "pls"))


def _cue_start(tokens: Sequence[str], at: int, cue: str) -> int:
    """Where a cue's correction begins: "comedy after all" corrects from the clause's start."""
    if cue not in _CUES_AFTER_VALUE:
        return at
    while at > 0 and tokens[at - 1] != BOUNDARY:
        at -= 1
    return max(at - 1, 0)


def correction_at(tokens: Sequence[str]) -> int | None:
    """The token index where the first correction cue starts, or None."""
    text = " ".join(tokens)
    match = next((m for m in _CORRECTION_PATTERN.finditer(text) if not _film_refused(tokens, text, m)), None)
    return text.count(" ", 0, match.start()) if match else None


def is_addition(tokens: Sequence[str]) -> bool:
    """The user adds to earlier wishes: "also some comedy", "... too"."""
    text = f" {' '.join(tokens)} "
    return any(f" {p} " in text for p in _ADDITIONS)


def joined_by_or(tokens: Sequence[str], end: int, start: int) -> bool:
    """Whether the words between two entities (``tokens[end:start]``) say "or"."""
    fillers = ("a", "an", "the", "maybe", "perhaps", "then", "possibly", "probably", "else", "even",
               "i", "guess", "suppose")
    between = [t for t in tokens[end:start] if t not in fillers]  # "animation then, or family"
    if between == [BOUNDARY]:  # "action, thriller or crime": a comma in a list ending in "or"
        return _list_closer(tokens, end + list(tokens[end:start]).index(BOUNDARY)) == "or"
    return "or" in between and all(t in ("or", "either", BOUNDARY) for t in between)
