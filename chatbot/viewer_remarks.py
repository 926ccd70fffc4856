"""A feeling, a reason or a viewer said beside a question about the film on the table ("is it
sad? she cries at everything", "is it depressing? im kinda down today", "is it scary? my son is
7"): context for the question, never a verdict on the film nor a new search. The question is
answered, the film stays on the table and the open question is asked again; at most a milder
search is offered (``remark_offer``), never made, so no wish is dropped. A viewer's age narrows
the rating only when the film shown does not already suit it (then it is a real wish).
Pure; no IO. Example::

    context_remark(nlu("she cries at everything"), {"act": "reject"}, {"mpaa": "PG"})  # True
    remark_offer("is it sad? she cries at everything", None)
    # 'If you\\'d rather have something lighter, say "something feel-good" and I\\'ll ...'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot.lexicon import APPROXIMATION_SYNONYMS
from chatbot.remarks import without_remarks
from chatbot.text import fold

# what makes the remark an act of its own: a request, a verdict, an answer about watching ...
_ACTING_KEYS = ("request", "correction", "titles", "title", "seen_titles", "people", "verdict",
                "approval", "watching", "complaint", "relaxed", "taken", "own_pick",
                "criticised_length", "wanted_title", "recap", "beyond", "restart")
# "never heard of it" answers "Have you watched it?"; a no is always an answer
_ACTING_INTENTS = frozenset(("no", "another", "bye", "restart", "done", "thanks", "greeting"))
_OWN_ACTS = frozenset(("bye", "restart", "suggest", "have_title", "answer", "filmography", "define",
                       "capabilities", "help", "about_bot"))
# an answer said first ("no, she cries at everything") answers the open question
_ANSWER_WORDS = frozenset("""no nope nah yes yeah yep yup sure ok okay fine alright naw
    definitely""".split())
# sadness, in the approximations' words and in a viewer's ("she cries at everything")
_SAD_WORDS = frozenset({w for w, k in APPROXIMATION_SYNONYMS.items() if k in ("sad", "sad film")
                        and " " not in w} | set("""cry cries crying cried tears teary weep
    weeps weepy sob sobbing heartbroken heartbreaking upset depression down blue low gloomy
    miserable""".split()))
_LIGHTER = ("If you'd rather have something lighter, say \"something feel-good\" and I'll look "
            "for comedies.")


def context_remark(nlu: Mapping[str, Any], decision: Mapping[str, Any],
                   film: Mapping[str, Any]) -> bool:
    """``nlu`` / ``decision`` (a sentence beside a question about ``film``) only tell why the
    question is asked: no request, verdict, answer or wish of its own, and any viewer's age
    already suited by the film's rating."""
    nlu = without_remarks(nlu)  # "i've heard it's a tearjerker": about the film, no wish
    if any(nlu.get(k) for k in _ACTING_KEYS) or nlu.get("intent") in _ACTING_INTENTS:
        return False
    words = [str(w) for w in nlu.get("words") or ()]
    if not words or words[0] in _ANSWER_WORDS:
        return False
    # an "accept" or "reject" from the tone alone ("i'm feeling pretty low") is no verdict
    if decision.get("act") in _OWN_ACTS or nlu.get("question") or nlu.get("interrogative"):
        return False  # "... and why did you pick it": a question of its own
    for wish in nlu.get("constraints") or ():
        suits = wish.get("audience") and wish["slot"] == "mpaa" and not wish.get("exclude") and (
            film.get("mpaa") in (wish.get("values") or ()))
        if not suits:  # a wish of its own, or a child the film does not suit: acted on
            return False
    return not nlu.get("notes")


def remark_offer(text: str, offer: str | None) -> str | None:
    """The milder search to offer for the message ``text``: ``offer`` (what a film shows,
    ``chatbot.content_offers``), else a lighter film when it speaks of sadness, else None."""
    if offer:
        return offer
    return _LIGHTER if _SAD_WORDS & set(fold(text).split()) else None
