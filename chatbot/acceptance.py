"""Words that take the film on the table: "that's the one", "this is it", "ok, that one",
"we both might like that". Pure; no IO.

Said to a proposal they are an acceptance (the verdict ``"liked"``), never an answer about
having watched it ("yes, that's it!" is not "yes, I've seen it") nor a new wish. A denial
just before them ("not that one", "don't like it") or a frame that makes them a wish
("something like that", "other than that one", "the one with Jim Carrey") takes the reading
away. Example::

    accepts(clause_tokens("YES that's it!"))            # True
    accepts(clause_tokens("something like that one"))   # False
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.acts import PhraseTable

_PHRASES = PhraseTable((
    "thats it", "that is it", "this is it", "thats the one", "that is the one",
    "this is the one", "thats the film", "thats the movie", "the one", "that one", "this one",
    "exactly", "bingo", "found it", "nailed it", "like that", "like it", "like this",
    "enjoy that", "enjoy it", "enjoy this", "go with that", "go with it", "go for it",
    "go for that", "well take it", "we will take it", "take that one"))
# just before the phrase: a denial ("not that one", "don't like it", "nope, not it")
_DENIALS = frozenset("""not never no nope nah dont didnt doesnt wont wouldnt cant isnt wasnt
    hardly hate hated hates dislike disliked seen saw watched know knew knows done did
    heard""".split())  # "seen that one", "know that one", "done that one": watched, not taken
# just before "like ..." / "that one": it describes a wish ("something like that", "other
# than that one", "anything but this one", "instead of that one")
_WISH_FRAMES = frozenset("""something anything more movies films stuff similar ones other than
    but except besides instead of another kinda kind sort""".split())
# just after "the one" / "that one": a description, not the film on the table
_DESCRIBING = frozenset("with where about from who which in starring by when set".split())
_PAST_AFTER = frozenset("already ago previously twice".split())


def told_as_past(words: Sequence[str], at: int) -> bool:
    """``words[at]``, just after the object, tells a viewing in the past whatever the verb's
    tense ("i see it already", "we watch that one before": learners' past tense; not "watch it
    before bed")."""
    return at < len(words) and (words[at] in _PAST_AFTER or words[at] == "before" and at == len(words) - 1)


def accepts(tokens: Sequence[str]) -> bool:
    """Whether the folded ``tokens`` take the film on the table (see the module's text)."""
    words = [t for t in tokens if t.isalnum() or t.replace("'", "").isalnum()]
    for at, phrase in _PHRASES.all(words):
        before = set(words[max(0, at - 2) : at])
        after = words[at + len(phrase) : at + len(phrase) + 1]
        if before & _DENIALS or before & _WISH_FRAMES:
            continue
        if told_as_past(words, at + len(phrase)):  # "yeah i see that one already": a memory
            continue
        if phrase[-1] in ("one", "it") and after and after[0] in _DESCRIBING:
            continue
        return True
    return False
