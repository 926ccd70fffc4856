"""What a "no", a "not" or an "except" applies to, where the plain scope rule of
``chatbot.cues.negation_mask`` reads the meaning backwards. Pure; no IO.

- **Stressed full stops**: "ANY. OF. THEM. EXCEPT. R." is one sentence said slowly, not five;
  a run of one-word sentences is read as one (``unstressed``), so "except" reaches "R".
- **Negative questions**: "isn't Jesse Eisenberg in that?", "doesn't it have Bill Murray?"
  ask the same as "is ... ?" and deny nothing (``asked_not``).
- **Concessions**: "even if it's not sci-fi", "don't care if it's rated R" give a wish up;
  they neither wish for nor exclude what they name (``concession_mask``).
- **Dislikes said as a judgement**: "they'll say black and white is boring", "westerns are
  so dull" deny their subject, as "no black and white" would (``disliked_mask``).
- **Removals**: "drop the family part", "forget the 90s", "get rid of the horror" give a
  wish up, like a concession: neither wished for nor excluded (``removal_mask``).
- **Permissions**: "black and white is fine", "subtitles are ok" allow what they name; an
  approximated wish ("black and white": films before 1967) must not become a limit
  (``permission_mask``).
- **A "no" answering "Did you mean X?"**: "no johnny depp, the pirates guy" says "not X: this
  one", so the name after it is wished for, not excluded (``answer_to_suggestion``).

Tokens are ``chatbot.cues.clause_tokens``' (folded words, ``","`` at clause ends). Example::

    unstressed("ANY. OF. THEM. EXCEPT. R.")         # 'ANY OF THEM EXCEPT R.'
    asked_not("wait is not he in it".split())       # [False, False, True, False, False, False]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

BOUNDARY = ","
MIN_STRESSED_RUN = 3  # this many one-word sentences in a row are one sentence said slowly
_STRESSED = re.compile(r"(?:(?<=^)|(?<=[\s.!]))(?:[\w'-]+\.\s+){" + str(MIN_STRESSED_RUN - 1)
                       + r",}[\w'-]+(?=[.!?]*\s*$|[.!?]*\s)")
_FILLERS = frozenset("wait but hmm hm so oh um uh and ok okay like lol well wow yo hey".split())
_AUXILIARIES = frozenset("is was are were does did do has have had".split())
_SUBJECTS = frozenset("it that this he she they there the one".split())
_MODALS = frozenset("can could would will should do".split())
_REQUESTING = _MODALS | {"why"}
_REQUEST_SUBJECTS = frozenset("you u we i it there this that they a an something some one".split())
_IN_THE_FILM = (("in", "it"), ("in", "that"), ("in", "this"), ("in", "there"), ("in", "the"))
_CONCESSIONS = (("even", "if"), ("even", "though"), ("even", "when"), ("even", "it"),
                ("do", "not", "care", "if"), ("does", "not", "matter", "if"), ("fine", "if"),
                ("ok", "if"), ("okay", "if"), ("alright", "if"), ("no", "problem", "if"),
                ("do", "not", "mind", "if"), ("i", "do", "not", "mind", "if"))
_CONTRASTS = frozenset("but just as long so".split())
_NO_WORDS = frozenset("no nope nah naw".split())
_COPULAS = frozenset("is s are re was were gets get seems seem seem feels feel looks look".split())
_DEGREES = frozenset("so too really kinda kind of pretty very super always just a bit".split())
_DULL = frozenset("""boring dull lame tedious overrated meh cringe cringey cringy corny trash
    garbage awful terrible annoying unwatchable childish stupid dumb overdone played
    tiresome stale""".split())  # "vampires are so overdone": refused, whatever the wish beside
_FOR_BABIES = (["for", "babies"], ["for", "toddlers"], ["for", "little"], ["for", "losers"])
_FINE = frozenset("fine ok okay alright allowed acceptable good whatever".split())
_PERMITTING_COPULAS = _COPULAS | {"be"}  # "PG would be fine", "older ones would be ok"
_PERMISSION_DEGREES = frozenset("totally perfectly completely absolutely also still more than "
                                "quite pretty really just".split())
_PERMISSION_CUES = (("not", "mind"), ("ok", "with"), ("okay", "with"), ("fine", "with"),
                    ("happy", "with"), ("cool", "with"), ("alright", "with"), ("open", "to"),
                    ("no", "problem", "with"), ("not", "object", "to"))
_PERMISSION_STOPS = frozenset("but except as long so if just".split())
_ROLES = frozenset("director actor actress lead star cast".split())
_NOT_MINE = [["my", "thing"], ["for", "me"], ["for", "us"], ["my", "cup"], ["my", "style"],
             ["my", "type"], ["my", "taste"], ["my", "favorite"], ["my", "favourite"],
             ["my", "jam"], ["my", "bag"]]
_REMOVALS = (("drop",), ("remove",), ("forget",), ("ditch",), ("scrap",), ("nix",),
             ("get", "rid", "of"), ("take", "out"), ("take", "away"), ("take", "off"),
             ("never", "mind"), ("nevermind",), ("no", "need", "for"), ("lose",),
             # "scratch meryl, i want emma stone" (but "scratch that": the last thing said)
             ("scratch",), ("cross", "out"), ("cross", "off"),
             # "I never said it has to be old", "I didn't ask for old films", "it doesn't need
             # to be new": a wish taken back (or never made), not a refusal
             *((no, verb) for no in ("not", "never") for verb in ("say", "said", "mean", "meant")),
             *((no, verb, "for") for no in ("not", "never") for verb in ("ask", "asked")),
             *((no, verb, "to", "be") for no in ("not", "never") for verb in ("need", "have", "has")))


def unstressed(text: str) -> str:
    """``text`` with the full stops of a run of ``MIN_STRESSED_RUN`` or more one-word
    sentences taken out ("NO. MORE. HORROR." -> "NO MORE HORROR.")."""
    if text.count(".") < MIN_STRESSED_RUN - 1:
        return text
    return _STRESSED.sub(lambda m: m[0].replace(".", ""), text)


def positive_tag_at(tokens: Sequence[str], denied: bool = True) -> int | None:
    """Where a denial's positive tag opens ("not really action tho is it", "not a comedy, is
    it"): a statement asking to be confirmed about the film, never a wish. None without one
    (or, ``denied`` False, without the tag whatever comes before: the denial read already)."""
    for tag in _POSITIVE_TAGS:
        at = len(tokens) - len(tag)
        if at > 1 and tuple(tokens[at:]) == tag and tokens[at - 1] in _TAG_LEADS and (
                not denied or _DENIALS & set(tokens[:at])):
            return at
    return None


_POSITIVE_TAGS = (("is", "it"), ("was", "it"), ("does", "it"), ("is", "that"), ("was", "that"),
                  ("are", "they"), ("is", "he"), ("is", "she"))
_TAG_LEADS = frozenset(("tho", "though", BOUNDARY))
_DENIALS = frozenset("not never".split())


def asked_not(tokens: Sequence[str]) -> list[bool]:
    """The "not" of a negative question at a clause's start ("isn't X in it", "wasn't that
    the one with X", "doesn't it have X"), or of a denial tagged "is it" ("not really action
    tho is it"): True there, so it denies nothing."""
    mask = [False] * len(tokens)
    tagged = positive_tag_at(tokens)
    if tagged is not None:
        start = max((k for k in range(tagged) if tokens[k] == BOUNDARY and k < tagged - 1), default=-1)
        return [t in _DENIALS and start < k < tagged for k, t in enumerate(tokens)]
    for i, token in enumerate(tokens):
        if token != "not" or i == 0 or tokens[i - 1] not in _AUXILIARIES:
            continue
        start = i - 1
        while start > 0 and tokens[start - 1] in _FILLERS:
            start -= 1
        if start and tokens[start - 1] != BOUNDARY:
            continue  # "anything that is not R": a statement
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        clause = _clause_from(tokens, i)
        if len(clause) <= 2:  # "..., isn't it?": a question tag, which the acts read as such
            continue
        if following in _SUBJECTS or (tokens[i - 1] in ("is", "was", "are", "were") and any(
                tuple(clause[k : k + 2]) == p for p in _IN_THE_FILM for k in range(len(clause)))):
            mask[i] = True
    return mask


