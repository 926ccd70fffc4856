"""The dialog policy: a pure function from (state, understanding, sentiment) to a decision.

No IO and no randomness, so the PUMA port can serve it from any instance behind ``/policy``
and tests need nothing but dicts. Example::

    decide({"stage": "genre", "wishes": []}, nlu("a 90s comedy"), NEUTRAL)
    # {'act': 'fill', 'wishes': [<comedy>, <1990-1999>], 'added': [...], 'replaced': [], ...}

**Wishes** are the conversation's constraints (``chatbot.constraints``: genre, actor,
director and MPAA values to include or exclude; release years and runtime minutes as integer,
inclusive ranges).
They are ANDed. ``plan_wishes`` merges what the user just said into them, resolving a
conflict between two wishes so:

1. *The later wish wins over the earlier one it contradicts.* Asking for a value removes an
   earlier exclusion of it ("no comedies" ... "a comedy is fine"); excluding a value removes
   it from earlier includes ("not Ben Stiller") and keeps the exclusion.
2. *A correction replaces.* With a correction cue ("I meant", "actually", "make it",
   "instead", "scratch that") the includes of the slot it names are replaced, and the reply
   says what it replaced ("the genre thriller instead of comedy"). A person's slot in a
   correction is the slot of the person it retracts or of the last person given.
3. *A slot a film has one of replaces:* a new MPAA rating, release or runtime range or director
   replaces the earlier one (unless joined by "or", which makes one any-of wish).
4. *Otherwise a wish adds*: two genres mean both, two actors mean both in the cast.
5. *When nothing in the catalogue meets them all,* the dialog sets aside the weakest wishes
   (rating, then runtime, years, director, actor, genre; the older first) and says which.

**What an utterance does comes before its words.** A restart ("start over") clears
everything; a question about a film (the one on the table, or one it names: "is Titanic any
good?") is answered, never read as a wish or a verdict ("is Bruce Willis in it?"); while a
film is proposed, an answer about having watched it or a plain yes keeps its circumstances
out of the wishes ("I saw it as a kid", "yes, in the 90s") unless it asks for something
("yes, but something from the 90s"). A yes or no is read with its tone: "yeah it sucks" is a
no, "nah that's perfect" a yes, "meh" unsure. A person named without a cue fills the role of
the question asked unless they are known for the other one only (``notable``: "Spielberg"
at the actor question is the director).

Acts: ``fill`` (record ``wishes``; ``titles`` = "something like" films), ``skip`` (no
preference), ``clarify`` ("yes" without a name), ``suggest`` (ask "Did you mean <name>?",
or "A or B?" for ``choices``), ``decline`` (no to that), ``greet``, ``about_bot``,
``not_understood`` (``unknown_person`` when a name matched nobody), ``empty``, ``bye``,
``restart``, ``pick_now`` (the choice left to the bot: no more questions), ``answer`` (a question about a film: ``topics``, ``title`` when it names one,
``people`` and ``genres`` asked about), ``ask_like`` / ``ask_another`` (after "have you
watched it?"), ``accept`` (liked: end), ``reject`` (next film, steering away from this one),
``next`` (next film, no judgement), ``wait`` (no answer yet: "let me think"; the question
asked again), ``refine`` (new wishes while a film is proposed;
``reject`` true when they come with a no), ``ended`` (talking after the end). ``notes`` are
said with the act (approximated wishes); ``keep_suggestion`` asks a pending "Did you mean
...?" again after an answer naming someone in another role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.agreeing import thanks_only
from chatbot.audience_asks import audience_answer, kept_bound
from chatbot.beside_answers import refuses_beside
from chatbot.ceiling_notes import kept_notes
from chatbot.complaints import CATALOGUE_END
from chatbot.constraints import holds
from chatbot.dialog_state import new_state
from chatbot.kept_wishes import fits_current, not_wished
from chatbot.lexicon import APPROXIMATIONS
from chatbot.liking import liked_seen
from chatbot.pick_complaints import complains_of_picks
from chatbot.proposal_answers import (  # noqa: F401
    NEGATIVE,
    POSITIVE,
    answer_act,
    no_opinion,
    takes_it,
    yes_no,
)
from chatbot.pushback import note as complaint_note
from chatbot.question_routes import (
    ANSWER_STAGES,
    compares_quality,
    people_besides_title,
    rating_checks,
)
from chatbot.question_routes import question as route_question
from chatbot.rating_steps import step_note
from chatbot.remarks import without_remarks
from chatbot.replies import declines_slot, declines_with_thanks, says_settled
from chatbot.rewatching import seen_choice
from chatbot.scope import answer_to_suggestion
from chatbot.seen_answers import emphasised_wish
from chatbot.sequels import asks_if_sequel
from chatbot.text import fold
from chatbot.tone_steps import direction, lightens, tone_note, toward
from chatbot.topic_words import asks_topic
from chatbot.unshown import takes_unshown
from chatbot.wishes import plan_wishes, slot_fills, summary  # noqa: F401  (slot_fills: public here too)

SLOTS = ("genre", "actor", "director", "mpaa")
DISTRESS = -0.5
_MOOD_WORDS = frozenset(
    """sad depressed depressing lonely tired stressed upset miserable anxious exhausted
    crying cry angry unhappy down awful terrible horrible rough worst hurt hurts
    day week life feel feeling""".split()
)
_SELF_WORDS = frozenset("i im me my myself feel feeling".split())


def decide(state: Mapping[str, Any], nlu: Mapping[str, Any], sentiment: Mapping[str, float]) -> dict:
    """The next dialog act for ``state["stage"]`` given what the user said. A social act
    (``chatbot.social``: "how are you?", "lol", "you're useless") that names no wish is
    acknowledged (act ``social``) instead of "I do not understand"."""
    decision = _decide(state, nlu, sentiment)
    if state.get("stage") in ANSWER_STAGES and state.get("current"):  # "seen it twice, loved it"
        decision = seen_choice(decision, nlu) or liked_seen(  # "seen it, still want it"
            decision, nlu, float(sentiment.get("compound", 0.0))) or decision
    if nlu.get("outburst") or _refuses_current(state, nlu) or state.get("current") and complains_of_picks(
            nlu.get("words") or ()):  # "are you kidding me, that's 4
        # hours", "I SAID NOT PRETTY WOMAN" with it on the table: sorry, then the act
        decision["notes"] = ["Sorry about that.", *(decision.get("notes") or ())]
    social = nlu.get("social")
    if social == "personal" and nlu.get("catalogue"):  # "is X in your list?": no small talk
        social = None
    if nlu.get("outburst") and decision["act"] == "not_understood" and not decision.get("unknown_person"):
        # "are you serious": no question about the bot, a complaint; sorry, and on
        decision["notes"] = [n for n in decision["notes"] if n != "Sorry about that."]
        social = "insult"
    if social == "insult" and state.get("stage") in ANSWER_STAGES and decision["act"] in _VERDICT_ACTS and not (
            decision.get("added") or decision.get("titles")):  # "this bot is dumb": no verdict on
        return decision | {"act": "social", "social": social, "notes": []}  # the film; what it can do
    if social in _ADDRESSED and decision["act"] in ("fill", "skip") and not decision.get(
            "added") and not decision.get("titles"):  # "you're kinda slow": no slow films
        return decision | {"act": "social", "social": social, "notes": []}
    if social and (decision["act"] == "not_understood" and not decision.get("unknown_person")
                   or decision["act"] == "greet" and social in _SOCIAL_OVER_GREETING):
        return decision | {"act": "social", "social": social}
    return decision


def _refuses_current(state: Mapping[str, Any], nlu: Mapping[str, Any]) -> bool:
    """The film on the table is one the message refuses by title: it was refused before or
    should not have been offered ("i told you no pretty woman!!")."""
    current = state.get("current") if state.get("stage") in ANSWER_STAGES else None
    return isinstance(current, Mapping) and any(
        c.get("slot") == "title" and c.get("exclude") and not holds(c, current)
        for c in nlu.get("constraints") or ())


# "anything that isn't R", "not Tom Cruise, anyone else": the rest are all fine
_ANY = frozenset("""anything anythings any everything whatever whatevers whichever all anyone anybody
    whoever everyone everybody""".split())
_ADDRESSED = frozenset(("insult", "praise"))
# answers to a film shown that a complaint about the bot is never meant as
_VERDICT_ACTS = frozenset(("reject", "next", "ask_like", "ask_another", "not_understood", "accept"))
_SOCIAL_OVER_GREETING = frozenset(("how_are_you", "nice_to_meet", "personal"))
_REFUSALS = frozenset("no nope nah not none nobody noone nothing".split())


def _decide(state: Mapping[str, Any], nlu: Mapping[str, Any], sentiment: Mapping[str, float]) -> dict:
    stage = state.get("stage", "genre")
    decision: dict[str, Any] = {"act": "not_understood", "fills": {}, "title": None,
                                "empathy": _distressed(state, nlu, sentiment),
                                "notes": list(nlu.get("notes") or ())}
    intent = nlu.get("intent")
    if stage == "end":
        return decision | _after_end(state, nlu)
    if nlu.get("empty"):
        return decision | {"act": "empty"}
    if nlu.get("taken") and stage in ANSWER_STAGES and not nlu.get("interrogative"):
        return decision | {"act": "accept", "taken": dict(nlu["taken"])}  # "i'll take Heat"
    if intent == "bye" and stage in ANSWER_STAGES and takes_it(nlu):
        return decision | {"act": "accept"}  # "sounds cool, thanks, bye": this one, then bye
    if intent in ("restart", "bye"):
        return decision | {"act": intent, "own_pick": nlu.get("own_pick")} | (
            _after_restart(state, nlu, sentiment) if intent == "restart" else {})
    if nlu.get("drops_it") and not nlu.get("interrogative"):  # "forget it", "nvm": the film
        # shown is dropped (said so); with none, or at "another one?", the chat ends politely
        on_table = stage in ("watched", "like") and state.get("current")
        return decision | ({"act": "reject", "dropped": True} if on_table else {"act": "bye"})
    if intent == "thanks" and _REFUSALS & set(nlu.get("words") or ()):
        intent = "no"  # "thanks, no" / "thank you, no": a polite no, at any question
        nlu = dict(nlu, intent="no")
    if intent == "thanks" and stage in SLOTS:  # "ok thanks" before any film: no goodbye
        return decision | {"act": "welcome"}
    if intent in ("done", "thanks") and stage in ("watched", "like") and declines_with_thanks(
            nlu.get("words") or ()):  # "nah i'm good" to "Have you watched it?": not this one,
        # and (with "i'm good") whether another is wanted is asked, none pushed
        return decision | {"act": "reject", "declined": True, "settled": says_settled(nlu.get("words") or ())}
    if intent in ("done", "thanks"):  # "I'm good, thanks", "no more": no more films; a thanks
        # at a film shown ("perfect thanks so much", "merci") takes it: "Enjoy <film>"
        taken = stage == "like" or stage == "watched" and intent == "thanks" and state.get("current")
        return decision | {"act": "accept" if taken else "bye"}
    if nlu.get("own_pick"):  # "i'll just watch blade runner": the search is over
        return decision | {"act": "bye", "own_pick": nlu["own_pick"]}
    if nlu.get("recap"):  # "wait what genre did you pick", "recap my preferences": what is noted
        return decision | {"act": "about_bot", "recap": True}
    if nlu.get("account") or nlu.get("several"):  # "based on my letterboxd?", "two actors?"
        return decision | {"act": "capabilities", "account": nlu.get("account"), "several": nlu.get("several")}
    if nlu.get("beyond"):  # "book me tickets", "is it on netflix?": said plainly, then on
        if not any(nlu.get(k) for k in ("constraints", "people", "titles")):
            return decision | {"act": "about_bot", "beyond": nlu["beyond"], "notes": []}
        decision["notes"] = [*decision["notes"], nlu["beyond"]]
    if nlu.get("capability"):  # "can you tell me how long a movie is?": what it can tell
        # "do you know films from 2022?": no, the catalogue ends before
        notes = [n for n in decision["notes"] if not (  # the catalogue's end said once, not twice
            nlu.get("after_catalogue") and n.startswith(CATALOGUE_END))]
        return decision | {"act": "capabilities", "after": nlu.get("after_catalogue"),
                           "last_year": nlu.get("last_year"), "notes": notes}
    if nlu.get("about_bot") and not (nlu.get("help") and _helper_act(stage, nlu) == "help"):
        # "what are you able to do?": what it can do, not what it is
        return decision | {"act": "about_bot", "method": bool(nlu.get("method")),
                           "self_topic": nlu.get("self_topic")}
    if nlu.get("defines"):  # "What means PG-13?": the meaning, then the open question again
        return decision | {"act": "define", "ratings": list(nlu["defines"])}
    if stage in ANSWER_STAGES:  # "its a classic" says something about the film, asks nothing
        nlu = with_criticism(without_remarks(nlu))
        decision["notes"] = list(nlu.get("notes") or ())  # "thats not sad at all": no note
    if nlu.get("wanted_title") and (not nlu.get("question") or nlu.get("picked_title")) and not (
            nlu.get("asked_title") and rating_checks(nlu)):  # "I meant Vertigo, the Hitchcock one"
        hints = [p["name"] for p in people_besides_title(nlu, str(nlu["wanted_title"]))
                 if not p.get("negated")]  # "do you have Ferris Bueller's..?": no Pam Ferris
        return decision | {"act": "have_title", "title": nlu["wanted_title"], "people": hints,
                           "titles": list(nlu.get("wanted_titles") or ())}
    audience = audience_answer(nlu, state, plan_wishes)  # "my 8yo is here, is it ok?"
    if audience is not None:
        return decision | audience
    complained = _complaint_act(stage, state, nlu, sentiment) if stage in ANSWER_STAGES else None
    if complained is not None:  # "that's not dark at all", "he's barely in it"
        return decision | complained
    helper = _helper_act(stage, nlu)
    if helper is not None:
        return decision | {"act": helper}
    question = route_question(stage, state, nlu)
    if question is not None and "sequel" in (question.get("topics") or ()):  # is one, or has one?
        question = question | {"sequel_is": asks_if_sequel(" ".join(nlu.get("words") or ()))}
    if question is not None:
        return decision | question | kept_bound(nlu, state, question, plan_wishes)
    if state.get("suggestion"):  # "no johnny depp" to "Did you mean Jonny Lee Miller?"
        nlu = answer_to_suggestion(nlu, state["suggestion"]["name"])
    plan = plan_wishes(state, nlu)
    decision["notes"] = [*decision["notes"], *step_note(nlu, nlu.get("reference") or state.get("current"))]
    decision["notes"] = kept_notes(decision["notes"], state.get("wishes") or (),  # one bound per child
                                   nlu.get("constraints") or ())
    if stage in ANSWER_STAGES and not _asks_for_wishes(stage, nlu, state.get("current")):
        plan = {"wishes": list(state.get("wishes") or ()), "added": [], "replaced": [],
                "suggest": None}  # "I saw it as a kid", "yes, in the 90s": an answer
    wished = bool(plan["added"] or plan["replaced"] or nlu.get("titles") or nlu.get("title")
                  or nlu.get("seen_titles"))
    missing = not_wished(nlu.get("relaxed") or (), state.get("wishes") or ())
    if missing and not wished and not state.get("suggestion"):  # "forget the horror part"
        return decision | _wish_act(stage, nlu, plan, sentiment) | {"not_wished": missing}
    if stage in ANSWER_STAGES and not state.get("suggestion") and fits_current(
            plan, state.get("current"), nlu.get("words") or ()) and (
            nlu.get("watching") != "yes" and nlu.get("verdict") != "disliked" and nlu.get("intent") != "no"):
        decision["keep_current"] = True  # "r rated" while an R film is shown: it stays
    suggestion = state.get("suggestion")
    # An answer naming one of the choices offered ("wes" to "Did you mean Wes Anderson, Paul Thomas
    # Anderson or ...?") picks it, even where the same words alone would be a new question of their
    # own ("wes": "Did you mean Wes Bentley or Wes Studi?").
    picked_now = _picked_choice(suggestion, nlu) if suggestion else None
    if picked_now and plan["suggest"] and not (plan["added"] or plan["replaced"]):
        plan = dict(plan, suggest=None)
    if suggestion and not plan["suggest"]:
        choice = picked_now
        answer = "yes" if choice else yes_no(nlu, sentiment, stage)
        if not wished and answer in ("yes", "liked") or choice:
            picked = dict(suggestion["constraint"],  # "Wayne or Stewart": both, one wish
                          values=[*(suggestion.get("with") or ()), choice or suggestion["name"]])
            plan = plan_wishes(state, {"constraints": [picked]})
            return decision | _wish_act(stage, dict(nlu, unknown_person=None), plan, sentiment)
        if not wished and (answer in ("no", "disliked") or nlu.get("intent") == "no_preference") and (
                suggestion.get("with")):  # "Aniston or Bulok?" "no": Aniston is still wished for
            plan = plan_wishes(state, {"constraints": [dict(suggestion["constraint"], values=list(
                suggestion["with"]))]})
            return decision | _wish_act(stage, dict(nlu, unknown_person=None), plan, sentiment)
        if not wished and answer in ("no", "disliked"):
            return decision | {"act": "decline"}
        if wished and suggestion["slot"] not in {w["slot"] for w in plan["added"]}:
            decision["keep_suggestion"] = dict(suggestion)  # "scorsese" to "Did you mean Leo?"
    if wished or plan["suggest"]:
        return decision | _wish_act(stage, nlu, plan, sentiment)
    if decision["notes"] and (nlu.get("intent") == "unknown" or nlu.get("intent") == "no" and not (
            _answers_no(nlu))):  # "a christmas movie", "black and white films are not my thing": said why not
        return decision | _wish_act(stage, nlu, plan, sentiment)
    # "no preference. R is fine": the question asked is answered too, never asked again
    declined = [stage] if stage in SLOTS and nlu.get("opening_no") else []
    if stage in SLOTS and nlu.get("permitted"):  # "Tom Hanks is ok I guess": allowed, not asked for
        return decision | {"act": "skip", "permitted": list(nlu["permitted"]), "slots": list(dict.fromkeys(
            [stage if stage in ("actor", "director") else "actor", *declined]))}
    if stage in SLOTS and nlu.get("permits"):  # "PG is fine", "older is ok": allowed, no wish
        slots = [p["slot"] for p in nlu["permits"] if p["slot"] in SLOTS]  # no question again
        return decision | {"act": "skip", "permits": list(nlu["permits"]),
                           "slots": list(dict.fromkeys([*slots, *declined]))}
    if stage in SLOTS and nlu.get("indifferent"):  # "rating doesn't matter" at any question
        return decision | {"act": "skip", "slots": list(nlu["indifferent"])}
    if stage in SLOTS and takes_unshown(nlu, state.get("current")):  # "final answer", no film yet
        return decision | {"act": "no_film_yet"}
    if stage in SLOTS:
        act = _slot_act(nlu, str(state.get("asked") or ""))
        if act == "not_understood" and nlu.get("unknown_person"):
            return decision | {"act": act, "unknown_person": nlu["unknown_person"]}
        if act == "skip" and nlu.get("intent") == "yes":  # "ya whatever": "Okay, any actor."
            return decision | {"act": act, "slots": [stage], "waived": True}
        return decision | {"act": act}
    if nlu.get("intent") == "greeting":  # "hi", "👋" while a film is proposed: hello back
        return decision | {"act": "greet"}
    answer = yes_no(nlu, sentiment, stage)
    words = list(nlu.get("words") or ())
    if answer in ("another", "unsure") and state.get("current") and not _REFUSALS & set(words) and (
            decision["notes"] or asks_topic(words)):  # "anything with talking animals?", "something
        # set in new york?": a topic the catalogue can't search; the film stays, and says so
        notes = decision["notes"] or [str(APPROXIMATIONS["topic"]["note"])]
        return decision | {"act": "topic_kept", "notes": notes}
    return decision | {"act": answer_act(stage, answer), "declined": answer == "no_thanks",
                       "settled": answer == "no_thanks" and stage in ("watched", "like") and says_settled(
                           nlu.get("words") or ()),  # "no thanks im good": another asked, not pushed
                       "hesitant": answer == "hesitant",
                       "no_opinion": stage == "like" and no_opinion(nlu.get("words") or ())}


def _after_restart(state: Mapping[str, Any], nlu: Mapping[str, Any],
                   sentiment: Mapping[str, float]) -> dict[str, Any]:
    """"let's start over, i want a documentary": the wishes said with the restart are the new
    search's first (``{"after_restart": decision on a fresh state}``, else ``{}``)."""
    if not any(nlu.get(k) for k in ("constraints", "people", "titles")):
        return {}
    fresh = dict(new_state(int(state.get("seed") or 0)), stage="genre")
    after = _decide(fresh, dict(nlu, intent="unknown"), sentiment)
    return {"after_restart": after} if after.get("act") in ("fill", "suggest") else {}


