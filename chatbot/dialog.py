"""The dialog manager: one user turn -> the bot's messages and the next state.

All conversation state is one JSON-able dict (see ``new_state``), so it can live in a shared
store and any process can serve any turn. Collaborators are reached only through
``chatbot.components.Components`` (understanding, sentiment, policy, db), so the PUMA port
swaps them for mesh calls without touching this module. Example::

    manager = DialogManager(local_components(catalog, recommender))
    step = manager.step(new_state(seed=0), "")          # intro + genre question
    step = manager.step(step.state, "comedy with Jim Carrey")
    step.messages   # ['Got it: the genre comedy and the actor Jim Carrey.', 'Which director ...?']

The flow is the original system's: genre -> actor -> director -> MPAA rating -> "I'm thinking
about what you might like." -> a film in three sentences -> "Have you watched this movie
before?" -> "Would you want another recommendation then?" or "Do you like this
recommendation?" -> bye (signal "end"). Any wish can be given at any turn (a question already
answered is skipped), release years too (never asked); a question about the film on the table
is answered from the catalogue before the open question is asked again.

The state's shape, its upgrade from older versions and the wishes in force are
``chatbot.dialog_state``'s (``new_state`` and ``STATE_VERSION`` are re-exported here).
"""

from __future__ import annotations

import copy
import itertools
import logging
import random
from dataclasses import dataclass
from typing import Any

from chatbot import back_acts, nlg
from chatbot.acts import inner_question, last_sentence, points_at_film, split_question
from chatbot.ages import with_reference
from chatbot.answering import answer_question, described_cast, points_away, tell_cast
from chatbot.bearers import in_context
from chatbot.closing_acts import ClosingActs
from chatbot.components import Components
from chatbot.constraints import STRICT_MAX, same_wish
from chatbot.content_offers import content_offer, with_offer
from chatbot.dialog_state import (  # noqa: F401
    STATE_VERSION,
    WEAKNESS,
    active_items,
    new_state,
    no_film_to_ask_about,
    rank_extras,
    stuck_on,
    upgrade_state,
    weakness,
)
from chatbot.dialog_state import asked as _asked
from chatbot.dialog_state import mark_answered as _mark_answered
from chatbot.dialog_state import public_movie as _public_movie
from chatbot.dictation import spoken_marks, without_wake_words
from chatbot.directions import toward_set_aside
from chatbot.echoes import without_echo
from chatbot.known_from import known_from
from chatbot.liking import keep_taste
from chatbot.loved_titles import replaces_likes, unlike_wishes
from chatbot.named_matches import ONLY_NAMED, just_given, named_ids, only_named_match, still_named
from chatbot.nlg import SLOTS
from chatbot.person_asks import plain_person_asks
from chatbot.question_routes import ANSWER_STAGES
from chatbot.quoted_lengths import without_quoted_lengths
from chatbot.rating_gaps import allowed_ratings, unknown_rating_note
from chatbot.referents import ambiguous as ambiguous_referent
from chatbot.referents import criticises_cast, spelt_as, spelt_in_full, which_one
from chatbot.referents import resolve as resolve_referents
from chatbot.restatements import complained, more_like_named, replaced
from chatbot.rhetoric import without_announcement, without_rhetoric
from chatbot.said_once import said_once
from chatbot.search_talk import HOW_I_PICK, permitted, recap, still_left_out
from chatbot.seen import seen_said
from chatbot.self_questions import SELF_ANSWERS
from chatbot.sentence_acts import ANSWERING_ACTS, SentenceActs
from chatbot.sentiment import NEUTRAL
from chatbot.sequel_acts import RANKED, SequelActs
from chatbot.side_acts import SideActs
from chatbot.table_surnames import about_shown_film, better_known
from chatbot.text import clean_input, lines_as_commas
from chatbot.title_mentions import with_loose_title
from chatbot.unshown import NO_FILM_YET
from chatbot.viewer_remarks import context_remark, remark_offer
from chatbot.viewers import all_of
from chatbot.which_rest import beside_question
from chatbot.young_viewers import kept_out, unsuited

log = logging.getLogger(__name__)

_FOLLOW_UPS = {"watched": nlg.WATCHED, "like": nlg.LIKE, "another": nlg.ANOTHER}


@dataclass(frozen=True)
class Step:
    """The result of one turn: the new state, the messages, ``signal`` ("end" or None) and the
    film currently proposed (a dict) or None."""

    state: dict[str, Any]
    messages: list[str]
    signal: str | None
    recommendation: dict[str, Any] | None