def requested_not(tokens: Sequence[str]) -> list[bool]:
    """The "not" of a negative question that asks for something, at a clause's start:
    "can't you find one under 2 hours", "couldn't we do a comedy", "wouldn't a horror film be
    better", "why not something funnier", "why don't we go for the 90s": True there, so it
    denies nothing ("I can't stand horror", "can't stand horror" still deny)."""
    mask = [False] * len(tokens)
    for i, token in enumerate(tokens):
        if token != "not" or i == 0 or tokens[i - 1] not in _REQUESTING:
            continue
        start = i - 1
        if tokens[start] in _MODALS and start and tokens[start - 1] == "why":
            start -= 1  # "why don't we ..."
        while start > 0 and tokens[start - 1] in _FILLERS:
            start -= 1
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if start and tokens[start - 1] != BOUNDARY:
            continue  # "I can't stand horror": a statement
        if tokens[i - 1] == "why" and following in ("", BOUNDARY, "?", "!", "."):
            continue  # "sure, why not": a yes on its own, no request for what follows
        if tokens[i - 1] == "why" or following in _REQUEST_SUBJECTS:
            mask[i] = True
    return mask


def as_asked(tokens: list[str]) -> list[str]:
    """``tokens`` with the "not" of a negative question dropped: "isn't X in it" asks what
    "is X in it" asks, "can't you find a comedy" what "can you find a comedy" does, and "why
    not a comedy", "why don't we ..." what "how about ..." does.
    Example: ``as_asked("is not he in it".split())`` -> is he in it."""
    asked = [a or r for a, r in zip(asked_not(tokens), requested_not(tokens), strict=True)]
    if not any(asked):
        return tokens
    out: list[str] = []
    for token, dropped in zip(tokens, asked, strict=True):
        if not dropped:
            out.append(token)
        elif out[-1:] == ["why"] or out[-2:] == ["why", "do"]:  # "why not X": "how about X"
            out[out.index("why", len(out) - 2):] = ["how", "about"]
    return out