def _after_end(state: Mapping[str, Any], nlu: Mapping[str, Any]) -> dict:
    """After the goodbye: a question about the film just taken ("how long is it again?") is
    answered, "start over" starts again; anything else (a new search) is told the way on
    ("another", "nope wait" are read before: ``chatbot.closing_acts``)."""
    decision: dict[str, Any] = {"act": "ended", "empathy": False, "notes": []}
    if nlu.get("intent") == "restart":
        return decision | {"act": "restart"}
    if _parting(nlu):  # "👋", "take care": a goodbye back; "cheers", "👍": a thanks answered
        return decision | {"act": "bye", "thanked": not _farewell(nlu)}  # once, no second goodbye
    asks = nlu.get("question") and nlu.get("about_film") and not (
        nlu.get("constraints") or nlu.get("people") or nlu.get("titles"))  # "one more thing:
    # how long is it?" asks about the film; "one more, with Tom Hanks?" is a new search
    searching = nlu.get("request") or nlu.get("film_ask") or nlu.get("intent") == "another"
    if not state.get("current") or searching and not asks:
        return decision
    question = route_question("like", state, nlu)
    if question is not None and question.get("act") in ("answer", "filmography", "have_title"):
        return decision | question
    return decision


def _parting(nlu: Mapping[str, Any]) -> bool:
    """After the goodbye, words that part too: thanks, a goodbye, a wave ("👋" reads "hi"),
    warm words ("lovely, you're a star"); not a question ("hello?") nor a new search."""
    if nlu.get("question") or nlu.get("request"):
        return False
    if nlu.get("intent") in ("bye", "thanks", "done") or thanks_only(nlu.get("words") or ()):
        return True  # "have a nice day" reads as asked; "thanks bud" thanks
    if nlu.get("interrogative"):
        return False
    searching = any(nlu.get(k) for k in ("constraints", "people", "titles", "film_ask"))
    warm = nlu.get("social") in ("praise", "emoji") or nlu.get("approval")
    return bool(warm) and not searching and nlu.get("intent") in ("greeting", "unknown", "yes")


