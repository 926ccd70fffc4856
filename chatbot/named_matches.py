"""When the only film meeting every wish is one the user named ("i loved se7en", "seen
heat"), nothing is missing from the catalogue: the match is that film. Saying "no exact
match" would be false, and the wish just given (the person named a moment ago) is what the
user wants now, so the older wishes are set aside first. Pure. Example::

    only_named_match(["Seven (1995)"], [{"slot": "actor", "values": ["Morgan Freeman"],
                                         "exclude": False}])
    # 'The only film with all of that is Seven (1995), which you named yourself. For
    #  another one, I had to leave out the actor Morgan Freeman.'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.nlg import describe_wish
from chatbot.text import end_sentence, join_words

ONLY_NAMED = "which you named yourself"


def named_ids(state: dict[str, Any]) -> set[int]:
    """Films the user named as loved or seen that the bot has not proposed."""
    return (set(state["like"]) | set(state.get("seen", ()))) - set(state["shown"])


def just_given(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The wish given last (a person just named): kept while older ones are set aside."""
    return list(items[-1:])


def only_named_match(titles: Sequence[str], dropped: Sequence[dict[str, Any]]) -> str:
    """The notice that every wish is met only by films the user named, then what was set aside."""
    which = f"{join_words(list(titles))}, which you named yourself"
    said = f"The only film with all of that is {which}." if len(titles) == 1 else \
        f"The only films with all of that are {which}."
    named = [describe_wish(item) for item in dropped]
    return f"{said} {end_sentence('For another one, I had to leave out ' + join_words(named))}" \
        if named else said


def still_named(dropped: Sequence[dict[str, Any]], titles: Sequence[str]) -> str:
    """The reminder that wishes set aside are met, with the rest, only by films the user named."""
    them = "them" if len(dropped) > 1 else "it"
    return (f"I'm still leaving out {join_words([describe_wish(w) for w in dropped])}: with {them}, "
            f"the only match is {join_words(list(titles))}, which you named yourself.")
