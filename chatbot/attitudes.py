"""Being tired of something: "he's kinda over cartoons", "over sci fi lately", "my son is over
superheroes". Pure; no IO.

"over" refuses what follows when it says an attitude: after a person and "is"/"'s"/"'re",
after a softener ("kinda", "pretty", "a bit"), or opening a clause. It is a bound, never a
refusal, before a number ("over 2 hours", "over 13") or after a verb of length ("runs over").
Example::

    tired_over(["hes", "kinda", "over", "cartoons"], 2)   # True
    tired_over(["nothing", "over", "2", "hours"], 1)      # False
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.durations import NUMBER_WORDS

# words before "over" that make it an attitude of someone's
_BEFORE = frozenset("""is s hes shes were theyre youre im m re are am kinda kind pretty really
    bit little totally so completely officially just basically lowkey honestly getting""".split())
_NOT_NUMBERS = frozenset("the a an pg g r nc rated budget".split())  # "over PG-13": a bound


def tired_over(tokens: Sequence[str], i: int) -> bool:
    """``tokens[i]`` is "over" saying the user (or a viewer) is tired of what follows."""
    if tokens[i] != "over" or i + 1 >= len(tokens):
        return False
    following = tokens[i + 1]
    if following.isdigit() or following in NUMBER_WORDS or following in _NOT_NUMBERS:
        return False  # "over 2 hours", "over two hours", "over the top"
    opens = i == 0 or not tokens[i - 1].isalnum()
    return opens or tokens[i - 1] in _BEFORE