def _farewell(nlu: Mapping[str, Any]) -> bool:
    """Words that say goodbye ("take care", "👋", "ta very much x": a kiss signs off), not
    only thanks or approval ("cheers", "👍")."""
    words = [w for w in nlu.get("words") or () if w.isalnum()]
    return nlu.get("intent") in ("bye", "greeting") or bool(words) and words[-1] in _SIGN_OFFS


_SIGN_OFFS = frozenset("x xx xxx xo xoxo".split())


def _helper_act(stage: str, nlu: Mapping[str, Any]) -> str | None:
    """``help`` for "what can you do?" / "huh?", ``film_asked`` for a plain "recommend me a
    good movie" at a question: words that name no wish, so nothing else to read."""
    wished = any(nlu.get(k) for k in ("constraints", "people", "titles", "title", "asked_title",
                                      "notes", "correction", "seen_titles"))
    if stage in SLOTS and nlu.get("impatient") and not wished:  # "sheesh, too many questions":
        return "pick_now"  # no unknown person "Sheesh"
    if wished or nlu.get("unknown_person"):
        return None
    on_table = stage in ANSWER_STAGES and (nlu.get("question") or nlu.get("about_film"))
    if nlu.get("help") and not on_table:
        return "help"
    if stage in SLOTS and (nlu.get("delegate") or nlu.get("impatient")):  # "surprise me",
        # "idk you pick", "I don't want to answer twenty questions": pick now
        return "pick_now"
    plain = nlu.get("intent") in ("unknown", "greeting", "yes", "no_preference") or (
        nlu.get("intent") == "no" and not _answers_no(nlu))  # "my english is not so good..."
    return "film_asked" if stage in SLOTS and plain and nlu.get("film_ask") else None


