"""Acts over the sentences of one message, in order: an answer then thanks or a goodbye ("seen
it. im good thanks, bye"), taking the film then asking about it ("ok i'll watch it. who directed
it?"), a film's title then a question about it ("Fantastic Mr. Fox? is it PG?"), a description
then the title it leads to, and an emphatic bare answer after words said for effect ("no i want
to sit in silence forever. obviously yes"). A mixin of ``chatbot.dialog.DialogManager``: each
method acts on ``state`` and writes to ``out`` only when the message is of its shape (True)."""

from __future__ import annotations

import copy
import random
from typing import Any

from chatbot import nlg
from chatbot.acts import last_sentence
from chatbot.components import Components
from chatbot.proposal_answers import takes_it
from chatbot.question_routes import ANSWER_STAGES
from chatbot.text import fold

# acts that answer a question, then ask the open one again
ANSWERING_ACTS = frozenset(("answer", "help", "about_bot", "filmography", "capabilities", "define"))


class SentenceActs:
    """``_asked_before_goodbye``, ``_titled_sentences`` and ``_answer_then_close``."""

    _parts: Components

    def _decide(self, state: dict, text: str) -> dict:
        raise NotImplementedError  # DialogManager's

    def _act(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> str:
        raise NotImplementedError  # DialogManager's

    def _asked_before_goodbye(self, state: dict, question: str, rng: random.Random,
                              goodbye: list[str], out: list[str]) -> bool:
        """"ok i'll watch it. who directed it again?": the question answered about the film
        on the table (``state``, before it was taken), then the goodbye ``goodbye``."""
        asked = self._decide(copy.deepcopy(state), question)
        if asked.get("act") not in ANSWERING_ACTS:
            return False
        said: list[str] = []
        self._act(copy.deepcopy(state), asked, rng, said)
        out.extend(_without_question(said) + goodbye)
        return True

    def _titled_sentences(self, state: dict, text: str, rng: random.Random, out: list[str]) -> bool:
        """A sentence that is only a film's title beside a question: "Fantastic Mr. Fox? is it
        PG?" asks about that film (never the one on the table); "the one with Bruce Willis, from
        1991? The Last Boy Scout?" names the film meant, so it is looked up."""
        parts = last_sentence(text) if state["stage"] in ANSWER_STAGES else None
        if parts is None:
            return False
        named = self._bare_title(parts[1])
        if named is not None:  # the description, then the title it was leading to
            self._act(state, {"act": "have_title", "title": named, "people": []}, rng, out)
            return True
        named = self._bare_title(parts[0])
        asked = self._decide(copy.deepcopy(state), parts[1]) if named is not None else {}
        if asked.get("act") != "answer" or asked.get("title"):
            return False
        self._act(state, dict(asked, title=named), rng, out)
        return True

    def _bare_title(self, text: str) -> str | None:
        """The film ``text`` names and says nothing else of ("Heat?", "what about Ronin?")."""
        heard = self._parts.nlu(text, None)
        title = heard.get("wanted_title") or heard.get("asked_title") or heard.get("title")
        if not title or heard.get("constraints") or heard.get("people") or heard.get("question"):
            return None
        movie = self._parts.db.find_title(str(title))
        if movie is None:
            return None
        said = set(fold(text).split()) - _TITLE_LEADS
        return str(title) if said <= set(fold(str(movie["title"])).split()) | set(
            fold(str(title)).split()) else None

    def _decide_beside_question(self, state: dict, first: str) -> dict:
        """The act for the sentence before a question about the film shown: a liking at "Have
        you watched it?" ("cool", "Brad Pitt is great") or a hedge ("maybe", "idk") takes
        nothing and drops nothing yet, so the film stays and "Do you like it?" (or the open
        question) follows the answer; a taking ("i'll watch it", "Heat it is"), a yes to "Do
        you like it?", a goodbye or a refusal stays what it is."""
        decision = self._decide(copy.deepcopy(state), first)
        act, stage = decision.get("act"), state["stage"]
        if stage not in ("watched", "like") or act not in ("accept", "reject", "next") or decision.get("taken"):
            return decision
        heard = self._parts.nlu(first, None)
        words = set(heard.get("words") or ())
        if act == "accept" and (stage == "like" or heard.get("watching") == "future" or heard.get("intent") in _LEAVING
                                or _APPROVES & words):
            return decision  # "sounds good" to "Do you like it?" answers it; "not seen, sounds great" takes it
        told = heard.get("watching") in ("no", "yes") and not heard.get("verdict")  # "haven't seen that one"
        if act != "accept" and not (words and words <= _HEDGES or told):  # "no, not this one": a refusal
            return decision
        seen_said = heard.get("watching") in ("no", "yes")  # "not seen it, love the lead": "Do you like it?" next
        return dict(decision, act="ask_like") if stage == "watched" and seen_said else dict(decision, act="keep")

    def _keep(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """The film and the open question kept: the question beside is answered next."""
        out.append({"watched": nlg.WATCHED, "another": nlg.ANOTHER}.get(state["stage"], nlg.LIKE))

    def _answer_then_close(self, state: dict, text: str, rng: random.Random, out: list[str]) -> bool:
        """An answer, then thanks or a goodbye in its own sentence ("seen it. im good thanks,
        bye"; "not seen, I'll take it. merci, au revoir"): the answer acted on first, then the
        closing read at the question that answer leads to (no more films, or the film taken).
        An emphatic bare answer last ("no i want to sit in silence forever. obviously yes") is
        the answer: what comes before it is said for effect."""
        parts = last_sentence(text) if state["stage"] in ANSWER_STAGES and state.get("current") else None
        if parts is None:
            return False
        closing = self._parts.nlu(parts[1], None)
        if _emphatic_answer(closing):
            self._act(state, self._decide(state, parts[1]), rng, out)
            return True
        if closing.get("intent") not in ("bye", "thanks", "done") or closing.get("question"):
            return False
        trial, said = copy.deepcopy(state), list[str]()
        act = self._act(trial, self._decide(trial, parts[0]), rng, said)
        if act not in ("ask_like", "ask_another", "accept"):
            return False
        if trial["stage"] != "end":
            decision = self._decide(trial, parts[1])
            if decision.get("act") not in ("bye", "accept"):
                return False
            if decision["act"] == "accept" and not takes_it(closing):  # "not seen. thanks, bye":
                decision = {"act": "bye"}  # no film taken that was not said to be wanted
            said = _without_question(said)
            self._act(trial, decision, rng, said)
        state.clear()
        state.update(trial)
        out.extend(said)
        return True


# words around a title that say nothing but "this film": "what about Heat?", "and Ronin?"
_TITLE_LEADS = frozenset("what how about and or the film movie one maybe hmm hm oh ooh ah um so well wait hey".split())


def _emphatic_answer(heard: dict[str, Any]) -> bool:
    """A bare yes or no said with emphasis ("obviously yes", "duh, yes", "definitely not")."""
    words = [w for w in heard.get("words") or () if w != ","]
    return heard.get("intent") in ("yes", "no") and len(words) <= _EMPHATIC_WORDS and bool(
        _EMPHASIS & set(words)) and not heard.get("question")


_EMPHATIC_WORDS = 3
_EMPHASIS = frozenset("obviously course duh clearly definitely absolutely seriously".split())


def _without_question(said: list[str]) -> list[str]:
    """``said`` without the open question it ends with (another act follows)."""
    return said[:-1] if said[-1:] and said[-1].endswith("?") else said


_LEAVING = frozenset(("bye", "done", "thanks"))
# words that approve the film itself ("sounds great", "looks good", "perfect"), not a person in it
_APPROVES = frozenset("sounds looks seems perfect".split())
# a hedge beside a question about the film: no answer yet ("maybe. what's it about?")
_HEDGES = frozenset("""maybe perhaps possibly idk dunno hmm hm um umm not sure unsure no idea
    could be might depends kinda sorta""".split())