class DialogManager(back_acts.BackActs, SideActs, ClosingActs, SentenceActs, SequelActs):
    """Runs turns over a state dict; stateless itself, so one instance serves every session."""

    def __init__(self, components: Components) -> None:
        self._parts = components
        self._acts = {
            "fill": self._fill, "refine": self._refine, "skip": self._skip,
            "clarify": self._clarify, "greet": self._greet, "welcome": self._welcome,
            "help": self._help, "film_asked": self._film_asked, "empty": self._repeat_empty, "keep": self._keep,
            "not_understood": self._not_understood, "bye": self._bye, "ended": self._ended,
            "ask_like": self._ask_like, "ask_another": self._ask_another, "wait": self._wait,
            "accept": self._accept, "reject": self._reject, "next": self._next,
            "suggest": self._suggest, "decline": self._decline, "answer": self._answer,
            "restart": self._restart, "about_bot": self._about_bot, "pick_now": self._pick_now,
            "social": self._social, "have_title": self._have_title,
            "catalogue_miss": self._catalogue_miss, "filmography": self._filmography,
            "capabilities": self._capabilities, "define": self._define, "topic_kept": self._topic_kept,
            "no_film_yet": lambda state, _, rng, out: self._ask_again(state, rng, out, NO_FILM_YET),
        }

    def step(self, state: dict[str, Any], text: object) -> Step:
        """Answer ``text`` (anything; it is cleaned) in conversation ``state`` (not modified)."""
        state = upgrade_state(copy.deepcopy(state))
        rng = random.Random(f"{state['seed']}:{state['turns']}")
        state["turns"] += 1
        cleaned, truncated = clean_input(lines_as_commas(text))  # one film per line: a list
        cleaned = spoken_marks(cleaned)  # "no horror, full stop": a mark, never "stop"
        cleaned = without_wake_words(cleaned)  # "hey siri no wait hey chatbot ...": no "no"
        cleaned = without_rhetoric(cleaned)  # "seen it, who hasn't": "of course", no cast asked
        cleaned = plain_person_asks(without_announcement(cleaned))  # "I had a question is it ...": the question; "is X the guy from Y?"
        cleaned = without_echo(cleaned, state["stage"])  # "seen it?? nope": the answer alone
        if state.get("current"):  # "169 min?? way too long": the complaint, no question
            cleaned = without_quoted_lengths(cleaned)
        cleaned = self._restated(state, cleaned)  # "actually no X, Y": "forget X, Y instead"
        starting = state["stage"] == "start"
        out: list[str] = [nlg.INTRO] if starting else []
        if truncated:
            out.append(nlg.TRUNCATED)
        rest = self._refuse_sequels(state, cleaned, rng, out)  # "no sequels pls": noted, said back
        if starting:
            self._start(state, rest or "", rng, out)
        elif rest is None:
            pass
        elif not self._reopened(state, rest, rng, out) and not self._go_back(state, rest, rng, out):  # "go back to heat", "ooh heat, how long?"
            self._respond(state, rest, rng, out)
        if not [m for m in out if m.strip()]:
            out.append(nlg.NOT_UNDERSTOOD)
        out[:] = said_once(out)  # a bound, or the wishes a note gives, said once a reply
        # the question left open: "👍" to "Which actor?" is no yes to "Is there an actor?"
        state["asked"] = next((m for m in reversed(out) if m.strip()), "")
        signal = "end" if state["stage"] == "end" else None
        return Step(state, [m for m in out if m.strip()], signal, state["current"])

    def _restated(self, state: dict, text: str) -> str:
        """A correction, a complaint about the picks or "more like this" in the one form
        understanding reads surely (``chatbot.restatements``); other text as it is."""
        if state["stage"] in ("start", "end"):
            return text
        wishes = state.get("wishes") or ()
        complaint = complained(text, wishes) if state.get("current") else None
        liked = [self._titled(state["like"][-1])] if state.get("like") and not state.get("current") else []
        return replaced(text, wishes) or complaint or more_like_named(text, liked) or text

    def _start(self, state: dict, text: str, rng: random.Random, out: list[str]) -> None:
        state["stage"] = "genre"
        text, among = known_from(text, self._films_named)  # "the actress from Titanic"
        if among:
            self._suggest(state, self._decide(state, text), rng, out)
            return
        if text:
            understanding = self._in_context(with_reference(self._parts.nlu(text, "genre"),
                                                            self._parts.db.find_title), state)
            decision = self._parts.policy(state, understanding, dict(NEUTRAL))
            if decision.get("act") in ("fill", "suggest", "answer", "about_bot", "social",
                                       "have_title", "catalogue_miss", "filmography", "capabilities",
                                       "define"):
                self._acts[decision["act"]](state, decision, rng, out)
                return
        out.append(nlg.question("genre", rng))

    def _respond(self, state: dict, text: str, rng: random.Random, out: list[str]) -> None:
        """Act on ``text``; an answer with a question ("no, how long is it?", "comedy, what can
        you do?") is both: the answer acted on, then the question answered, the open
        question asked once, last."""
        if self._audience_told(state, text, rng, out) or self._answer_then_request(state, text, rng, out) or self._answer_then_close(
                state, text, rng, out) or self._titled_sentences(state, text, rng, out):
            return
        parts = split_question(text) or inner_question(text)
        if parts is not None:
            trial = copy.deepcopy(state)
            first: list[str] = []
            second: list[str] = []
            if self._offer_beside_question(state, parts, rng, out):  # "is it scary? she hates gore"
                return
            act = self._act(trial, self._decide_beside_question(trial, parts[0]), rng, first)  # "sounds cool. how long?": kept
            if act == "accept" and self._asked_before_goodbye(state, parts[1], rng, first, out):
                state.clear()
                state.update(trial)
                return
            asked = self._decide(trial, parts[1]) if act not in _NOT_ANSWERS and \
                trial["stage"] != "end" else {}
            if act == "fill" and no_film_to_ask_about(trial, asked):  # "a thriller. what's it
                asked = {"act": "film_asked"}  # going to be?": asks for the film, not about one
            if asked.get("act") == "film_asked":
                state.clear()
                state.update(trial)
                out.extend(first)
                return
            if asked.get("act") in _ANSWERS:
                self._act(trial, asked, rng, second)
                state.clear()
                state.update(trial)
                out.extend((first[:-1] if first[-1:] and first[-1].endswith("?") else first) + second)
                return
        self._act(state, self._decide(state, text), rng, out)

    def _audience_told(self, state: dict, text: str, rng: random.Random, out: list[str]) -> bool:
        """"is it ok for kids? my 8yo is in the room": the whole message judged at once (the
        child's age in one sentence, the question in the other), the bound kept."""
        if state["stage"] not in ANSWER_STAGES or not state.get("current"):
            return False
        decision = self._decide(copy.deepcopy(state), text)
        if "audience_bound" not in decision or decision.get("act") != "answer":
            return False
        self._act(state, decision, rng, out)
        return True

    def _offer_beside_question(self, state: dict, parts: tuple[str, str], rng: random.Random,
                               out: list[str]) -> bool:
        """A question about the film on the table beside a dislike of what films show or a
        feeling, reason or viewer ("she cries at everything, is it sad?"): the question
        answered, the film kept, a milder search offered at most (``chatbot.content_offers``,
        ``chatbot.viewer_remarks``), wishes kept."""
        if not state.get("current") or state["stage"] not in ANSWER_STAGES:
            return False
        trial = copy.deepcopy(state)
        remark = self._decide(trial, parts[0])
        offer = content_offer(remark)
        kept = offer is not None or self._context_remark(state, parts[0], remark)
        asked = self._decide(trial, parts[1]) if kept else {}
        if not kept or asked.get("act") != "answer":
            return False
        offer = remark_offer(" ".join(parts), offer)
        said: list[str] = []
        self._act(trial, asked, rng, said)
        state.clear()
        state.update(trial)
        out.extend(with_offer(said, offer) if offer else said)
        return True

    def _context_remark(self, state: dict, text: str, decision: dict) -> bool:
        """``text`` beside a question about the film on the table only says why it is asked."""
        heard = self._parts.nlu(text, None)
        return context_remark(heard, decision, state["current"])

    def _answer_then_request(self, state: dict, text: str, rng: random.Random, out: list[str]) -> bool:
        """"who directed it again? anything like it but older?": the question answered, then
        the film asked for in the last sentence (else False: nothing done)."""
        parts = last_sentence(text) if state["stage"] in _FOLLOW_UPS else None
        if parts is None or points_at_film(parts[1]) or self._decide(copy.deepcopy(state), parts[0]).get("act") != "answer" and (
                split_question(parts[0]) is None):
            return False
        trial, said = copy.deepcopy(state), list[str]()
        self._respond(trial, parts[0], rng, said)
        request = self._decide(trial, parts[1]) if trial.get("last_act") == "answer" else {}
        offer = content_offer(request) if state.get("current") else None
        # "is it sad? she cries at everything": a reason for the question, the film kept
        remark = trial.get("last_act") == "answer" and bool(state.get("current")) and \
            trial.get("current") == state["current"] and self._context_remark(trial, parts[1], request)
        if request.get("act") not in ("refine", "next", "reject") and not offer and not remark:
            return False
        state.clear()
        state.update(trial)
        if offer or remark:  # "is it scary? my gf hates gore": answered, the wishes kept
            offer = remark_offer(text, offer)
            out.extend(with_offer(said, offer) if offer else said)
            return True
        out.extend(said[:-1] if said[-1:] and said[-1].endswith("?") else said)
        self._act(state, request, rng, out)
        return True

    def _films_named(self, said: str, plural: bool) -> list[dict[str, Any]]:
        """The film called ``said``; plural ("the bourne movies"): those its words title."""
        db = self._parts.db
        ids = db.search([{"slot": "title", "values": [said], "exclude": False}])[:8] if plural else []
        return [db.movie(i) for i in ids] or [m for m in [db.find_title(said)] if m]

    def _meant_elsewhere(self, text: str, surname: str, credited: str) -> bool:
        """"make it duvall" while *The Shining* is shown: Robert, unless the words point at it."""
        return not about_shown_film(text) and better_known(
            surname, credited, lambda said: list(self._parts.nlu(said, "actor").get("people") or ()))

    def _decide(self, state: dict, text: str) -> dict:
        asked, text = self._which_person(state, text)
        decision = self._read(state, text)
        return beside_question(asked, decision) if asked else decision  # the rest kept

    def _which_person(self, state: dict, text: str) -> tuple[dict | None, str]:
        """The "which one?" a message needs asked, if any, and the text to read the rest in."""
        choices = ambiguous_referent(text, state)  # "something with her" after a cast of four
        if choices:  # "nothing with her": the one picked is refused, not wished for
            spelt = self._parts.nlu(spelt_as(text, choices[0]), None)
            return which_one(choices, any(p.get("negated") for p in spelt.get("people") or ())), text
        if state["stage"] in ANSWER_STAGES and state.get("current") and criticises_cast(text):
            cast = described_cast(state, state["current"])  # "no, not that actor": which one?
            if cast:
                return which_one(cast, True) | {"question": nlg.which_to_leave_out(cast)}, text
        text = resolve_referents(text, state, self._parts.db.find_title)  # "something by him"
        text, among = known_from(text, self._films_named)  # "the guy from the bourne movies"
        if among:
            spelt = self._parts.nlu(text, None)
            return which_one(among, any(p.get("negated") for p in spelt.get("people") or ())), text
        return None, text

    def _read(self, state: dict, text: str) -> dict:
        stage = state["stage"]
        # "I said NOT Arnold"; "is hemsworth in it?": the one credited on the film on the table
        text = spelt_in_full(text, state.get("wishes") or (), state.get("current"),
                             lambda surname, name: self._meant_elsewhere(text, surname, name))
        understanding = with_reference(self._parts.nlu(text, stage if stage in SLOTS else None),
                                       self._parts.db.find_title)
        understanding = self._in_context(understanding, state)  # "a western with Stewart"
        if stage in SLOTS:  # "forest gump", "star wars" alone: the film liked
            understanding = with_loose_title(understanding, text, self._parts.db.find_title)
        if stage in _FOLLOW_UPS:  # "fistful of dollars it is": a film shown, taken by name
            understanding["taken"] = self._taken(state, text)
        rest = str(understanding.get("rest") or "")
        scores = self._parts.sentiment(rest) if rest else dict(NEUTRAL)
        decision = dict(self._parts.policy(state, understanding, scores))
        if decision.get("act") == "answer" and not decision.get("title"):  # "how long was that
            decision["that_one"] = points_away(text)  # one?" just after asking about another film
        decision["instead"] = replaces_likes(text)
        if "history" in (decision.get("topics") or ()):  # "what was the first one?": that one
            decision["history_first"] = bool({"first", "original"} & set(understanding.get("words") or ()))
        return decision

    def _in_context(self, understanding: dict, state: dict) -> dict:
        """A lone surname several people bear, given the one the conversation means."""
        return in_context(understanding, state.get("wishes") or (), self._parts.db.search,
                          self._parts.db.movie)

    def _act(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> str:
        act = decision.get("act", "not_understood")
        log.debug("stage %s act %s", state["stage"], act)
        if decision.get("empathy"):
            out.append(nlg.pick(nlg.EMPATHY, rng))
            state["empathy_shown"] = True
        state["last_act"] = act
        if act == "accept" and _seen_on_table(state, decision):  # "ok" to "Did you mean A or B?"
            out.append(nlg.seen_not_taken(str(state["current"]["title"])))
            _ask_suggestion(state, state["suggestion"], out)
            return act
        state["suggestion"] = None  # a "Did you mean ...?" holds for the next turn only
        if act not in _NOTES_SAID_BY_ACT:  # "another, not pirates": what can't be kept is said
            out.extend(n for n in decision.get("notes") or () if n not in out)
        keep_taste(state, decision, out)  # "loved it, just don't show me that one"
        stage = state["stage"]
        said = len(out)
        self._acts.get(act, self._not_understood)(state, decision, rng, out)
        self._move_on_if_stuck(state, stage, decision, rng, out, said)
        return str(act)

    def _move_on_if_stuck(self, state: dict, stage: str, decision: dict, rng: random.Random,
                          out: list[str], said: int = 0) -> None:
        """A slot question the user has twice answered with other wishes ("no director pref",
        "2 hours max" to "Is there an actor you would like instead?") is not asked a third
        time: its silence is a "no preference", and the next question follows. After words not
        understood, the re-ask just made (and its hint) is taken back: a question is never
        asked and waived in one turn, and the waiver says why."""
        if not stuck_on(state, stage, decision):
            return
        _mark_answered(state, stage)
        if decision.get("act") == "not_understood":
            del out[said:]  # "I do not understand | Which genre? | ... | Okay, any genre."
            out.append(nlg.still_not_understood(stage))
        else:
            if out and out[-1].endswith("?"):
                out.pop()  # the question just asked again
            out.append(nlg.no_preference_on([stage]))
        self._advance(state, rng, out)

    # -- acts while asking for wishes -------------------------------------------------------

    def _fill(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if not self._record_wishes(state, decision, out):
            self._ask_again(state, rng, out)
            return
        # a correction is what the user wants now; an answer to a question is one wish of many
        self._narrow(state, out, decision.get("added") if decision.get("replaced") else ())
        if not state.get("suggestion"):  # else the "Did you mean ...?" is the question
            self._advance(state, rng, out)

    def _fit_shorter(self, state: dict, added: list[dict]) -> None:
        """"Shorter" asks for a clearly shorter film; when none meets the other wishes (a
        short-film actor's films), the film's own length less one, rather than drop a wish."""
        for wish in [w for w in state["wishes"] if STRICT_MAX in w]:
            strict = wish.pop(STRICT_MAX)
            seen = set(state["shown"]) | set(state.get("seen", ()))
            if not self._unseen(active_items(state), seen) and strict > (wish["range"][1] or 0):
                wish["range"] = [wish["range"][0], strict]
            for said in (a for a in added if a.get(STRICT_MAX) is not None and a["slot"] == wish["slot"]):
                said.pop(STRICT_MAX)
                said["range"] = list(wish["range"])

    def _record_wishes(self, state: dict, decision: dict, out: list[str]) -> bool:
        """Store the wishes and "something like" film; False when none could be used."""
        added = list(decision.get("added") or ())
        replaced = list(decision.get("replaced") or ())
        titles = decision.get("titles") or ([decision["title"]] if decision.get("title") else [])
        if titles and decision.get("instead"):  # "something like heat instead": not the others
            state["like"] = []
        liked = any([self._like_title(state, title, out) for title in titles])
        liked = self._seen_titles(state, decision, out) or liked
        if added or replaced:
            state["wishes"] = [dict(w) for w in decision.get("wishes") or ()]
            self._fit_shorter(state, added)
            # new wishes: everything set aside is back in force until the search must set
            # something aside again, which it then says (``_narrow``)
            state["dropped"] = []
            for wish in added:  # "no horror" does not say which genre; "anything but R" does
                if not wish["exclude"] or decision.get("any_but") and wish["slot"] == state["stage"]:
                    _mark_answered(state, wish["slot"])
            people = [w["slot"] for w in added if w["slot"] in ("actor", "director")]
            state["last_slot"] = people[-1] if people else state.get("last_slot")
            said = [w for w in added if not w.get("tone")]  # a tone step's note says its genres
            if said or [w for w in replaced if not w.get("tone")]:
                out.append(nlg.acknowledge(said, [w for w in replaced if not w.get("tone")]))
        if liked and decision.get("instead"):  # "like the godfather 2 instead": its wishes now
            self._replace_unlike(state, out)
        if decision.get("not_wished"):  # "drop horror" with no horror asked for
            out.append(nlg.not_wished(decision["not_wished"]))
        out.extend(decision.get("notes") or ())
        if decision.get("unknown_person"):
            out.append(nlg.unknown_person(decision["unknown_person"]))
        if (liked or decision.get("skip")) and state["stage"] in SLOTS:
            _mark_answered(state, state["stage"])
        for slot in decision.get("indifferent") or (SLOTS if decision.get("delegate") else ()):
            _mark_answered(state, slot)
        pending = decision.get("suggest") or decision.get("keep_suggestion")
        if pending:
            _ask_suggestion(state, pending, out)
        return bool(added or replaced or liked or pending)

    def _replace_unlike(self, state: dict, out: list[str]) -> None:
        gone = unlike_wishes(state["wishes"], state["like"], self._parts.db.search)
        state["wishes"] = [w for w in state["wishes"] if w not in gone]
        if gone:
            out.append(nlg.set_aside_for_like(gone))

    def _like_title(self, state: dict, title: str | None, out: list[str]) -> bool:
        if not title:
            return False
        movie = self._parts.db.find_title(title)
        if movie is None:
            out.append(nlg.unknown_title(title))
            return False
        if movie["id"] not in state["like"]:
            state["like"].append(movie["id"])
        if out and out[-1].startswith(nlg.LIKE_OPENING):  # "loved Se7en and 12 Monkeys": one sentence
            out[-1] = nlg.like_title(movie, out[-1])
        else:
            out.append(nlg.like_title(movie))
        return True

    def _seen_titles(self, state: dict, decision: dict, out: list[str]) -> bool:
        """"I've already seen Heat and Ronin": never proposed (``state["seen"]``), and the names it
        lacks said ("Us"); "seen it, and Heat too, loved both": liked as well (``state["like"]``)."""
        titles = list(decision.get("seen_titles") or ())
        liked = [m["id"] for m in map(self._parts.db.find_title, titles)
                 if decision.get("seen_liked") and m is not None]
        ids, said = seen_said(self._parts.db, titles, decision.get("seen_by"), bool(liked))
        state["seen"] = [*state.get("seen", ()), *(i for i in ids if i not in state.get("seen", ()))]
        state["like"].extend(i for i in dict.fromkeys(liked) if i not in state["like"])
        out.extend(said)
        return bool(said)

    def _skip(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        slots = decision.get("slots") or ([] if decision.get("permits") else [state["stage"]])
        for slot in slots:  # "rating doesn't matter" at genre; "older is fine" answers no question
            _mark_answered(state, slot)
        if decision.get("permitted") or decision.get("permits"):  # "Tom Hanks is ok", "PG is fine"
            out.append(permitted(decision.get("permitted") or (), decision.get("permits") or ()))
        elif state["stage"] not in slots or decision.get("waived"):
            out.append(nlg.no_preference_on(slots))
        self._advance(state, rng, out)

    def _suggest(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if decision.get("suggest"):
            _ask_suggestion(state, decision["suggest"], out)

    def _decline(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.DECLINED, rng))
        self._ask_again(state, rng, out)

    def _answer(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """Answer a question about a film (the one named, else the one on the table or last
        asked about: ``chatbot.answering``), then ask the open question again."""
        said = answer_question(self._parts.db, state, decision)
        if decision.get("no_film_yet") and said is not None:  # "is it better than Heat?" first
            said = [nlg.NOTHING_TO_COMPARE, *said]
        out.extend(said if said is not None else [nlg.NO_FILM_YET])  # none proposed yet
        if decision.get("wishes_after"):  # "my 8yo is in the room": her bound from now on
            state["wishes"] = decision["wishes_after"]
            _mark_answered(state, "mpaa")  # the rating question is answered by her age
            out.append(nlg.audience_bound(decision["audience_bound"]))
        self._ask_again(state, rng, out)

    def _restart(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """Forget every wish and film, and ask the first question again."""
        fresh = new_state(state["seed"])
        state.update({k: v for k, v in fresh.items() if k not in ("seed", "turns", "empathy_shown")})
        state.pop("no_sequels", None)
        state["stage"] = "genre"
        out.append(nlg.RESTARTED)
        if decision.get("after_restart"):  # "start over, i want a documentary": that first
            self._act(state, decision["after_restart"], rng, out)
            return
        out.append(nlg.question("genre", rng))

    def _about_bot(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if decision.get("recap"):
            out.append(recap(state["wishes"], (state.get("current") or {}).get("title")))
        elif decision.get("beyond"):
            out.append(decision["beyond"])
        elif decision.get("self_topic") in SELF_ANSWERS:  # "how old are you?": of the bot
            out.append(SELF_ANSWERS[decision["self_topic"]])
        else:
            out.append(HOW_I_PICK if decision.get("method") else nlg.ABOUT_BOT)
        self._ask_again(state, rng, out)

    def _clarify(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.CLARIFY[state["stage"]], rng))

    def _greet(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.GREETINGS, rng))
        self._ask_again(state, rng, out)

    def _welcome(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.WELCOME, rng))
        self._ask_again(state, rng, out)

    def _help(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.help_for(state["stage"]))
        self._ask_again(state, rng, out)

    def _pick_now(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        for slot in SLOTS:
            _mark_answered(state, slot)
        out.append(nlg.pick(nlg.PICKING, rng))
        self._advance(state, rng, out)

    def _topic_kept(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """A topic asked while a film is shown that the catalogue can't search (its note is
        said before): the film stays, said so, never swapped for another without a word."""
        out.append(nlg.topic_kept(str((state.get("current") or {}).get("title") or "my pick"),
                                  active_items(state)))
        self._ask_again(state, rng, out)

    def _film_asked(self, state: dict, decision: dict, rng: random.Random,
                    out: list[str]) -> None:
        out.append(nlg.pick(nlg.FILM_ASKED, rng))
        self._ask_again(state, rng, out)

    def _not_understood(self, state: dict, decision: dict, rng: random.Random,
                        out: list[str]) -> None:
        state["misses"] += 1
        unknown = decision.get("unknown_person")
        out.append(nlg.unknown_person(unknown) if unknown else nlg.NOT_UNDERSTOOD)
        self._ask_again(state, rng, out)
        if state["misses"] >= 2 and state["stage"] in SLOTS:
            out.append(nlg.HINT)

    def _repeat_empty(self, state: dict, decision: dict, rng: random.Random,
                      out: list[str]) -> None:
        out.append(nlg.EMPTY)
        self._ask_again(state, rng, out)

    def _ask_again(self, state: dict, rng: random.Random, out: list[str], *before: str) -> None:
        stage = state["stage"]
        out.extend(before)  # "I haven't suggested a film yet": why the question comes again
        out.append(self._question(state, stage, rng) if stage in SLOTS
                   else _FOLLOW_UPS.get(stage, ""))

    @staticmethod
    def _question(state: dict, slot: str, rng: random.Random) -> str:
        """The question for ``slot``; "Is there a genre you would like, then?" after "no
        horror" (an exclusion alone does not say what is wanted)."""
        refused = [v for w in state["wishes"] if w["slot"] == slot and w["exclude"] for v in w.get("values") or ()]
        excluded = any(w["slot"] == slot and w["exclude"] for w in state["wishes"])
        return nlg.question_after_exclusion(slot, refused) if excluded else nlg.question(slot, rng)

    def _advance(self, state: dict, rng: random.Random, out: list[str]) -> None:
        """Ask the first slot not yet answered, or recommend when all are."""
        slot = next((s for s in SLOTS if s not in state["answered"]), None)
        if slot is not None:
            if slot != state["stage"]:
                state["misses"] = 0
            state["stage"] = slot
            out.append(self._question(state, slot, rng))
            return
        out.append(nlg.THINKING)
        self._recommend(state, rng, out)

    def _narrow(self, state: dict, out: list[str], fresh: Any = ()) -> None:
        """Keep the wishes satisfiable by a film not yet shown: set aside the weakest ones when
        nothing matches all. Wishes just given as a correction or while a film is on the table
        (``fresh``) are set aside only if setting aside older ones cannot help: they are what
        the user wants now ("actually make it a thriller" must not be the one left out)."""
        items = active_items(state)
        seen = set(state["shown"]) | set(state["like"]) | set(state.get("seen", ()))
        if not items or self._unseen(items, seen):
            return
        named = [i for i in self._parts.db.search(items) if i in named_ids(state)]
        fresh = fresh or (just_given(items) if named else ())  # "fincher" after "loved se7en"
        older = [i for i in items if not any(same_wish(i, f) for f in fresh)]
        for pool in (older, items) if len(older) < len(items) else (items,):
            ordered = sorted(pool, key=lambda i: (weakness(i), items.index(i)))
            for size in range(1, len(ordered) + 1):
                for dropped in itertools.combinations(ordered, size):
                    kept = [item for item in items if item not in dropped]
                    if not kept or self._unseen(kept, seen):
                        state["dropped"].extend(dict(item) for item in dropped)
                        out.append(only_named_match([self._titled(i) for i in named[:3]], dropped)
                                   if named else nlg.relaxed(dropped))
                        log.debug("relaxed %s", dropped)
                        return

    def _titled(self, movie_id: int) -> str:
        movie = self._parts.db.movie(movie_id)
        return f"{movie['title']} ({movie['year']})" if movie.get("year") else str(movie["title"])

    def _unseen(self, items: list[dict], seen: set[int]) -> bool:
        return any(i not in seen for i in self._searched(items))

    def _searched(self, items: list[dict]) -> list[int]:
        """The films meeting ``items``, none kept from young children (Psycho's PG aside)."""
        return self._parts.db.search([*items, *kept_out(items)])

    # -- acts once a film is proposed --------------------------------------------------------

    def _recommend(self, state: dict, rng: random.Random, out: list[str]) -> None:
        """Propose the best film meeting the wishes not yet shown; when every such film has
        been shown, set aside the weakest wish (and say so) rather than end."""
        exclude = set(state["shown"]) | set(state["like"]) | set(state.get("seen", ()))
        pool = [i for i in self._searched(active_items(state)) if i not in exclude]
        if not pool:
            self._narrow(state, out)
            pool = [i for i in self._searched(active_items(state)) if i not in exclude]
        both = all_of(active_items(state))  # two viewers' tastes: a film for both, if any
        pool = [i for i in self._parts.db.search(both) if i not in exclude] or pool if both else pool
        pool = self._suited(state, pool)
        rated = allowed_ratings(active_items(state))  # "nothing rated R": known ratings first
        pool = [i for i in self._parts.db.search([*active_items(state), rated]) if i in pool] or pool if rated else pool
        pool = toward_set_aside(  # "longer" set aside: the longest films left, not any
            pool, state["dropped"], lambda bound: self._parts.db.search([*active_items(state), bound]))
        if not pool:
            out.append(nlg.NO_RECOMMENDATION)
            self._bye(state, {}, rng, out)
            return
        asked = _asked(state)  # with a person asked for, their lead roles and best-known films first
        people = any(w["slot"] in ("actor", "director") and not w["exclude"]
                     for w in active_items(state))
        extras = rank_extras([] if people else asked["genre"], asked["actor"])
        ranked = self._parts.db.rank(pool, list(state["like"]), list(state["rejected"]),
                                     RANKED if state.get("no_sequels") else 1, *extras)
        ranked = self._skip_sequels(state, pool, ranked, extras)  # "no sequels": the best that is none
        movie = self._parts.db.movie(ranked[0] if ranked else pool[0])
        broken = [d for d in state["dropped"] if movie["id"] not in self._parts.db.search([d])]
        if broken and not any(nlg.NO_EXACT_MATCH in m or ONLY_NAMED in m for m in out):  # said once per film
            named = [i for i in self._parts.db.search([*active_items(state), *broken]) if i in named_ids(state)]
            out.append(still_named(broken, [self._titled(i) for i in named[:3]]) if named
                       else still_left_out(broken))
        self._propose(state, movie, out)
        unrated = unknown_rating_note(movie, active_items(state))
        out[-1:-1] = [unrated] if unrated else []

    def _suited(self, state: dict, pool: list[int]) -> list[int]:
        """``pool`` without the violent films for young children watching while others are left
        (``chatbot.young_viewers``: Rear Window's late PG does not make it a child's film)."""
        items = active_items(state)
        extra = unsuited(items)
        violent = set(self._parts.db.search([*items, *extra])) if extra else set()
        return [i for i in pool if i not in violent] or pool

    def _propose(self, state: dict, movie: dict, out: list[str]) -> None:
        """Put ``movie`` on the table: describe it and ask whether it was watched."""
        state["current"] = _public_movie(movie, _asked(state)["genre"])  # genres as `describe` names them
        if movie["id"] not in state["shown"]:
            state["shown"].append(movie["id"])
        out.extend(nlg.describe(movie, _asked(state)))
        tell_cast(state, movie, described_cast(state, movie))
        out.append(nlg.WATCHED)
        state["stage"] = "watched"

    def _reject(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        current = state["current"] or {}
        if current.get("id") is not None and current["id"] not in state["rejected"]:
            state["rejected"].append(current["id"])
        if decision.get("dropped") and current.get("title"):  # "forget it": this film, or the
            out.append(nlg.dropped(str(current["title"])))  # whole search? asked, not guessed
            self._ask_another(state, {}, rng, out)
            return
        if decision.get("settled"):  # "no thanks, i'm good": not this one, and no film pushed
            out.append(nlg.pick(nlg.DECLINED_FILM, rng))
            self._ask_another(state, {}, rng, out)
            return
        self._next(state, decision, rng, out)

    def _next(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if decision.get("declined"):  # "no thanks": this film declined, said so
            out.append(nlg.pick(nlg.DECLINED_FILM, rng))
        elif not decision.get("led_in"):  # a note already said why another comes
            out.append(nlg.pick(nlg.NEXT_ONE, rng))
        self._recommend(state, rng, out)

    def _refine(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """New wishes while a film is on the table: take them and propose another film (or,
        when the film shown already meets them all, keep it and ask on)."""
        if not self._record_wishes(state, decision, out):
            if decision.get("notes") and (state.get("current") or {}).get("title") and not decision.get(
                    "unknown_person"):  # "got something about dogs?": the film shown stays, said so
                out.append(nlg.topic_kept(str(state["current"]["title"]), active_items(state)))
            self._ask_again(state, rng, out)
            return
        if state.get("suggestion"):
            return  # the "Did you mean ...?" is the question
        current = state["current"] or {}
        if decision.get("keep_current") and current.get("title"):
            out.append(nlg.already_fits(str(current["title"])))
            self._ask_again(state, rng, out)
            return
        if decision.get("reject") and current.get("id") is not None \
                and current["id"] not in state["rejected"]:
            state["rejected"].append(current["id"])
        self._narrow(state, out, decision.get("added") or ())
        self._recommend(state, rng, out)

# acts whose reply says the understanding's notes itself (or answers with them)
_NOTES_SAID_BY_ACT = frozenset(("fill", "refine", "answer", "suggest", "restart", "ended",
                                "empty", "bye"))
# what an answer part must not be, and what the question part must be, to act on both
_NOT_ANSWERS = frozenset(("not_understood", "empty", "ended", "answer", "help", "about_bot",
                          "restart", "bye", "accept", "filmography", "capabilities", "define"))
_ANSWERS = ANSWERING_ACTS


def _seen_on_table(state: dict[str, Any], decision: dict[str, Any]) -> bool:
    """The film on the table was said seen, and a question about someone else is open: an
    "ok" answers that question, never takes the film (naming it does: ``taken``)."""
    return bool(state.get("suggestion") and state["stage"] == "another" and state.get("current")
                and not decision.get("taken"))


def _ask_suggestion(state: dict[str, Any], suggestion: dict[str, Any], out: list[str]) -> None:
    """Ask "Did you mean <name>?" (or "A or B?") and keep the wish for a yes on the next turn."""
    state["suggestion"] = dict(suggestion)
    out.append(suggestion.get("question") or nlg.did_you_mean(suggestion["name"], suggestion.get("choices") or (),
                                                              suggestion.get("with") or ()))
