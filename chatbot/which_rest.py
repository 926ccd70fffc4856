"""The rest of a message kept while the bot asks which person was meant. "something shorter,
and not him" after a cast of three asks "Which of them should I leave out?", and the length
still holds once the person is picked; so do the genre and years of "the guy from the bourne
movies, a thriller from the 2000s" and "something with her, under 2 hours".

The which-question (a ``suggest`` of ``chatbot.referents.which_one``) rides on the decision
the whole message gets: its wishes other than people are recorded, then the question is
asked (the dialog's ``_record_wishes`` asks a pending ``suggest`` after storing wishes).
Pure; no IO. Example::

    beside_question({"name": "Brad Pitt"}, {"act": "refine", "added": [{"slot": "runtime"}],
                                            "wishes": [{"slot": "runtime"}]})["suggest"]
    # {'name': 'Brad Pitt'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PERSON_SLOTS = ("actor", "director")
_RECORDING_ACTS = ("fill", "refine")  # acts that store wishes, then ask a pending question


def beside_question(asked: Mapping[str, Any], decision: Mapping[str, Any]) -> dict[str, Any]:
    """The decision for a message whose person must be asked about (``asked``): its other
    wishes kept, the question asked after them; just the question when it wishes nothing
    else. People it names are left to the answer (the question settles who)."""
    question = {"act": "suggest", "suggest": dict(asked)}
    if decision.get("act") not in _RECORDING_ACTS:
        return question
    added = [w for w in decision.get("added") or () if w.get("slot") not in _PERSON_SLOTS]
    if not added:
        return question
    people = [w for w in decision.get("added") or () if w.get("slot") in _PERSON_SLOTS]
    return dict(decision, added=added, suggest=dict(asked), reject=False,
                wishes=[w for w in decision.get("wishes") or () if w not in people],
                replaced=[w for w in decision.get("replaced") or () if w.get("slot") not in _PERSON_SLOTS])
