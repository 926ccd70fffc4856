"""Complaints about the films the bot keeps picking: "ugh you keep giving me stuff ive seen",
"you always suggest ones we've seen", "seen all of these already". Pure; no IO.

Said while a film is on the table, at any of the questions after it, they ask for a better
pick: an apology and another film, never a goodbye (a complaint is no "no" to "another?")
and never a liking or a seen film taken as a taste. Example::

    complains_of_picks(["ugh", "you", "keep", "giving", "me", "stuff", "ive", "seen"])  # True
    complains_of_picks(["seen", "it"])                                                   # False
"""

from __future__ import annotations

from collections.abc import Sequence

# the bot's habit: "you keep giving", "you always suggest", "all you do is recommend", "stop giving"
_HABITS = (("you", "keep"), ("you", "always"), ("you", "only"), ("all", "you"), ("keep", "giving"),
           ("keep", "suggesting"), ("keep", "recommending"), ("keep", "showing"), ("keep", "picking"),
           ("keep", "offering"), ("keep", "proposing"), ("again", "and", "again"), ("stop",))
_OFFERING = frozenset("""giving give gives suggesting suggest suggests recommending recommend
    recommends showing show shows picking pick picks offering offer offers proposing propose
    proposes throwing throw saying say telling tell""".split())
# many films said as seen: "seen all of these", "stuff i've seen", "seen them all"
_MANY_SEEN = (("seen", "all"), ("seen", "them", "all"), ("seen", "everything"),
              ("stuff", "ive", "seen"), ("stuff", "i", "have", "seen"), ("ones", "ive", "seen"),
              ("films", "ive", "seen"), ("movies", "ive", "seen"), ("stuff", "weve", "seen"),
              ("ones", "weve", "seen"), ("movies", "weve", "seen"), ("films", "weve", "seen"),
              ("stuff", "we", "have", "seen"), ("all", "seen"), ("seen", "these"),
              ("seen", "those"), ("watched", "all"), ("watched", "everything"))


def complains_of_picks(words: Sequence[str]) -> bool:
    """Whether the folded ``words`` complain of the bot's picks: the habit of offering ("you
    keep giving me ...") with an offering verb, or many of its films said as seen."""
    said = [w for w in words if w.isalnum()]
    habit = any(_phrase_in(said, p) for p in _HABITS) and bool(_OFFERING & set(said))
    return habit or any(_phrase_in(said, p) for p in _MANY_SEEN)


def _phrase_in(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(words[j : j + len(phrase)]) == phrase for j in range(len(words)))