def _complaint_act(stage: str, state: Mapping[str, Any], nlu: Mapping[str, Any],
                   sentiment: Mapping[str, float]) -> dict | None:
    """What is wrong with the film on the table (``chatbot.pushback``): a different film,
    keeping to the genres it missed and saying what the catalogue cannot tell."""
    found = nlu.get("complaint")
    if not found or not state.get("current") or nlu.get("asked_title") and compares_quality(nlu):
        return None  # "did critics like it better than Dumb and Dumber?" asks, wishes nothing
    wished = [v for w in state.get("wishes") or () if w["slot"] == "genre" and not w["exclude"]
              for v in w.get("values") or ()]
    if found.get("tones") and not any(found[k] for k in ("genres", "excess", "minor_part", "studios")):
        # "darker", "something lighter": another film, the mood said unknowable
        return _tone_act(stage, state, nlu, sentiment)
    if nlu.get("interrogative"):  # "it's not scary, right?" asks; "kind of sad, no?" objects
        found = dict(found, genres=[g for g in found["genres"] if g in wished], moods=[])
        if asks_of_film(nlu.get("words") or ()):  # "is it too scary?" asks whether it is
            found = dict(found, excess=[])
        if not (found["genres"] or found["unwanted"] or found["minor_part"] or found.get("excess")):
            return None
    notes = complaint_note(found, str(state["current"].get("title")), wished)
    if not (found["moods"] or found["unwanted"]):  # else the moods' own notes say it again
        notes = [*nlu.get("notes", ()), *notes]
    fresh = [{"slot": "genre", "values": [g], "exclude": False} for g in found["genres"]
             if g not in wished] + _less_of(found, nlu)
    if not fresh:
        return {"act": "reject", "notes": notes}
    plan = plan_wishes(state, {"constraints": fresh})
    return _wish_act(stage, {}, plan, sentiment) | {"reject": True, "notes": notes}


