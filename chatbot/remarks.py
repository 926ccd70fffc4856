"""Remarks and questions about the film on the table, told apart from new wishes.

While a film is proposed, "its a classic", "lol thats not even scary" or "it is way too long"
say something about *that* film; their words ("classic", "scary") must not become wishes
("films from 1979 or earlier", "no horror"). A clause is a remark when it opens, after chat
fillers, with the film as its subject ("it's", "that's", "this one was", "the movie is") and
asks for nothing. A clause opening with a question word ("who else is in it besides Kurt
Russell") is a question even without a "?". Pure; the NLU marks, the policy decides
(``without_remarks``). Example::

    tokens = clause_tokens("yes obviously its a classic, another one?")
    remark_mask(tokens)   # True on "its a classic", False elsewhere
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatbot.acts import question_topics
from chatbot.scope import clauses
from chatbot.spans import constraints as spans_to_constraints

_FILLERS = frozenset("""lol lmao haha hehe omg wow yeah yea yes yep ok okay oh ah hmm hm well
    and but tho though honestly tbh ngl i mean obviously ofc so like man dude bro also plus
    sure fine whatever pfft meh ugh nah bruh hmm umm um i think thought guess
    ive heard apparently supposedly""".split())  # "i've heard it's a tearjerker": hearsay
# the film as the subject: a reference, then a copula or a verb of seeming ("that one's a bit
# old", "the movie was too long", "it looks cheesy"); "its" / "thats" carry their own verb
_REFERENCES = (("it",), ("that",), ("this",), ("that", "one"), ("this", "one"), ("the", "movie"),
               ("the", "film"), ("this", "movie"), ("that", "movie"), ("this", "film"),
               ("that", "film"))
_VERBS = frozenset("is s was looks looked sounds sounded seems seemed feels felt".split())
_SELF_VERBED = (("its",), ("thats",), ("looks",), ("sounds",), ("not", "even"), ("that", "ones"),
                ("this", "ones"))
# words that turn a clause about the film into a request ("it's too old, something newer")
_ASKING = frozenset("""something anything another else instead rather prefer want wanna need
    give show find maybe please pls plz could can would more less""".split())
_TAGS = frozenset({("right",), ("is", "not", "it"), ("isnt", "it"), ("innit",), ("no",),
                   ("yes",), ("yeah",), ("correct",), ("was", "not", "it"), ("wasnt", "it"),
                   ("does", "not", "it"), ("doesnt", "it"), ("am", "i", "right")})
_WH = frozenset("who whos what whats which when how where".split())
_BESIDES = frozenset("besides apart aside except other".split())


def remark_mask(tokens: Sequence[str], raw: str = "",
                title: Callable[[str], Any] | None = None) -> list[bool]:
    """Which tokens lie in a remark about the film on the table (see the module), or about a
    film named by its ``title`` ("gravity is not horror": the catalogue's tag, no wish). A
    clause asked to be confirmed ("it's rated G, right?", "it's the one with X, isn't it")
    or ending the utterance on a "?" is a question, not a remark."""
    mask = [False] * len(tokens)
    spans = clauses(tokens)
    for n, (start, end) in enumerate(spans):
        following = tuple(tokens[spans[n + 1][0] : spans[n + 1][1]]) if n + 1 < len(spans) else ()
        if following in _TAGS or (not following and raw.rstrip().endswith("?")):
            continue
        words = list(tokens[start:end])
        while words and words[0] in _FILLERS:
            words.pop(0)
        opens = any(tuple(words[: len(s)]) == s for s in _SELF_VERBED) or any(
            tuple(words[: len(r)]) == r and words[len(r) : len(r) + 1] and words[len(r)] in _VERBS
            for r in _REFERENCES) or _titled(words, title)
        if opens and not _ASKING & set(words):
            mask[start:end] = [True] * (end - start)
    return mask


def described_mask(tokens: Sequence[str]) -> list[bool]:
    """Which tokens lie in a remark about things just named ("nothing pg13, those are never
    scary", "no sequels, they're always worse"): a clause opening with a plural pronoun and a
    copula describes them and asks for nothing, at any question, so "scary" there is no wish."""
    mask = [False] * len(tokens)
    for start, end in clauses(tokens):
        words = list(tokens[start:end])
        skipped = 0
        while skipped < len(words) and words[skipped] in _FILLERS:
            skipped += 1
        # mid-clause only a demonstrative ("nothing pg13 those are never scary")
        opening = [k for k in range(skipped, len(words)) if k == skipped or words[k] in ("those", "these")]
        for k in opening:
            # "those are", "those pg 13 ones are": a demonstrative, up to three words, a verb
            verb = next((v for v in range(k + 1, min(k + 5, len(words))) if words[v] in _PLURAL_VERBS), None)
            plural = words[k] == "theyre" or words[k] in ("those", "these", "they") and verb is not None and (
                words[k] != "they" or verb == k + 1)
            # "they're 5 and 7", "they are 8 years old": the viewers' ages, no remark on films
            ages = any(w.isdigit() and words[v - 1] not in ("pg", "nc") for v, w in enumerate(words) if v > k) or bool(
                _AGE_WORDS & set(words[k:]))
            if plural and not ages and not _ASKING & set(words[k:]):
                mask[start + k : end] = [True] * (end - start - k)
                break
    return mask


_AGE_WORDS = frozenset("years yrs yo old age ages aged toddlers teens teenagers".split())
_PLURAL_VERBS = frozenset("are were re look looked seem seemed feel felt sound sounded get "
                          "always never all".split())


def _titled(words: Sequence[str], title: Callable[[str], Any] | None) -> bool:
    """"gravity is not horror", "the shining isnt really a comedy": a film's title, then a
    copula and a denial."""
    if title is None:
        return False
    for k in range(1, min(len(words) - 2, 8) + 1):
        if words[k] in ("is", "was", "s") and words[k + 1] == "not" and title(" ".join(words[:k])):
            return True
    return False


def question_clause(tokens: Sequence[str]) -> tuple[int, int] | None:
    """The first clause opening (after fillers) with a question word: "..., who else is in it"."""
    for start, end in clauses(tokens):
        words = [t for t in tokens[start:end]]
        while words and words[0] in _FILLERS:
            words.pop(0)
        if len(words) >= 3 and words[0] in _WH:
            return start, end
    return None


def clause_question_topics(tokens: Sequence[str]) -> list[str]:
    """The topics of a question clause with no "?" ("yeah seen it, who else is in it")."""
    span = question_clause(tokens)
    return question_topics(tokens[span[0] : span[1]], "?") if span else []


def mark_besides(topics: Sequence[str], words: Sequence[str], people: list[dict]) -> None:
    """"who else is in it besides X", "who's in it apart from X": the people named are part
    of the cast question, not a yes/no about them nor a wish (marked as a remark)."""
    if "cast" in topics and ("else" in words or _BESIDES & set(words)):
        for person in people:
            person["remark"] = True


def remarked_constraints(hits: list[tuple[int, int, dict]], remarks: Sequence[bool],
                         tokens: list[str], negated: list[bool]) -> list[dict]:
    """The constraints said in remarks about the film on the table ("its a classic"); a
    complaint of its age is no remark but a wish ("it's way too old": a newer film)."""
    inside = [(s, e, dict(c)) for s, e, c in hits if all(remarks[s:e])
              and c.get("relative") not in ("newer", "older", "shorter")]  # "it's ancient": a newer one
    return spans_to_constraints(inside, tokens, negated) if inside else []


_LEAD_WORDS = frozenset("lead leads leading main star stars starring protagonist".split())


def with_leads_topic(topics: list[str], words: Sequence[str]) -> list[str]:
    """"who's the lead actress?", "who stars in it?": the cast question asks for the leads,
    which the catalogue cannot tell for sure (it has no billing order): topic ``leads``."""
    if "cast" in topics and _LEAD_WORDS & set(words):
        return [t for t in topics if t != "cast"] + ["leads"]
    return topics


_MORE_WORDS = frozenset("else other others more besides".split())


def with_more_cast(topics: list[str], words: Sequence[str]) -> list[str]:
    """"who else is in it?", "any other actors?": cast names not told yet (``cast_more``)."""
    if {"cast", "leads"} & set(topics) and _MORE_WORDS & set(words):  # "who else stars in it?"
        return list(dict.fromkeys(t if t not in ("cast", "leads") else "cast_more" for t in topics))
    return topics


def without_remarks(nlu: Mapping[str, Any]) -> Mapping[str, Any]:
    """``nlu`` without the constraints and people said in remarks about the film on the table
    (the policy calls this while a film is proposed)."""
    remarked = nlu.get("remarked") or ()
    if not remarked and not any(p.get("remark") for p in nlu.get("people") or ()):
        return nlu
    constraints = [c for c in nlu.get("constraints") or () if c not in remarked]
    people = [p for p in nlu.get("people") or () if not p.get("remark")]
    return dict(nlu, constraints=constraints, people=people, notes=[
        n for n in nlu.get("notes") or () if n not in (nlu.get("remark_notes") or ())])
