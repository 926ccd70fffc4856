"""Runs the realistic conversations and judges them against the catalogue, read with SQL.

The judge never asks the chatbot's code what a film is: genres, cast, directors, rating, year,
runtime and critics' figures come from the catalogue tables (``movies``, ``movie_genres``,
``credits``, ``people``) through plain SQL, so a bug in the chatbot's search cannot hide itself.
Used by ``tests/test_realistic_conversations.py`` and by ``chatbot eval`` (dialog section).
Example::

    suite = load_cases()
    judge = Judge("sqlite:///var/chatbot.sqlite3")
    result = run_case(Chatbot(), suite[0])
    judge(suite[0], result.turns)       # [] when the conversation passed, else the failures
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text

CASES_PATH = Path(__file__).with_name("conversations.yaml")
KINDS = ("happy", "answer_as_slot", "negation", "release_date", "multi_value", "correction",
         "wrong_person", "watch_with", "film_questions", "description", "volunteered",
         "punctuation", "runtime",
         # from a newcomer's session on the first round
         "negation_scope", "everyday_words", "proposed_questions", "watched_answers", "or_lists",
         "relative_dates", "surnames", "known_for", "restart", "yes_no_tone", "out_of_matches",
         "titles_unknown", "softening", "value_phrasing", "facts_stated", "exclusion_asks",
         # from a newcomer's session on the second round
         "closing", "eager_yes", "open_questions", "topics", "moods", "genre_fit", "kids_ages",
         "slot_correction",
         # from a newcomer's session on the third round
         "cameo_leads", "names_alone",
         # from a newcomer's session on the fourth round
         "range_clash", "date_direction", "reversed_wishes", "everyday_not_names",
         "names_joined",
         # from a newcomer's session on the fifth round
         "proposal_requests", "thanks_midway", "openers", "film_reasons",
         # newcomers 71 and 74: "older"/"newer"/"longer"/"shorter" bound at the film shown
         "relative_bounds",
         # left open after the fifth round (newcomer 31)
         "lone_names", "role_constraints", "casual_similar", "casual_ratings",
         "answer_and_question", "vague_requests",
         # from a newcomer's session on the sixth round
         "film_remarks", "exclusion_reversals", "learner_phrasing", "cast_facts",
         "short_replies",
         # round 6b (newcomer 38): social acts, loops, tense, other-film questions, long
         # messages, wishes not kept, the catalogue's limits
         "social_acts", "polite_loops", "watch_tense", "other_film_questions",
         "long_messages", "unkept_wishes", "catalogue_limits",
         # round 6a (newcomer 38): scope, namesakes, lengths, asides, tone
         "flipped_scope", "famous_namesakes", "spoken_lengths", "life_asides", "tone_fit",
         # round 6c (newcomer 38): misspelt famous names, two people's tastes, titles
         # excluded, the user's own past, sensitive viewers
         "misspelt_famous", "past_life", "sensitive_viewers", "two_tastes",
         "title_exclusions",
         # newcomer 42: plain words read as names or titles; spoken years, ages and ratings;
         # questions about another film, and its person used afterwards
         "plain_words", "spoken_numbers", "another_film", "confirmed_genres",
         # round 7 (newcomer 42): negations, removals, dislikes, bound corrections and
         # permissions read as their opposite; replies to a proposal; films named as liked
         # or seen; "no preference" for everything
         "opposite_readings", "proposal_replies", "named_films", "any_and_done",
         # newcomer 46: refused franchises whose titles lack the name; easily scared viewers
         # with mixed signals; ages in words; "her"/"him" after a cast list; the user's own
         # past; "nineteen seventy something"
         "refused_franchises", "scared_viewers", "ages_in_words",
         "cast_referents", "own_past", "vague_years_names",
         # round 8 (newcomer 47): complaints about a proposal; seen lists with franchise
         # names; a liked film kept beside a mood; cast questions; garbled slot answers;
         # critics' figures when asked for an opinion
         "proposal_complaints", "seen_lists", "like_with_mood", "cast_questions",
         "garbled_slots", "critics_offered",
         # round 8 (newcomer 48): the proposal accepted; questions naming another film; films
         # asked for by title; openers asking for help; wishes dropped; answers off the mark
         "accept_proposal", "question_subject", "titles_asked", "help_openers",
         "dropped_wishes", "proposal_answers",
         # round 8 (newcomer 47): polarity: a confirmed refusal stays one; a "no" answering
         # the question; a refused film is no refused genre; permissions and soft dislikes;
         # relaxed wishes said; names inside refusals
         "confirmed_refusals", "answer_no_scope", "refused_films_not_genres",
         "permissions_dislikes", "relaxed_honestly", "names_in_refusals",
         # round 9 (newcomer 51): words that point back are no titles; whole seen lists
         "pointing_words", "seen_whole_lists",
         # round 9 (newcomer 51): a film asked for by title in everyday words
         "titles_in_words",
         # round 9 (newcomer 51): a refusal said back in a complaint or a check; "too old" means newer
         "refusals_recalled", "too_old_direction",
         # round 10 (d17): complaints of a film's age; the film an age complaint names; a
         # film liked but not to be shown; a refusal in the first message; era wishes in
         # everyday words
         "age_complaints", "age_of_named_film", "liked_not_again", "opening_refusals",
         "era_words",
         # round 10 (d16): everyday-word titles in lists; contractions and slang never names;
         # films a list names that the catalogue lacks; films named as the catalogue names
         # them; a lower-case title in a title's place
         "everyday_titles_listed", "contractions_not_names", "unknown_in_lists",
         "catalogue_names", "lowercase_title_place",
         # round 10 (newcomers 53, 54): a permission widens a slot, never narrows it; "any
         # year" clears a slot; negated questions that request; a choice is any of its values
         "permission_widens", "slot_cleared", "negated_requests", "or_choices",
         # round 10 (newcomers 53, 54): replies while a film is on the table: films listed
         # beside the answer; complaints about the film; acceptance and goodbye naming a
         # film; questions after the goodbye
         "seen_beside_answer", "taken_by_name", "after_goodbye", "complaint_direction",
         # round 10 (newcomers 53, 54): questions the catalogue answers; small talk, ages and
         # everyday words read as wishes or names; two acts in one message; what the bot can
         # do, and impatience
         "catalogue_answers", "small_talk", "two_acts", "capabilities",
         # round 11 (d23, newcomer 60): what a negation or a tired-of attitude covers
         "attitude_scope",
         # round 11 (d23, newcomer 60): answers that release a slot never loop its question
         "released_slots",
         # round 11 (d23, newcomer 60): the dialog's own words misspelt are no names
         "misspelt_slot_words",
         # round 11 (d23, newcomer 60): lengths said roughly are ranges around them
         "approximate_lengths",
         # round 11 (d23, newcomer 60): a surname asked about the film on the table is its
         # credited person
         "surnames_on_table",
         # round 11 (newcomer 60, d22): questions naming a sequel or a remake; films named
         # while another is proposed; definitions and filmographies asked; seen and wanted
         # again, or seen and something new; complaints about the proposal
         "sequel_questions", "named_instead", "asked_not_wished", "seen_and_wanted",
         "complaints_move_on",
         # round 11 (d21): comparisons with a film named
         "than_named_film", "first_names", "life_years", "owned_proposal",
         "person_styles", "surname_choices", "relative_steps",
         "impatient_wishes", "coined_titles_listed",
         # round 11 (merge of d21 and the choices): a first name picking one of the choices offered
         "choice_picks",
         # round 12 (dl1, newcomer 60): every item of a list taken, whatever the joiners; lengths
         # as people write them; a year told of someone's life is no wish; digits in titles
         "listed_items", "casual_lengths", "years_in_passing", "digit_titles",
         # round 12 (dl2, newcomer 60 left open): a surname meant by the conversation's genre,
         # years and the names beside it; everyday words as titles only where a title goes;
         # a criticism of the film shown is no answer to the question; every namesake of a
         # first name refused
         "surnames_in_context", "everyday_word_titles", "criticism_not_answer",
         "first_name_refusals",
         # round 12 (d24, newcomer 64): punctuation said aloud is a mark, no goodbye
         "spoken_punctuation", "year_bounds", "correction_swaps",
         "earlier_film_taken", "conversation_questions",
         "rating_unknown", "loose_names_loops",
         # round 13 (d25, newcomers 60/64): a film named as an answer; surnames in any list;
         # verbs of excluding over their list; title words no wishes; comparatives vs the film
         "title_answers", "listed_surnames", "exclusion_verbs", "title_words",
         "comparatives_against",
         # newcomer 68: a question about the film on the table keeps the wishes; an explicit
         # decade beside "older"/"newer" wins; "him"/"hers" is the person the user named
         "questions_keep_wishes", "decade_with_relative", "people_pronouns",
         # d28 (newcomer 68): a question naming a film's fact before any film is proposed
         "questions_before_film", "watched_whole_answers", "titles_alone",
         "unfilterable_wishes", "loose_lengths",
         # round 14 (d27): a rating named in a short refusal or wish ("no R please") is a
         # rating, never the film called "R"
         "ratings_not_titles",
         # round 14 (d27): "a lower rating", "a tamer one", "more grown-up": a rating bound
         # moved from the proposed film's rating, said, with every other wish kept
         "rating_steps",
         # round 14 (d27): "darker", "lighter", "less cheesy" against the film on the table:
         # another film, genres where honest, the mood said unknowable, no wish dropped
         "tone_steps",
         # round 14 (d27): "drop horror" gives up exactly that wish, and says so (or that it
         # was never asked for); a wish said again that the film shown meets keeps that film
         "drop_exactly", "repeat_fits",
         # d32 (newcomers 71, 74): what a reply to a proposal asks for is what is done: a
         # request for another film is no acceptance; leaving in any words; time to think
         "other_film_requests", "leaving_words", "thinking_time",
         # d32 (newcomer 74): a wish beside "seen it" and an opinion; an answer beside a wish
         "wish_beside_seen", "answer_beside_wish",
         # d32 (newcomers 71, 74): a film chosen by name or by pointing back is the one taken
         "films_chosen_back",
         # newcomer 74 (d29): a feeling, a reason or a viewer beside a question about the film
         # on the table keeps the film
         "feeling_questions",
         # newcomer 74 (d29): a complaint or remark is never the opposite wish
         "complaints_not_wishes",
         # d31 (newcomer 71): "don't care for X", "X isn't my thing" refuse X, never wish it
         "negated_liking",
         # d31 (newcomer 74): "Besides <film>, X also ..." only when X made the film on the table
         "credited_on_table",
         # d31 (newcomers 71, 74): "old-school", "the last 10 yrs"; a bound quoted in "why
         # ...?" is no wish; "classic but seen it" is praise
         "date_words",
         # d31 (newcomer 74): "films from 2022?" (no), "based on my letterboxd?" (can't),
         # "more than one actor?" (yes, how)
         "capability_truths",
         # newcomers 71/74 (d30): "X or Y" for people widens, never adds beside; corrections
         # and "forget that" about people; a person described, not named
         "people_or_lists", "people_corrections",
         # d33 (newcomers 71, 74): everyday typos, homophones and other languages' genre
         # words; a question never asked and waived at once; openers naming an occasion;
         # goodbyes and thanks after the end get a goodbye
         "everyday_typos", "learner_genre_words", "asked_or_waived", "occasion_openers",
         "goodbyes_after_end",
         # d36: people by a film they are known for; a part of a wish given up; dislikes of a
         # look or form the catalogue lacks; questions to the bot itself; the feel of a film
         "known_from_films", "wish_parts_dropped", "style_dislikes", "bot_itself", "film_feel",
         # d36: everyday short names in a sentence ("I love de niro", "any arnie films?")
         "nickname_names",
         # d35 (newcomer 75): typos in a question's words; a comparison asked is no wish; a
         # polite refusal read by the question asked; everyday leaving and dropping words;
         # lighter/darker moving the genre; a comparison before any film
         "question_typos", "comparisons_asked", "polite_refusals", "leaving_slang",
         "tone_direction", "compared_before_film", "spoken_fillers",
         # d38 (newcomer 76): an answer with a question; taking the film and leaving at once;
         # questions about a film named or asked about just before; after the end, thanks in
         # other languages and questions; sarcasm around a plain answer
         "answer_with_question", "take_and_leave", "other_film_asks", "after_the_end",
         "sarcastic_answers",
         # d37 (newcomer 76): a bound's own "not" in a refusal list; words said of people no
         # titles, "riot without X" a wish; hedges that permit; relative words; dictated openers
         "bounds_in_refusals", "everyday_predicates", "hedged_permissions", "relative_words",
         "dictated_openers",
         # d39 (newcomer 76): titles refused in a list or loved never proposed back; titles by
         # initials or acronym; learners' asks answered; no "I do not understand" for "?",
         # "know preference", "seen everything"; reply sentences that agree
         "refused_loved_titles", "title_short_forms", "learner_asks", "understood_anyway",
         "coherent_replies",
         # d40 (newcomer 79): a wish changed while a film is shown ("wait no make it spielberg");
         # yes/no answers that say more ("ok yes ill watch", "no i dont like it")
         "switch_while_shown", "yes_no_with_more",
         # d40 (newcomer 79): films named as loved, misspelt, inside a sentence
         "loved_titles_misspelt",
         # d41: yes/no answers by their committed polarity ("of course not", "yes, no, wait,
         # no"); several questions in one message, each answered and only those; short
         # titles inside ordinary words or longer titles, initials however written; a film
         # taken before any is shown
         "committed_answers", "several_questions", "titles_in_phrases", "no_film_yet",
         # d42: people named in passing as liked or pointed back at; a surname while a film
         # is shown; the rest of a message beside "which one?"; a lighter tone said twice moves once
         "liked_people", "people_pointed_back", "surname_best_known", "rest_beside_which",
         "tone_once",
         # d44 (newcomer 82): "ok sure", "deal", "let's do it", 👍 to "Have you watched it?"
         # take the film, never "seen it"
         "agreeing_answers",
         # d44 (newcomer 82): questions about the film shown in words of their own ("is this
         # one long?", "how come?", "what ratings exist?") answered from the catalogue
         "film_facts_asked",
         # d44 (newcomer 82): "maybe a thriller then" in horror's place, other limits kept;
         # "not that one. is there one with X" adds X; "thanks bud" to "another?" is no yes
         "alternative_wishes",
         # d44 (newcomer 82): "what was that war one called again", "the first one you said"
         # name the earlier film, "that one" then takes it; "still tom hanks" keeps the film
         "recalled_films",
         # d44 (newcomer 82): praise taken back at its end ("... not.", "/s", "yeah right")
         "sarcastic_closers",
         # d44 (newcomer 82): "Se7en then" found; "nothing too gory" keeps a child's rating;
         # "scfi", "helo" read
         "fillers_limits_typos",
         # d43 (newcomer 85): titles with years in lists told of, never proposed back; a film
         # named alone ("rocky?", "what about locke", "X sounds good") while another is shown
         "years_in_lists", "film_named_alone",
         # d43 (newcomer 85): texting shorthand ("kids r here", "ur call", "n") read as words
         "texting_words",
         # d43 (newcomer 85): "he's kinda over cartoons", "over horror lately": refusals
         "tired_over",
         # d43 (newcomer 85): children's ages beside a rating refusal or in a correction bound it
         "ages_beside_refusals",
         # d43 (newcomer 85): voice typing's sound-alikes ("not to long", "an our", "are is fine")
         "dictated_homophones",
         # d43 (newcomer 85): "late 90s to early 2000s" is one span, 1997-2003
         "era_spans",
         # d45 (newcomer 87): refusals said beside an answer to a proposal are wishes, and a
         # wish at "another one?" is a yes with it; the open question echoed before its answer
         "wishes_beside_answers", "echoed_questions",
         # d45 (newcomer 87): one-word or digit-spelt titles named alone or as loved
         "lone_loved_titles",
         # d45 (newcomer 87): the only match is a film the user named: said so, no "no exact
         # match", and the person just named kept
         "named_film_matches",
         # d45 (newcomer 87): "without leo" is the Leo "with leo" is; "something like X
         # instead" replaces the films liked before and the wishes X does not meet
         "without_familiar_names", "like_instead",
         # d46 (newcomer 87): decades refused after "not a fan of anything from" and people's
         # "stuff" refused ("not into spielberg or lucas stuff"), beside "seen it" or alone
         "refusals_beside_seen",
         # d46 (newcomer 87): a title after "big fan of", "obsessed with", "what about", "how
         # about" is "something like" it, everyday-word titles too; elsewhere a word stays one
         "fan_of_titles",
         # d46 (newcomer 87): lengths in words ("something two hours long"); "that one is long
         # tho" to a proposal is a no with a wish for shorter, never a yes
         "duration_words",
         # d46 (newcomer 85): dictated "question mark" after a statement the message goes on
         # from is a mark, no question; "scratch X comma Y" puts Y in X's place
         "dictated_marks",
         # d47 (newcomer 90): "seen it already lol" is seen, not liked; "yeah loved it" to
         # "Have you watched it?" is seen and liked, never a goodbye; a "no" about the film at
         # "another?" is no goodbye; "X obviously" while a film is shown is a wish
         "seen_readings",
         # d47 (newcomer 90): lists of loved or hated films keep every title however written
         # (commas, "and", numbered or dashed lines, misspelt); one the catalogue lacks is named back
         "loved_lists",
         # d47 (newcomer 90): "nothing after about 1975" is a bound, never an excluded window;
         # a new bound that leaves little of the years asked before, or corrects them, replaces them
         "rough_year_bounds",
         # d47 (newcomer 90): a grown-up rating refused ("no R") is never offered back stricter (NC-17)
         "stricter_ratings",
         # d48 (newcomer 89): a film named while another is shown is the one wanted ("how
         # about heat?", "se7en pls", "what about A or B?"); wanting the film shown takes it
         "named_while_shown", "wanting_takes",
         # d48 (newcomer 89): a question about the film shown or a person is answered, never
         # taken as an answer or a wish; "i didn't ask for X" gives X up
         "asked_not_answered",
         # d48 (newcomer 89): an emoji of several joined (🏴‍☠️) read whole, never its parts
         "joined_emoji",
         # d49 (newcomers 89, 90): going back to a film shown earlier takes or describes it;
         # a question about a film the bot just named answers about that film and offers it
         "back_to_earlier", "named_film_asked",
         # d49 (newcomer 90): "i said no sappy stuff" refuses a mood, never the film shown
         "mood_no_kept",
         # d49 (newcomer 90): "do you even have X?" with a film shown asks the catalogue
         "catalogue_even",
         # d50 (newcomer 93)
         "number_titles", "thumbs_down_wish", "refusal_and_length",
         "show_me_title", "cannot_sit_through", "leading_surname",
         # dx: a question and a wish in one message; children's ages in everyday words;
         # acknowledgements at an open question; another film asked for after the goodbye
         "question_and_wish", "kids_everyday_ages", "acks_at_questions", "reopened_after_end",
         # dy: "a thriller like se7en" is films like it; "seen it like 3 times" is seen; where
         # and when a film was watched is a memory; a son's or wife's viewing named as theirs;
         # "R or worse", "a fun action movie"; refusals said after what they refuse ("X is out")
         "kind_like_title", "times_seen", "viewing_memories", "others_seen",
         "ratings_said_negative", "refused_after",
         # dy: a film seen and liked in one message ("seen heat twice, loved it", "watched
         # inception last night, anything similar?"): left out, and films like it looked for
         "seen_then_liked",
         # dp: children's ages beside a name ("my son (7)", "my 6yo") keep to G or PG and the
         # film the child loves is a wish for films like it; teenagers said any way keep to
         # PG-13; "something like it but more kid friendly" is films like the one shown, G or PG;
         # "-y"/"-ish" genre words after a refusal ("something adventurey") kept; "scratch X, Y"
         # gives X up for Y
         "ages_beside_names", "teens_watching", "like_shown_film", "loose_genre_words",
         "scratched_people",
         # dq: answers to a film shown and endings: seen said without a verb ("know that one",
         # 👍); complaints about the picks; a liking at "another?"; "too long" clearly shorter;
         # details, doubt, refusals and "forget it"; his/her films, who liked it no titles
         "seen_without_verb", "picks_complaints", "liked_at_another", "clearly_shorter",
         "shown_film_replies", "people_in_replies",
         # dv: answers to "Have you watched it?" by what they say (indifference, seen without
         # liking, dislikes); the choice left to the bot; thanks at a film shown and after the
         # end; complaints about the bot; each thing said once (questions, bounds, caveats)
         "watched_reply_readings", "choice_left_to_bot", "thanks_endings", "bot_complaints",
         "said_once",
         # dt: young children watching never get a horror film (old re-ratings: Psycho is PG);
         # a film they like said in lower case ("they like cars") is that film
         "kids_frightening_films", "kids_liked_titles",
         # dt: others' viewings are not the user's: "my mom has seen every X movie" leaves X
         # out; "my kids have seen it but i haven't" is a film new to the user
         "others_seen_every", "others_seen_not_mine",
         # dt: "X features A, B and C" for a cast; the catalogue's end said only when a wish
         # reaches past it
         "cast_said_plainly", "catalogue_end_unasked",
         # dt: a film's length is its cinema cut; every reply names the same genres of a film
         "cinema_cut_lengths", "same_genres_each_reply",
         # ds (newcomer probe): sequels refused and asked about; names taken back; films
         # asked for loosely; impatience; topics asked at a film shown; "no thanks, i'm good"
         "sequel_refusals", "sequel_status", "taken_back_names", "loose_film_asks",
         "impatient_picks", "topics_on_table", "settled_declines",
         # dr: a wish replaced in any everyday shape; complaints that the picks repeat; a
         # length said as a complaint or as the time there is; "more like this" before a film
         "replaced_wishes", "repeat_complaints", "length_budgets", "more_like_named",
         # du: a child mentioned in passing, with an age, bounds the rating wherever it is said
         "children_in_passing",
         # du: questions about the film shown in short or roundabout words, and "what can you do"
         "shown_film_questions",
         # du: wishes said with a restart, "chick flick", "something light" in a longer message
         "long_message_wishes",
         "lukewarm_complaints", "second_chances", "quoted_lengths",
         # dw: a number quoted back as a figure ("9%??", "1.5 stars", "12??") is no film titled by it
         "figures_not_titles",
         # dw: a child's rating bound said once and the same: a mood's limit never widens it
         "child_bounds_once",
         "names_taken_back", "not_titles_or_names", "about_topics")
NOT_UNDERSTOOD = re.compile(r"I do not understand", re.I)
DOUBLED_PUNCTUATION = re.compile(r"[.!?]\.(?!\.)|\.\.(?!\.)")
RELAXED = re.compile(r"leave out|left out|set aside", re.I)
ENJOY = re.compile(r"enjoy (your|the) movie", re.I)
# a film's own rating, not a wish said back ("Got it: nothing rated R.")
RATED = re.compile(r"(?<!nothing )(?<!not )\brated (PG-13|NC-17|PG|G|R)(?![\w-])(?! \(a rating given after)")
RATING_SINCE = {"G": 1968, "PG": 1970, "R": 1968, "PG-13": 1984, "NC-17": 1990}
_SLOT_ROLE = {"actor": "actor", "director": "director"}


@dataclass(frozen=True)
class CaseResult:
    """One conversation: the turns (the intro first), each turn's seconds, and the failures."""

    case: dict[str, Any]
    turns: list[Any]
    seconds: list[float]
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(path: Path = CASES_PATH) -> list[dict[str, Any]]:
    """The conversations of the suite, each with an ``id`` (kind and number)."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for case in cases:
        if case["kind"] not in KINDS:
            raise ValueError(f"{path}: kind {case['kind']!r} is not one of {', '.join(KINDS)}")
        counts[case["kind"]] = counts.get(case["kind"], 0) + 1
        case["id"] = f"{case['kind']}-{counts[case['kind']]}"
    return cases


def run_case(bot: Any, case: dict[str, Any], judge: Judge | None = None) -> CaseResult:
    """Talk through ``case`` with ``bot`` (a ``Chatbot``), timing each ``turn`` call."""
    seconds: list[float] = []

    def timed(session_id: str | None, line: str) -> Any:
        started = time.perf_counter()
        turn = bot.turn(session_id, line)
        seconds.append(time.perf_counter() - started)
        return turn

    turns = [timed(None, "")]
    for line in case["say"]:
        turns.append(timed(turns[0].session_id, line))
    failures = judge(case, turns) if judge is not None else []
    return CaseResult(case, turns, seconds, failures)


def run_suite(bot: Any, judge: Judge, cases: Iterable[dict[str, Any]] | None = None) -> list[CaseResult]:
    return [run_case(bot, case, judge) for case in (cases if cases is not None else load_cases())]


def pass_rates(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """``{kind: {"passed", "total", "rate"}}`` in ``KINDS`` order, plus ``"all"``."""
    table: dict[str, dict[str, Any]] = {}
    for kind in (*KINDS, "all"):
        mine = [r for r in results if kind == "all" or r.case["kind"] == kind]
        if mine:
            passed = sum(r.passed for r in mine)
            table[kind] = {"passed": passed, "total": len(mine), "rate": round(passed / len(mine), 3)}
    return table


def turn_latency_ms(results: Sequence[CaseResult]) -> dict[str, float]:
    """p50 and p90 of every ``Chatbot.turn`` call of the run, in milliseconds."""
    values = sorted(s * 1000 for r in results for s in r.seconds)
    if not values:
        return {"p50": 0.0, "p90": 0.0, "turns": 0}
    return {"p50": round(statistics.median(values), 3),
            "p90": round(values[int(0.9 * (len(values) - 1))], 3), "turns": len(values)}


def format_pass_table(results: Sequence[CaseResult]) -> str:
    lines = [f"{'kind':<20}{'passed':>8}{'total':>7}{'rate':>7}"]
    for kind, row in pass_rates(results).items():
        lines.append(f"{kind:<20}{row['passed']:>8}{row['total']:>7}{row['rate']:>7.0%}")
    return "\n".join(lines)


class Judge:
    """Checks a conversation's turns against its case, reading films from the database."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)

    def close(self) -> None:
        self._engine.dispose()

    def __call__(self, case: dict[str, Any], turns: Sequence[Any]) -> list[str]:
        messages = [m for t in turns for m in t.messages]
        failures = self._wording(case, messages) + self._replies(case, turns)
        failures += self._facts_stated(turns)
        film = next((t.recommendation for t in reversed(turns) if t.recommendation), None)
        if case.get("want"):
            earlier = {int(t.recommendation["id"]) for t in turns if t.recommendation} - (
                {int(film["id"])} if film else set())
            failures += self._wishes(case["want"], film, messages, earlier)
        if case.get("ends") and turns[-1].signal != "end":
            failures.append("the conversation did not end")
        if case.get("ends_on_film"):
            failures += self._ends_on_film(turns)
        if case.get("not_ends") and (turns[-1].signal == "end" or not turns[-1].recommendation):
            failures.append("the conversation ended or has no film on the table")
        asks = case.get("asks") or []
        for ask in asks if isinstance(asks, list) else [asks]:
            failures += self._answer(ask, turns)
        if case.get("first_actor"):
            failures += self._first_actor(case["first_actor"], turns)
        if case.get("older_than_previous"):
            failures += self._than_previous("older", turns)
        if case.get("than_previous"):
            failures += self._than_previous(case["than_previous"], turns)
        if case.get("leads_with_genre") or case.get("names_first"):
            failures += self._description(case, turns, film)
        return failures

    @staticmethod
    def _ends_on_film(turns: Sequence[Any]) -> list[str]:
        """``ends_on_film``: the conversation ended wishing the user joy of the last film proposed."""
        film = next((t.recommendation for t in reversed(turns) if t.recommendation), None)
        if film is None or turns[-1].signal != "end":
            return ["the conversation did not end on a film"]
        goodbye = " ".join(turns[-1].messages)
        if f"Enjoy {film['title']}" not in goodbye:
            return [f"the goodbye does not name {film['title']!r}: {goodbye!r}"]
        return []

    def _replies(self, case: dict[str, Any], turns: Sequence[Any]) -> list[str]:
        """``replies: {N: regex}``: a message of the reply to say[N] matches;
        ``replies_not: {N: regex}``: none does."""
        failures = []
        for key, wanted in (("replies", True), ("replies_not", False)):
            for line, pattern in (case.get(key) or {}).items():
                index = int(line) + 1
                reply = turns[index].messages if index < len(turns) else []
                if any(re.search(pattern, m, re.I) for m in reply) != wanted:
                    failures.append(f"the reply to line {line} {'does not match' if wanted else 'matches'} "
                                    f"{pattern!r}: {reply}")
        return failures

    def _facts_stated(self, turns: Sequence[Any]) -> list[str]:
        """No "enjoy your movie" without a film; no MPAA rating stated as the film's own for a
        film released before that rating existed (PG-13 before 1984)."""
        failures = []
        if not any(t.recommendation for t in turns) and any(
                ENJOY.search(m) for t in turns for m in t.messages):
            failures.append("wished 'enjoy your movie' though no film was proposed")
        for turn in turns:
            film = turn.recommendation
            year = (film or {}).get("year")
            if not film or not year:
                continue
            for message in turn.messages:
                for rating in RATED.findall(message):
                    if year < RATING_SINCE[rating] and film.get("title", "") in " ".join(turn.messages):
                        failures.append(f"{film['title']} ({year}) stated as rated {rating}, "
                                        "a rating that did not exist yet")
        return failures[:1]

    # -- wording -------------------------------------------------------------------------

    def _wording(self, case: dict[str, Any], messages: list[str]) -> list[str]:
        failures = []
        for pattern in case.get("says") or ():
            if not any(re.search(pattern, m, re.I) for m in messages):
                failures.append(f"no reply matches {pattern!r}")
        for pattern in case.get("never_says") or ():
            hits = [m for m in messages if re.search(pattern, m, re.I)]
            if hits:
                failures.append(f"a reply matches {pattern!r}: {hits[0]!r}")
        if not case.get("allow_not_understood"):
            failures += [f"not understood: {m!r}" for m in messages if NOT_UNDERSTOOD.search(m)][:1]
        failures += [f"doubled punctuation: {m!r}" for m in messages if DOUBLED_PUNCTUATION.search(m)]
        return failures

    # -- wishes against the catalogue ------------------------------------------------------

    def _wishes(self, want: dict[str, Any], film: dict[str, Any] | None,
                messages: list[str], shown: AbstractSet[int] = frozenset()) -> list[str]:
        """The last film meets ``want``, or no film not shown before it does and a reply
        names what was left out."""
        if film is None:
            if self.satisfiable(want):
                return [f"no film proposed, though the catalogue has films meeting {want}"]
            return []
        broken = [key for key in want if not self.film_meets(int(film["id"]), key, want[key])]
        if not broken:
            return []
        title = f"{film.get('title')} ({film.get('year')})"
        if self.satisfiable(want, shown):
            return [f"{title} breaks {broken}, though the catalogue has films not yet shown "
                    f"meeting {want}"]
        notices = [m for m in messages if RELAXED.search(m)]
        unnamed = [k for k in broken if not any(_names(m, want[k]) for m in notices)]
        return [f"{title} breaks {unnamed} and no reply says it was left out"] if unnamed else []

    def satisfiable(self, want: dict[str, Any], shown: AbstractSet[int] = frozenset()) -> bool:
        """Some film, other than those ``shown``, meets every wish of ``want``."""
        clauses, params = _where(want)
        clauses += [f"m.id != {int(i)}" for i in sorted(shown)]
        sql = f"SELECT 1 FROM movies m WHERE {' AND '.join(clauses) or '1=1'} LIMIT 1"
        with self._engine.connect() as conn:
            return conn.execute(text(sql), params).first() is not None

    def film_meets(self, movie_id: int, key: str, value: Any) -> bool:
        clauses, params = _where({key: value})
        sql = f"SELECT 1 FROM movies m WHERE m.id = :movie_id AND {' AND '.join(clauses)}"
        with self._engine.connect() as conn:
            return conn.execute(text(sql), params | {"movie_id": movie_id}).first() is not None

    def facts(self, movie_id: int) -> dict[str, Any]:
        """The film as the catalogue tables have it."""
        with self._engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM movies WHERE id = :id"), {"id": movie_id}).mappings().one()
            genres = conn.execute(text("SELECT genre FROM movie_genres WHERE movie_id = :id"),
                                  {"id": movie_id}).scalars().all()
            people = conn.execute(text(
                "SELECT c.role, p.name FROM credits c JOIN people p ON p.id = c.person_id "
                "WHERE c.movie_id = :id ORDER BY c.position"), {"id": movie_id}).all()
        return dict(row) | {
            "genre_set": set(genres),
            "actor_names": [n for r, n in people if r == "actor"],
            "director_names": [n for r, n in people if r == "director"],
        }

    # -- answers to questions about the film --------------------------------------------

    def _answer(self, asks: dict[str, Any], turns: Sequence[Any]) -> list[str]:
        """The reply to say[line] answers with the facts of the film on the table (or of
        ``title``), keeps that film on the table and asks the open question again (with
        ``ended``: asked after the goodbye, about the film taken; the chat stays over)."""
        index = int(asks["line"]) + 1  # turns[0] is the intro
        if index >= len(turns):
            return [f"no turn for line {asks['line']}"]
        film = turns[index - 1].recommendation
        movie_id = self.title_id(asks["title"]) if asks.get("title") else film and int(film["id"])
        if movie_id is None:
            return ["no film on the table when the question was asked"]
        reply = " ".join(turns[index].messages)
        facts = self.facts(movie_id)
        if asks["topic"] == "history":
            facts["first_shown"] = self.facts(int(next(t.recommendation for t in turns
                                                       if t.recommendation)["id"]))["title"]
        failures = _topic_check(asks["topic"], facts, reply, asks)
        if asks.get("ended"):  # asked after the goodbye: answered, and the chat stays over
            if turns[index].signal != "end" or re.search(r"has ended", reply, re.I):
                failures.append("the question after the goodbye was not answered, or it reopened the chat")
            return failures
        if asks.get("then"):  # the same message answered the open question: the next one
            if not re.search(asks["then"], turns[index].messages[-1], re.I):
                failures.append(f"the answer did not move on to {asks['then']!r}")
        elif turns[index].messages[-1] != turns[index - 1].messages[-1]:
            failures.append(f"did not return to the open question {turns[index - 1].messages[-1]!r}")
        after = turns[index].recommendation
        if film and (not after or after["id"] != film["id"] or turns[index].signal == "end"):
            failures.append(f"the question changed the film on the table ({film['title']})")
        return failures

    def title_id(self, title: str) -> int | None:
        """The best-known film called exactly ``title`` ("King Kong (1976)": of that year)."""
        dated = re.fullmatch(r"(.+) \((\d{4})\)", title)
        with self._engine.connect() as conn:
            if dated:
                return conn.execute(text("SELECT id FROM movies WHERE title = :t AND year = :y"),
                                    {"t": dated[1], "y": int(dated[2])}).scalar()
            return conn.execute(text("SELECT id FROM movies WHERE title = :t ORDER BY votes DESC"),
                                {"t": title}).scalar()

    def _first_actor(self, spec: dict[str, Any], turns: Sequence[Any]) -> list[str]:
        """``first_actor: {line, title, one_of}``: the first actor of ``title`` named in the
        reply to say[line] is one of ``one_of`` (no bit player named first)."""
        index = int(spec["line"]) + 1
        movie_id = self.title_id(spec["title"])
        if movie_id is None or index >= len(turns):
            return [f"no film {spec['title']!r} or no turn {spec['line']}"]
        reply = " ".join(turns[index].messages)
        named = sorted((reply.find(n), n) for n in self.facts(movie_id)["actor_names"] if n in reply)
        if not named or named[0][1] not in spec["one_of"]:
            return [f"the first actor named is {named[0][1] if named else None!r}, not one of "
                    f"{spec['one_of']}: {reply!r}"]
        return []

    def _than_previous(self, comparison: str, turns: Sequence[Any]) -> list[str]:
        """The last film proposed is ``older`` / ``newer`` / ``shorter`` / ``longer`` than the
        one before."""
        films: list[dict[str, Any]] = []
        for turn in turns:
            if turn.recommendation and (not films or films[-1]["id"] != turn.recommendation["id"]):
                films.append(turn.recommendation)
        if len(films) < 2:
            return ["fewer than two films proposed"]
        column = "year" if comparison in ("older", "newer") else "runtime_min"
        before, last = (self.facts(int(f["id"]))[column] for f in films[-2:])
        holds = last is not None and before is not None and (
            last > before if comparison in ("longer", "newer") else last < before)
        return [] if holds else [
            f"the last film ({column} {last}) is not {comparison} than the one before ({before})"]

    # -- the description ----------------------------------------------------------------

    def _description(self, case: dict[str, Any], turns: Sequence[Any],
                     film: dict[str, Any] | None) -> list[str]:
        if not film:
            return ["no film proposed to describe"]
        proposal = next(t for t in reversed(turns) if t.recommendation and
                        t.recommendation["id"] == film["id"])
        start = next((i for i, m in enumerate(proposal.messages) if m.startswith("How about")), 0)
        text_ = " ".join(proposal.messages[start:])
        facts = self.facts(int(film["id"]))
        failures = []
        lead = case.get("leads_with_genre")
        if lead:
            listed = re.search(r"It is an? ([\w, -]+?) (?:movie|film)", text_)
            first = listed.group(1).split(",")[0].split(" and ")[0].strip().lower() if listed else None
            if first not in [g.lower() for g in lead if g in facts["genre_set"]]:
                failures.append(f"the genres are led by {first!r}, not one of {lead}")
        person = case.get("names_first")
        if person and person in facts["actor_names"]:
            named = [(text_.find(n), n) for n in facts["actor_names"] if n in text_]
            if not named or min(named)[1] != person:
                failures.append(f"{person} is not the first actor named in {text_!r}")
        return failures