def concession_mask(tokens: Sequence[str]) -> list[bool]:
    """Tokens of a concession ("even if it's not sci-fi", "don't care if it's R"), from its
    cue to the clause's end or a contrast ("but", "as long as")."""
    mask = [False] * len(tokens)
    i = 0
    while i < len(tokens):
        cue = next((p for p in _CONCESSIONS if tuple(tokens[i : i + len(p)]) == p), None)
        if cue is None:
            i += 1
            continue
        j = i + len(cue)
        while j < len(tokens) and tokens[j] != BOUNDARY and tokens[j] not in _CONTRASTS:
            j += 1
        mask[i:j] = [True] * (j - i)
        i = j
    return mask


def answer_to_suggestion(nlu: Mapping[str, Any], suggested: str) -> Mapping[str, Any]:
    """``nlu`` of an answer to "Did you mean ``suggested``?" that opens with "no": the people
    it names besides ``suggested`` are who was meant, not exclusions."""
    words = list(nlu.get("words") or ())
    if not words or words[0] not in _NO_WORDS or any(
            w in ("not", "without", "except") or w in _NO_WORDS for w in words[1:]):
        return nlu
    people = [dict(p, negated=False) if p.get("negated") and p.get("name") != suggested else p
              for p in nlu.get("people") or ()]
    return dict(nlu, people=people, intent="unknown" if people != nlu.get("people") else nlu.get("intent"))


_WISHERS = frozenset("i we id wed".split())
_WISHING = (("want",), ("wanna",), ("need",), ("prefer",), ("rather",), ("like",), ("love",),
            ("would", "like"), ("would", "love"), ("would", "rather"), ("would", "prefer"),
            ("d", "like"), ("d", "rather"), ("feel", "like"), ("am", "in"), ("m", "in"))