_ASKED_OF = frozenset("is was will would does did isnt".split())
_POINTERS = frozenset("it this that the".split())


def asks_of_film(words: Sequence[str]) -> bool:
    """"(ok but) is it too scary", "will it be too gory": a yes-or-no question about the film
    (a verb, then the film), not a complaint that it is so."""
    return any(words[i] in _ASKED_OF and words[i + 1] in _POINTERS for i in range(len(words) - 1))


def _tone_act(stage: str, state: Mapping[str, Any], nlu: Mapping[str, Any],
              sentiment: Mapping[str, float]) -> dict:
    """"something lighter", "less cheesy": a film other than the one shown, every wish kept;
    lighter leaves out the war and horror films not asked for; the mood is said unknowable once."""
    tones = nlu["complaint"]["tones"]
    earlier = [w for w in state.get("wishes") or () if w.get("tone")]  # the last step's, replaced
    asked = [w for w in state.get("wishes") or () if not w.get("tone")]
    wished = [v for w in asked if w["slot"] == "genre" and not w["exclude"] for v in w.get("values") or ()]
    refused = [v for w in asked if w["slot"] == "genre" and w["exclude"] for v in w.get("values") or ()]
    said = [v for c in nlu.get("constraints") or () if c["slot"] == "genre" and not c["exclude"]
            for v in c.get("values") or ()]  # "not as serious, something more fun": comedy
    moved_to = toward(direction(tones), [*wished, *said], state["current"].get("genres") or (), refused)
    kept_out = [g for g in ("war", "horror") if g not in wished and g not in refused and not moved_to
                ] if lightens(tones) else []
    fresh = [c for c in nlu.get("constraints") or ()  # "less silly" denies no comedy asked for
             if not (c["slot"] == "genre" and c["exclude"] and set(c.get("values") or ()) & {
                 *wished, "war", "horror"})]
    notes = [tone_note(tones, str(state["current"].get("title")), kept_out, moved_to)]
    steps = [{"slot": "genre", "values": kept_out, "exclude": True, "tone": True}] if kept_out else []
    steps += [{"slot": "genre", "values": moved_to, "exclude": False, "tone": True}] if moved_to else []
    liked = {"titles": list(nlu.get("titles") or ()), "title": nlu.get("title")}
    if not fresh and not steps and not earlier and not liked["titles"]:  # one lead-in: the note says another comes
        return {"act": "reject", "notes": notes, "led_in": True}
    # the genres carrying the tone, beside (never instead of) the genres asked for
    plan = plan_wishes(dict(state, wishes=asked), {"constraints": fresh})
    plan = dict(plan, wishes=[*plan["wishes"], *steps], added=[*plan["added"], *steps],
                replaced=[*plan["replaced"], *earlier])
    # "something darker? like Fight Club": like it, never it
    return _wish_act(stage, liked if liked["titles"] else {}, plan, sentiment) | {"reject": True, "notes": notes}