def _topic_check(topic: str, facts: dict[str, Any], reply: str,
                 asks: dict[str, Any] | None = None) -> list[str]:
    asks = asks or {}
    person = asks.get("person")
    credited = person in facts["actor_names"] or person in facts["director_names"]
    checks: dict[str, Callable[[], bool]] = {
        "person": lambda: bool(re.search(r"\byes\b" if credited else r"\bno\b|\bnot\b", reply, re.I)),
        "genre_check": lambda: bool(re.search(
            r"\byes\b" if asks.get("genre") in facts["genre_set"] else r"doesn't list|not",
            reply, re.I)),
        "mpaa_check": lambda: bool(facts["mpaa"]) and bool(re.search(
            (r"\byes\b" if facts["mpaa"] == asks.get("mpaa") else r"\bno\b") + r".*\brated "
            + re.escape(facts["mpaa"]) + r"(?![\w-])", reply, re.I)),
        "reason": lambda: bool(re.search(r"because you asked|didn't ask for anything", reply, re.I)),
        "other": lambda: bool(re.search(r"can't tell|don't know|do not know|no information",
                                        reply, re.I)),
        "history": lambda: facts.get("first_shown", "\0") in reply,
        "cast": lambda: any(n in reply for n in facts["actor_names"][:10]),
        "director": lambda: bool(facts["director_names"]) and all(
            n in reply for n in facts["director_names"]),
        "runtime": lambda: facts["runtime_min"] is not None and str(facts["runtime_min"]) in reply,
        "year": lambda: str(facts["year"]) in reply,
        "mpaa": lambda: (facts["mpaa"] or "not rated") in reply or (
            facts["mpaa"] is None and bool(re.search(r"no (MPAA )?rating|not rated|unrated", reply, re.I))),
        "genre": lambda: any(g in reply.lower() for g in facts["genre_set"]),
        "quality": lambda: _quality_named(facts, reply),
    }
    if topic not in checks:
        return [f"unknown topic {topic!r}"]
    return [] if checks[topic]() else [f"the {topic} of the film is not in {reply!r}"]