def wish_restarts(tokens: Sequence[str], i: int) -> bool:
    """"no I don't. I want something funny", "nope I'd rather a comedy": a new "I want ..."
    after a "no" starts a wish of its own; the "no" answered the question and denies
    nothing in it."""
    if tokens[i] == "and" and i and tokens[i + 1 : i + 2] and tokens[i + 1] in _BOUNDS:
        return True  # "anything but horror and under 2 hours": a length wished, not refused
    if tokens[i] not in _WISHERS or not i or tokens[i - 1] in ("that", "which", "what"):
        return False
    return any(tuple(tokens[i + 1 : i + 1 + len(p)]) == p for p in _WISHING)


# words that open a bound of its own after "and": "no R and under two hours", "anything but
# horror, and short" (what comes after is wished, the refusal was the item before)
_BOUNDS = frozenset("under below shorter short less max maximum within over longer something".split())


def disliked_mask(tokens: Sequence[str]) -> list[bool]:
    """The subject of a judgement of dislike ("black and white is boring", "westerns are so
    dull", "Harrison Ford isn't my thing", "Nolan's not for me"): from the clause's start to
    the copula (or to a name's glued "'s")."""
    mask = [False] * len(tokens)
    for start, end in clauses(tokens):
        for i in range(start, end):
            glued = tokens[i] == "not" and i > start and tokens[i - 1].endswith("s")
            if tokens[i] not in _COPULAS and not glued:
                continue
            j = i if glued else i + 1
            while j < end and tokens[j] in _DEGREES:
                j += 1
            if j < end and (tokens[j] in _DULL or tokens[j : j + 2] in _FOR_BABIES) and not glued or (
                    _not_mine(tokens[j:end])):
                mask[start:i] = [True] * (i - start)
                break
    return mask


def _not_mine(words: Sequence[str]) -> bool:
    """"not my thing", "not really for me", "not my cup of tea": a soft refusal."""
    if words[:1] != ["not"]:
        return False
    k = 1
    while k < len(words) and words[k] in _DEGREES:
        k += 1
    return list(words[k : k + 2]) in _NOT_MINE


def permission_mask(tokens: Sequence[str]) -> list[bool]:
    """The subject of a permission: before the copula ("black and white is fine", "old ones
    are totally ok too", "Eastwood's fine": the "'s" glued to the name, "PG would be fine")
    or after a cue ("I don't mind black and white", "I'm happy with older stuff too"), to
    the clause's end or a contrast ("ok with old ones, but nothing too long")."""
    mask = [False] * len(tokens)
    for start, end in clauses(tokens):
        for i in range(start, end - 1):
            copula = i > start and tokens[i] in _PERMITTING_COPULAS
            glued = len(tokens[i]) > 3 and tokens[i].endswith("s") and tokens[i] not in _COPULAS
            j = i + 1
            while j < end - 1 and tokens[j] in _PERMISSION_DEGREES:
                j += 1
            fine = tokens[j] in _FINE or tuple(tokens[j : j + 2]) == ("no", "problem")
            if tokens[i] == "be" and tokens[j] == "good":  # "a bit after Heat would be good": a wish
                fine = False
            if (copula or glued) and fine and "not" not in tokens[start:i] and not _excepting(tokens[start:i]) \
                    and not _as_role(tokens[j + 1 : end]):  # "Spielberg is fine as director": a pick
                stop = i if copula else i + 1
                mask[start:stop] = [True] * (stop - start)
                break
        for i in range(start, end):
            cue = next((c for c in _PERMISSION_CUES if tuple(tokens[i : i + len(c)]) == c), None)
            if cue is None or (cue[0] != "not" and i > start and tokens[i - 1] in ("not", "never")):
                continue  # "not happy with horror": no permission
            stop = next((k for k in range(i + len(cue), end) if tokens[k] in _PERMISSION_STOPS), end)
            mask[i + len(cue) : stop] = [True] * (stop - i - len(cue))
    return mask


_ANYONE = frozenset("any anyone anybody anything everyone everybody everything all whoever".split())
_EXCEPT = frozenset("but except besides".split())


def _excepting(words: Sequence[str]) -> bool:
    """"anybody but Ben Stiller is fine": the rest are allowed, the one excepted refused."""
    return any(a in _ANYONE and b in _EXCEPT for a, b in zip(words, words[1:], strict=False))


def _as_role(words: Sequence[str]) -> bool:
    return words[:1] in (["as"], ["for"]) and bool(_ROLES & set(words[1:3]))