def _less_of(found: Mapping[str, Any], nlu: Mapping[str, Any]) -> list[dict]:
    """"too romantic for her, something more fun": no romance, and the other wishes said
    (never the complained-of genre read as a wish for it)."""
    excess = list(found.get("excess") or ())
    if not excess:
        return []
    said = set(excess) | set(found.get("genres") or ())
    others = [c for c in nlu.get("constraints") or ()
              if not (c["slot"] == "genre" and said & set(c.get("values") or ()))]
    return [{"slot": "genre", "values": [g], "exclude": True} for g in excess] + others


def with_criticism(nlu: Mapping[str, Any]) -> Mapping[str, Any]:
    """While a film is shown, "no, that's too long" criticises it, whatever the question
    open: a wish for a shorter one (relative to it), never a "no, not watched"."""
    wish = nlu.get("criticised_length")
    constraints = list(nlu.get("constraints") or ())
    if not wish or any(c["slot"] == "runtime" for c in constraints):
        return nlu
    return dict(nlu, constraints=[*constraints, dict(wish)])


def _asks_for_wishes(stage: str, nlu: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> bool:
    """While a film is proposed, whether the words ask for something: an answer about having
    watched it, a verdict or (at "have you watched it?" / "do you like it?") a plain yes
    keeps its circumstances to itself ("I saw it as a kid", "yes, in the 90s"); a child
    who will watch too ("my son is 6 and wants to watch too") is a rating the film shown
    must meet, never a yes to an R film."""
    if nlu.get("watching") != "yes" and any(
            c["slot"] == "mpaa" and c.get("audience") and not c.get("exclude") and
            (current or {}).get("mpaa") not in c.get("values", ()) for c in nlu.get("constraints") or ()):
        return bool(current)
    if nlu.get("request") or nlu.get("asks_other") or nlu.get("correction") or nlu.get("titles") or (
            nlu.get("title") or nlu.get("seen_titles")) or nlu.get("relaxed") or (
            nlu.get("alternative") and nlu.get("constraints")):  # "ok, a western then"; "seen it, and Goodfellas and
        # Casino too", "seen it, drop the director"
        return True
    if any(p.get("cue") == "film_of" and not p.get("negated") for p in nlu.get("people") or ()):
        return True  # "alright, a denzel one then": someone's film asked for, no "alright" to this
    if any(c["slot"] == "mpaa" and not c.get("audience") for c in nlu.get("constraints") or ()):
        return True  # "r ok": a rating is a wish, never a circumstance of having watched it
    if any(c.get("relative") or c.get("than") or c.get("requested") or _shortens(c) for c in nlu.get("constraints") or ()):
        return True  # "no, way too long", "ugh 2 hrs is way too much": a wish, whatever the verdict
    if refuses_beside(nlu):  # "seen it, meh. nothing from the 80s": a refusal is never
        return True  # a circumstance of having watched it, nor a verdict on it alone
    answer_only = nlu.get("watching") is not None or nlu.get("verdict") is not None or (
        nlu.get("intent") == "yes" and stage != "another" and not emphasised_wish(nlu))
    return not answer_only


def _shortens(wish: Mapping[str, Any]) -> bool:
    """A length the films must stay under ("2 hrs is way too much", "nothing over 90 min")."""
    if wish.get("slot") != "runtime":
        return False
    first, last = wish.get("range") or (None, None)
    return (first is None and last is not None) if not wish.get("exclude") else (first is not None and last is None)


def _picked_choice(suggestion: Mapping[str, Any], nlu: Mapping[str, Any]) -> str | None:
    """The one of "Did you mean A or B?" the answer names: "wes", "paul thomas", "the second"."""
    choices = list(suggestion.get("choices") or ())
    words = [w for w in nlu.get("words") or () if w not in _PICK_FILLERS]
    if len(choices) < 2 or not words:
        return None
    for ordinal, index in _ORDINALS.items():
        if ordinal in words and index < len(choices):
            return str(choices[index])
    named = [c for c in choices if set(words) <= set(fold(c).split())]
    return str(named[0]) if len(named) == 1 else None


_ORDINALS = {"first": 0, "1": 0, "1st": 0, "former": 0, "second": 1, "2": 1, "2nd": 1,
             "latter": -1, "third": 2, "3rd": 2, "last": -1}
_PICK_FILLERS = frozenset("the one i mean meant yes yeah please oh ah um".split())


def _wish_act(stage: str, nlu: Mapping[str, Any], plan: dict[str, Any],
              sentiment: Mapping[str, float]) -> dict:
    act = "fill" if stage in SLOTS else "refine"
    if plan["suggest"] and not (plan["added"] or plan["replaced"] or nlu.get("title")):
        act = "suggest"
    fills = summary(plan["added"])
    result = {"act": act, "fills": fills, "title": nlu.get("title"),
              "titles": list(nlu.get("titles") or ([nlu["title"]] if nlu.get("title") else [])),
              "wishes": plan["wishes"], "added": plan["added"], "replaced": plan["replaced"],
              "suggest": plan["suggest"], "unknown_person": nlu.get("unknown_person"),
              "seen_titles": list(nlu.get("seen_titles") or ()),
              "seen_liked": bool(nlu.get("seen_liked")), "seen_by": nlu.get("seen_by")}
    if stage in SLOTS and stage not in fills and _declines(stage, nlu):
        result["skip"] = True  # "anyone, but it should be directed by David Fincher"
    if stage in SLOTS and (nlu.get("delegate") or nlu.get("impatient")):  # "a comedy, surprise
        # me", "just give me a comedy": no more questions
        result["delegate"] = True
    # "a comedy, rating doesn't matter"; "R is ok" answers the rating question
    answered = [p["slot"] for p in nlu.get("permits") or () if p["slot"] in SLOTS]
    if nlu.get("indifferent") or answered:
        result["indifferent"] = [*(nlu.get("indifferent") or ()), *answered]
    if _ANY & set(nlu.get("words") or ()):  # "anything that isn't R": the rest are all fine
        result["any_but"] = True
    if stage == "like" and yes_no(nlu, sentiment, stage) in ("no", "disliked"):
        result["reject"] = True
    return result


def _declines(stage: str, nlu: Mapping[str, Any]) -> bool:
    """The words answer the question asked with a no preference, beside other wishes ("anyone,
    but directed by Fincher", "no not really. oh and nothing too long")."""
    return nlu.get("intent") == "no_preference" or declines_slot(nlu.get("words") or (), stage) \
        or bool(nlu.get("opening_no"))


def _slot_act(nlu: Mapping[str, Any], asked: str = "") -> str:
    intent = nlu.get("intent")
    if intent == "no_preference" or intent == "no" and _answers_no(nlu):
        return "skip"
    if intent == "another" or intent in ("no", "unknown") and _NEXT_WORDS & set(nlu.get("words") or ()):
        return "skip"  # "nope not into that, next", "pass": no preference, the next question
    if intent == "yes" and _INDIFFERENT_WORDS & set(nlu.get("words") or ()):
        return "skip"  # "👌 whatever", "sure, anyone": an ok to anything, no yes to clarify
    if intent == "yes":
        return "clarify" if _says_there_is(nlu, asked) else "skip"
    if intent == "greeting":
        return "greet"
    return "not_understood"


def _says_there_is(nlu: Mapping[str, Any], asked: str) -> bool:
    """A yes that says there is someone to name: a plain "yes" / "sure" to a yes-no question
    ("Is there a director you enjoy?"). To "Which actor would you like?" or "Who is it?" a
    "sure", "👍" or "ok cool" names no one, and an acknowledgement ("k", "sounds good") is
    no yes at any question: both are read as no preference, never asked again."""
    words = set(nlu.get("words") or ())
    if words & _HESITATIONS:  # "hmm ok", "sooo yeah um": not sure yet, so asked who
        return True
    if nlu.get("social") == "emoji" or words & _ACKNOWLEDGEMENTS:
        return False
    return not asked or asked.startswith(_YES_NO_OPENERS) or not words <= _AGREEING


# the questions of ``chatbot.nlg`` a plain yes answers ("Do you have a favourite director?")
_YES_NO_OPENERS = ("Is there", "Do you", "Are there", "Would you", "Any ")
_ACKNOWLEDGEMENTS = frozenset("""ok okay k kk kay okey okie cool alright aight fine good great
    nice sounds works perfect gotcha np noted sweet understood thx""".split())
_AGREEING = frozenset("sure thing yes yeah yep yup ya yea certainly of course".split())
_HESITATIONS = frozenset("um umm uh uhh hmm hm hmmm er erm well so soo sooo".split())


def _answers_no(nlu: Mapping[str, Any]) -> bool:
    """A "no" that answers the open question: a short reply or one that opens with it ("nope,
    whatever you like"), not a "not" inside a long message ("my english is not so good. i
    search a film for this evening")."""
    words = [w for w in nlu.get("words") or () if w not in _OPENERS]
    return len(words) <= _SHORT_ANSWER_WORDS or bool(
        _NO_WORDS & set(words[:_NO_WITHIN]))  # "i haven't seen the first ones"


_OPENERS = frozenset("um uh er erm hmm hm well oh so ok okay hold wait actually hey".split())
_INDIFFERENT_WORDS = frozenset("""whatever whatevs whoever whichever anyone anybody anything
    idc dunno idk""".split())
_NEXT_WORDS = frozenset("next skip pass".split())
_SHORT_ANSWER_WORDS = 4
_NO_WITHIN = 3  # the refusal opens the answer: among its first words
_NO_WORDS = _REFUSALS | frozenset("havent hasnt dont didnt doesnt cant wont never naw nay not".split())


def _distressed(state: Mapping[str, Any], nlu: Mapping[str, Any], sentiment: Mapping[str, float]) -> bool:
    """A strongly negative mood about oneself (not about a film), noticed once per session."""
    if state.get("empathy_shown") or float(sentiment.get("compound", 0.0)) > DISTRESS:
        return False
    words = set(fold(str(nlu.get("rest") or "")).split())
    return bool(words & _SELF_WORDS) and bool(words & _MOOD_WORDS)