def _quality_named(facts: dict[str, Any], reply: str) -> bool:
    meter = facts.get("critics_meter")
    if meter is not None:
        return f"{meter}%" in reply
    return bool(re.search(r"no critic|don't have|do not have", reply, re.I))


def _names(message: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(v is not None and str(v).lower() in message.lower() for v in values)


def _combined(key: str, found: list[str]) -> list[str]:
    """``no_*``: none of them; ``*_any``: one of them; otherwise: all of them."""
    if key.startswith("no_"):
        return [f"NOT {c}" for c in found]
    if key.endswith("_any"):
        return ["(" + " OR ".join(found) + ")"]
    return found


def _where(want: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on ``movies m`` for each wish; parameters named by position."""
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def param(value: Any) -> str:
        name = f"p{len(params)}"
        params[name] = value
        return f":{name}"

    def genre(g: str) -> str:
        return f"EXISTS (SELECT 1 FROM movie_genres g WHERE g.movie_id = m.id AND g.genre = {param(g)})"

    def credited(role: str, name: str) -> str:
        return ("EXISTS (SELECT 1 FROM credits c JOIN people p ON p.id = c.person_id "
                f"WHERE c.movie_id = m.id AND c.role = {param(role)} AND p.name = {param(name)})")

    for key, value in want.items():
        values = value if isinstance(value, list) else [value]
        if key == "genre":
            clauses += [genre(g) for g in values]
        elif key == "genre_any":
            clauses.append("(" + " OR ".join(genre(g) for g in values) + ")")
        elif key == "no_genre":
            clauses += [f"NOT {genre(g)}" for g in values]
        elif key in ("actor", "actor_any", "no_actor", "director_any", "no_director"):
            found = [credited("director" if "director" in key else "actor", n) for n in values]
            clauses += _combined(key, found)
        elif key == "no_title":  # words of the title, as a franchise is named ("pirates")
            clauses += [f"' ' || lower(m.title) || ' ' NOT LIKE {param('% ' + t.lower() + ' %')}"
                        for t in values]
        elif key == "mpaa_any":
            clauses.append("m.mpaa IN (" + ", ".join(param(r) for r in values) + ")")
        elif key == "no_mpaa":
            clauses.append("(m.mpaa IS NULL OR m.mpaa NOT IN (" + ", ".join(param(r) for r in values) + "))")
        elif key == "title":  # the film asked for by its title
            clauses.append(f"m.title = {param(values[0])}")
        elif key in ("year", "runtime", "critics"):
            column = {"year": "m.year", "runtime": "m.runtime_min", "critics": "m.critics_meter"}[key]
            first, last = values
            if first is not None:
                clauses.append(f"{column} >= {param(int(first))}")
            if last is not None:
                clauses.append(f"{column} <= {param(int(last))}")
        else:
            raise ValueError(f"want: unknown key {key!r}")
    return clauses, params