def removal_mask(tokens: Sequence[str]) -> list[bool]:
    """Tokens a removal verb gives up ("drop the family part", "forget about the 90s"), to
    the clause's end or a contrast ("drop the comedy but keep Tom Hanks")."""
    mask = [False] * len(tokens)
    i = 0
    while i < len(tokens):
        verb = next((v for v in _REMOVALS if tuple(tokens[i : i + len(v)]) == v), None)
        j = i + len(verb or ())
        if verb is None or (i and tokens[i - 1] in ("not", "never")) or (  # "don't forget the kids"
                verb == ("scratch",) and tokens[j : j + 1] in (["that"], ["this"], ["it"], ["the"])):
            i += 1
            continue
        while j < len(tokens) and tokens[j] != BOUNDARY and tokens[j] not in _CONTRASTS | {"keep"}:
            j += 1
        mask[i:j] = [True] * (j - i)
        i = j
    return mask


_RELATIVES = frozenset("which who whom that whose".split())
_REFUSALS = frozenset("no not never refused vetoed excluded hate hated dislike skip".split())
_REFUSAL_PHRASES = (["leave", "out"], ["left", "out"], ["rule", "out"], ["ruled", "out"])


def refused_before_mask(tokens: Sequence[str]) -> list[bool]:
    """What a relative clause says the user refused ("it has Julia Roberts, which I said no
    to", "Adam Sandler, who I didn't want"; not "a film that isn't a comedy"): from its clause's start (the clause before, when
    the relative word opens one) up to the relative word is denied, not wished for."""
    mask = [False] * len(tokens)
    spans = clauses(tokens)
    for n, (start, end) in enumerate(spans):
        for i in range(start, end):
            after = list(tokens[i + 1 : end])  # "which *I* said no to": a refusal reported
            after = after[next((k for k, t in enumerate(after) if t in ("i", "we")), len(after)) :]
            if tokens[i] not in _RELATIVES or not (set(after) & _REFUSALS or any(
                    after[k : k + 2] == p for k in range(len(after)) for p in _REFUSAL_PHRASES)):
                continue
            first = spans[n - 1][0] if i == start and n else start
            mask[first:i] = [True] * (i - first)
            break
    return mask


def left_out_mask(tokens: Sequence[str]) -> list[bool]:
    """"(did you) leave out Woody Allen (like I asked)", "rule out horror": what follows the
    verb, to the clause's end or "like", is kept out; "why did you leave out X" complains
    that a wish was dropped and denies nothing."""
    mask = [False] * len(tokens)
    for start, end in clauses(tokens):
        for i in range(start, end - 2):
            if list(tokens[i : i + 2]) not in _REFUSAL_PHRASES or "why" in tokens[start:i]:
                continue
            stop = next((k for k in range(i + 2, end) if tokens[k] in ("like", "as", "but")), end)
            mask[i + 2 : stop] = [True] * (stop - i - 2)
    return mask


def clauses(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of each clause between boundary marks."""
    spans, start = [], 0
    for i, token in enumerate([*tokens, BOUNDARY]):
        if token == BOUNDARY:
            if i > start:
                spans.append((start, i))
            start = i + 1
    return spans


def _clause_from(tokens: Sequence[str], i: int) -> Sequence[str]:
    end = next((k for k in range(i, len(tokens)) if tokens[k] == BOUNDARY), len(tokens))
    return tokens[i:end]


_THIS_CHAT = frozenset("you this it that here chatting talking".split())


def done_with(tokens: Sequence[str], farewells: Sequence[tuple[int, tuple[str, ...]]]) -> bool:
    """"I'm done with batman", "I'm out of patience for musicals": each goodbye phrase
    (``farewells``: position and words) is followed by "with"/"of" and what is refused, so
    the words refuse something and say no goodbye ("I'm done with you" does)."""
    return bool(farewells) and all(
        tokens[i + len(p) : i + len(p) + 1] in (["with"], ["of"]) and i + len(p) + 1 < len(tokens)
        and tokens[i + len(p) + 1] not in _THIS_CHAT for i, p in farewells)
