"""Local language understanding: intents, acts, entities and constraints of one utterance. Pure.

``Understander(vocabulary)(text, expect)`` returns a JSON-able dict, e.g. for
``"a 90s comedy that isn't with Jim Carey"``::

    {"intent": "unknown",
     "constraints": [{"slot": "year", "range": [1990, 1999], "exclude": False},
                     {"slot": "genre", "values": ["comedy"], "exclude": False}],
     "people": [{"name": "Jim Carrey", "roles": ["actor"], "cue": "actor", "typos": 1,
                 "negated": True, "sure": True, "alternatives": [], "group": 0}],
     "genres": ["comedy"], "negated_genres": [], "mpaa": None,    # the same, older keys
     "title": None, "titles": [], "question": [], "asked_title": None, "correction": False,
     "addition": False, "watching": None, "verdict": None, "request": False,
     "about_bot": False, "help": False, "film_ask": False, "notes": [], "unknown_person": None, "comparative": None,
     "words": [...], "rest": "a that", "empty": False}

**Acts** (``chatbot.acts``) say what the utterance does, so the policy can read it before its
words: ``question`` (topics asked about a film; ``asked_title`` when it names another film),
``watching`` (an answer about having watched it: "yes", "no", "partly"), ``verdict``
("liked"/"disliked"), ``request`` (asks for a film: "something", "maybe a", "one with"),
``help`` ("what can you do?", "huh?"), ``film_ask`` (a film as such: "recommend me a movie").
``notes`` are honest words for wishes the catalogue can only approximate ("superhero": action
films), ``unknown_person`` a name-like answer matching nobody.

**Constraints** are ``chatbot.constraints`` dicts (genre, MPAA rating; release years and
runtime minutes as integer, inclusive ranges, None for an open end: "something short" is
``{"slot": "runtime", "range": [None, 100], "exclude": False}``). People are listed, not yet constraints:
which slot a person fills (actor or director) is the policy's to decide, from the cue word,
the question asked and the person's credits. Entities joined by "or" ("comedy or horror",
"Tom Hanks or Harrison Ford") share one constraint or ``group`` (any of them); otherwise each
is its own (all of them). An entity inside the scope of a negation ("no dramas", "anything but
R", "a film that isn't a comedy") is an exclusion (``"exclude": True`` / ``"negated": True``).

Within one utterance, what follows a correction cue wins: "a comedy, wait no, a drama" gives
drama and lists comedy under ``retracted``; an exclusion of a value the same utterance asks for
("horror, but not a slasher": both read as horror) is dropped. How the utterance's wishes
combine with the earlier ones is the policy's to decide (``chatbot.policy``).

Ratings take bounds and ages (``chatbot.ratings``: "nothing above PG-13" is G, PG or PG-13);
release years take relative phrases ("the last decade", counted back from the catalogue's last
year) and lists ("the 70s or 80s" is one range; "the 60s or 80s" a range less the gap).

``expect`` is the slot just asked about ("genre", "actor", "director", "mpaa" or None); it
allows readings that would be too loose elsewhere (a lone surname, a lone "R", a typo in a
genre word). Weak genre words ("love", "kids") count only where they name a kind of film
("a movie for the kids"), so "I love it" and "the kids are in bed" fill nothing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz

from chatbot.about_topics import about_topic
from chatbot.acceptance import accepts
from chatbot.acclaim import standing_wishes
from chatbot.acts import (  # noqa: F401  (INTENTS, intent_of: this module's public names too)
    INTENTS,
    asks_for,
    asks_for_film,
    asks_help,
    delegates,
    indifferent_slots,
    intent_of,
    is_about_bot,
    is_question,
    is_request,
    outburst,
    question_topics,
    refers_to_film,
    verdict,
    watching,
    wish_intent,
)
from chatbot.ages import age_hits, years_old
from chatbot.alternatives import offers_alternative
from chatbot.answer_lists import listed_with_answer
from chatbot.asides import ages_of_people, aside_mask, asks_age, past_selves, why_mask
from chatbot.beyond import beyond_request
from chatbot.capabilities import asks_account, asks_capability, asks_several, impatient
from chatbot.choices import as_choice
from chatbot.complaints import (
    after_catalogue,
    complaint_hits,
    criticised_length,
    distinct_exclusions,
    length_of_shown,
    settle_ages,
)
from chatbot.constraints import minutes
from chatbot.constraints import years as year_constraint
from chatbot.cues import (
    BOUNDARY,
    clause_tokens,
    comparative,
    correction_at,
    correction_cues,
    is_addition,
    names_a_date,
    negation_mask,
    period_at,
    refused_back,
    refused_echo,
    runtime_ranges,
    year_ranges,
)
from chatbot.date_wishes import asked_for, date_only
from chatbot.definitions import defined_ratings
from chatbot.dictation import spoken_marks, without_wake_words
from chatbot.emojis import only_emoji, spell_all
from chatbot.era_spans import joined_eras
from chatbot.fan_frames import as_liked_title
from chatbot.figures import without_figure_titles, without_quoted_scores
from chatbot.film_yes_no import asked_not_told
from chatbot.fondness import pointed_back
from chatbot.franchises import fully_known, subject
from chatbot.genres import GenreReader
from chatbot.given_up import slots_given_up
from chatbot.hedges import hedged_people, withdrawn_note
from chatbot.homophones import spell_homophones
from chatbot.idle_notes import idle_notes
from chatbot.initials import InitialsSpeller
from chatbot.length_phrases import SHORT_MINUTES, own_negation
from chatbot.lexicon import (
    APPROXIMATION_SYNONYMS,
    APPROXIMATIONS,
    INTENT_PHRASES,
    SHORTHAND,
    SLANG,
    WEAK_GENRE_SYNONYMS,
)
from chatbot.life_years import life_years
from chatbot.liking import not_again, owns
from chatbot.lone_asks import approved, named_alone
from chatbot.mentions import SAME_NAME, PeopleReader
from chatbot.mood_refusals import mood_intent
from chatbot.name_parts import inside_name
from chatbot.names import STOPWORDS, NameIndex
from chatbot.number_titles import numbered_title, title_number_tokens
from chatbot.permissions import at as _at
from chatbot.permissions import given_up_people, permitted_wish, refuse_removed, split_permitted
from chatbot.permissions import indifferent as _indifferent
from chatbot.plainwords import everyday_phrase, genre_phrase, marked_as_title
from chatbot.pushback import complaint
from chatbot.questions import (
    asking_part,
    asks_what_to_watch,
    asks_who_is_in,
    catalogue_question,
    catalogue_title,
    filmography_role,
    object_text,
    superlative,
)
from chatbot.rating_steps import rating_step_hits
from chatbot.ratings import names_rating, rating_hits
from chatbot.remarks import (
    clause_question_topics,
    described_mask,
    mark_besides,
    remark_mask,
    remarked_constraints,
    with_leads_topic,
    with_more_cast,
)
from chatbot.replies import opening_refusal
from chatbot.rewatching import second_chance
from chatbot.sarcasm import closes_sarcastically
from chatbot.scope import as_asked, concession_mask, permission_mask, removal_mask
from chatbot.search_talk import answers_all, asks_method, asks_recap
from chatbot.self_questions import self_topic
from chatbot.sentiment_words import sentiment_words, untoned
from chatbot.shorthand import spell_shorthand
from chatbot.shown_titles import ShownTitles
from chatbot.slot_spelling import SlotSpeller
from chatbot.social import social_act
from chatbot.spans import (
    bound_corrections,
    denied_pronoun_at,
    explicit_wins,
    forgotten,
    legacy_keys,
    passed_over,
    replaced_first,
    self_corrected,
    swap_span,
    swapped,
)
from chatbot.spans import constraints as spans_to_constraints
from chatbot.spoken import spell_spoken
from chatbot.styles import as_film_of
from chatbot.text import clean_input, english_words, expand_shorthand, fold, lines_as_commas
from chatbot.texting import spell_texting
from chatbot.title_asks import (
    approved_title,
    asked_with_year,
    wanted_title,
    wanted_titles,
    with_title_years,
    without_title_years,
)
from chatbot.title_lists import TitleLists, unknown_note
from chatbot.title_mentions import lone_title, title_spans
from chatbot.title_wishes import besides_liked, title_exclusions
from chatbot.titles import TitleIndex, normalise_title, title_place_words, written_as
from chatbot.tone_once import one_tone_move
from chatbot.turn_taking import drops_it, ponders
from chatbot.viewers import settle_fright, shared_note
from chatbot.viewings import liked_back, not_seen_by_user, seen_all_of, seer, without_circumstances
from chatbot.wanting import with_wanting
from chatbot.wish_parts import given_up_parts

RARE_TITLE_ZIPF = 4.5  # a title named in a question has a word rarer than this, or a capital


def _only_asking_marks(text: str) -> bool:
    """A lone "?" or "??": the question was not understood, so it is said again plainly."""
    marks = re.sub(r"question\s+marks?", "?", text, flags=re.IGNORECASE)  # dictated alone
    return "?" in marks and not re.search(r"\w", marks)


class Understander:
    """Intent, act, entity and constraint extraction over one catalogue's vocabulary.

    ``vocabulary`` is ``{"genres": [...], "actors": {name: films}, "directors": {name: films},
    "mpaa": [...], "titles": [...], "years": [first, last], "fame": {"actor": {name: votes},
    "director": {...}}}`` as ``Db.vocabulary()`` returns it (titles, years and fame optional).
    Example::

        nlu = Understander(db.vocabulary())
        nlu("something like The Matrix", "genre")["title"]   # 'The Matrix'
    """

    def __init__(self, vocabulary: Mapping[str, Any], this_year: int | None = None) -> None:
        self._this_year = this_year or datetime.date.today().year  # "I'm 40": born 40 years ago
        self._common = english_words()
        self._genres = GenreReader(vocabulary.get("genres", ()), self._common)
        self._mpaa = set(vocabulary.get("mpaa", ())) or {"G", "PG", "PG-13", "R", "NC-17"}
        self._titles = TitleIndex(vocabulary.get("titles", ()))
        self._initials = InitialsSpeller(vocabulary.get("titles", ()))  # "la confidential"
        self._lists = TitleLists(vocabulary.get("titles", ()))  # "my faves: 1. heat 2. ronin"
        self._genre_names = frozenset(fold(g) for g in vocabulary.get("genres", ()))
        self._last_year = (vocabulary.get("years") or [None, None])[1]
        self._approximations = {tuple(k.split()): v for k, v in APPROXIMATION_SYNONYMS.items()}
        reserved = self._genres.words | set(WEAK_GENRE_SYNONYMS) | _phrase_words(INTENT_PHRASES)
        self._names = NameIndex(
            _counts(vocabulary.get("actors", {})),
            _counts(vocabulary.get("directors", {})),
            reserved=reserved, fame=vocabulary.get("fame"), common=self._common, slang=SLANG,
        )
        self._slot_words = SlotSpeller(self._common, lambda w: self._names.first_name(w) or self._names.last_name(w))  # "directer": no Decter
        self._people = PeopleReader(self._names, self._common, lambda w: self._genres.is_genre((w,), stemmed=True), _INTENT_WORDS)

    def _said_title(self, said: str) -> str | None:
        """The title said ("2001 a space odyssey"); a kind of film ("romantic comedy") or a rating is none."""
        return numbered_title(said, self._titles) or (None if self._wish_word(fold(said)) or names_rating(fold(said)) else self._titles.exact(said))

    def _started(self, said: str) -> str | None:  # "four weddings": the long title it starts
        return None if self._wish_word(fold(said)) or names_rating(fold(said)) else self._titles.started(said)

    def _everyday(self, said: str, raw: str) -> bool:  # "and love it", "before the end"
        return everyday_phrase(said, raw, lambda w: self._common.get(w, 0.0))

    def _listed_titles(self, text: str) -> tuple[list[str], str]:
        return self._titles._titles_at(text, known_only=True)

    def __call__(self, text: str, expect: str | None = None) -> dict[str, Any]:
        """Understand ``text`` (any string; it is cleaned first) asked about slot ``expect``."""
        if isinstance(text, str):
            text = without_quoted_scores(text, expect, self._titles.known)  # "lol 9%?? no thanks": no film *9*
        cleaned = self._slot_words(spell_texting(spell_homophones(spell_shorthand(expand_shorthand(
            spell_all(spell_spoken(without_wake_words(spoken_marks(clean_input(lines_as_commas(text))[0]))),
                      expect == "genre"),
            SHORTHAND)))), genre_asked=expect == "genre")  # "kids r here", "not to long"
        cleaned = without_circumstances(second_chance(cleaned))  # "watched it in college": no topic,
        # no year; "give it another shot": the film taken, no other asked
        cleaned = as_film_of(self._initials(cleaned), self._famous_name)  # "Nolan's stuff": a Nolan film
        cleaned = as_liked_title(cleaned, self._titles.exact, self._read_otherwise,  # "big fan of heat"
                                 film_shown=expect is None)
        cleaned = given_up_parts(cleaned, self._wish_said)  # "scrap the war part": no *The War*
        cleaned, hated_unknown = self._lists.rewrite(cleaned)  # "hated tenet": said back
        cleaned = with_title_years(cleaned, self._titles.exact, self._common)  # "star trek 2009"
        wanted = wanted_title(cleaned, self._said_title, self._common, self._started)  # "got Shining?"
        asked_list = wanted_titles(cleaned, self._listed_titles)  # "hook or e t, do you have those"
        wanted = asked_list[0] if asked_list else wanted
        cleaned = without_title_years(cleaned, self._titles.exact, wanted)  # "Heat (1995)": no wish
        seen, unseen_text = self._titles.seen(cleaned)  # "I've already seen Heat and Ronin"
        listed = None if seen else listed_with_answer(
            cleaned, self._listed_titles, lambda said: self._everyday(said, cleaned))
        seen, unseen_text, seen_liked = listed or (seen, unseen_text, False)  # "seen it, and Heat too"
        seen_liked = seen_liked or bool(seen) and liked_back(unseen_text)  # "seen heat twice, loved it"
        titles, rest_text, title_cue = self._split_titles(unseen_text)
        rest_text = rest_text if titles or not seen else unseen_text
        # "isn't X in it?" asks, denies nothing; "A and B, either is fine" is "A or B"
        tokens = as_choice(as_asked(clause_tokens(rest_text)))
        whole = as_asked(clause_tokens(cleaned)) if titles else tokens
        negated = negation_mask(tokens)
        used: set[int] = set(ages_of_people(tokens)) | title_number_tokens(tokens, wanted)  # "in our seventies", "how about 2012?": no years
        # "nothing pg13 those are never scary": describes the ratings refused, wishes nothing
        used.update(i for i, described in enumerate(described_mask(tokens)) if described)
        # "before I was born, I was born in 1985": years of the user's life, not 1985 itself
        lived = [(s, e, c) for s, e, c in self._spans(life_years(tokens, self._this_year), used) if c]
        notes: list[str] = [unknown_note(t) for t in hated_unknown]
        remarks = remark_mask(tokens, rest_text, self._titles.exact)
        aged, age_title = age_hits(tokens, self._titles.exact,  # "Rear Window is too old"
                                   lambda said: self._everyday(said, rest_text))
        # "after Spy Kids 2": a film named is no wish for its words (spies, kids)
        against_named = self._spans([h for h in aged if h[2].get("than")], used)
        named = self._titles_by_capital(rest_text)  # "not Alien": the film, not sci-fi
        hits = lived + title_exclusions(tokens, negated, used, self._titles, self._common,
                                lambda w: w not in named and self._wish_word(w), self._names.names_all, named,
                                self._names.shared_first_name,
                                self._approximated)
        mentioned = title_spans(tokens, used, self._titles, self._common, self._names.names_all,
                                lambda w: self._approximated(w) if " " in w else self._wish_word(w))  # "i first saw star wars in 1977": no war film
        for start, end in mentioned:
            used.update(range(start, end))
        allowed = permission_mask(tokens)  # "black and white is fine": no limit
        # "a tamer one", "a lower rating": a step from the film on the table's rating
        hits += [(s, e, dict(c, _fixed=True)) for s, e, c in rating_step_hits(tokens, used)]
        hits += self._approximate([t if not a else "\0" for t, a in zip(tokens, allowed, strict=True)],
                                  negated, used, notes)
        outside: list[str] = []
        self._approximate([t if not r else "\0" for t, r in zip(tokens, remarks, strict=True)],
                          negated, set(), outside)
        hits += [(s, e, dict(c, _fixed=True) if fixed else c) for s, e, c, fixed in
                 rating_hits(tokens, negated, sorted(self._mpaa), expect, used)]
        complaints = [(s, e, dict(c, _fixed=True)) for s, e, c in against_named + self._spans(
            [h for h in aged if not h[2].get("than")], used) + self._spans(complaint_hits(tokens), used)]
        hits += self._spans(years_old(tokens, self._last_year), used)  # "under 10 years old"
        hits += self._years(tokens, used)
        used.update(past_selves(tokens))  # "when I was a kid in the 70s": no family film
        hits += [(s, e, length_of_shown(tokens, s, e) or own_negation(  # "no way thats like 3 hrs"
            tokens[s:e], _shorter_longer(tokens[s:e], minutes(a, b))))
                 for s, e, a, b in self._spans(runtime_ranges(tokens), used)]
        hits = settle_ages(hits, complaints, tokens)
        corrected_at = correction_at(tokens)
        cuts = [c for c in correction_cues(tokens) if not replaced_first(tokens, c)]
        asked_text = asking_part(cleaned) or cleaned  # a long message: its questions only
        asked_whole = as_asked(clause_tokens(asked_text)) if asked_text != cleaned else whole
        asking = is_question(asked_whole, asked_text) and (refers_to_film(asked_whole, asked_text)
                                                            or asks_who_is_in(asked_whole))
        people = self._people.find(tokens, expect, used, negated, cuts, asking)
        people, withdrawn = hedged_people(people, tokens)  # "toni collette maybe? or not, idk"
        people = seen_all_of(people, tokens, cleaned)  # "my mom has seen every jim carrey movie"
        notes += withdrawn_note(withdrawn)
        hits += self._genres.find(tokens, expect == "genre", used)
        hits, permits = split_permitted(hits, allowed, tokens)  # "older is fine": allowed, no wish
        permits += [permitted_wish(h[2]) for h in self._approximate([t if a else "\0" for t, a in zip(tokens, allowed, strict=True)],
                                                    [False] * len(tokens), set(), [])]
        hits, retracted = self_corrected(sorted(hits, key=lambda h: h[0]), cuts, negated)
        hits, swapped_out = swapped(explicit_wins(hits, tokens), tokens)
        removed = removal_mask(tokens)
        refuse_removed(people, removed, tokens)  # "forget sandler, something totally different"
        passed_over(people, tokens)
        conceded = [c or r for c, r in zip(concession_mask(tokens), removed, strict=True)]
        # "even if it's not sci-fi", "drop the family part": given up, not denied
        relaxed = [dict(h[2], exclude=False, refused=negated[h[0]] and "range" in h[2] and not h[2].get("_fixed"))
                   for h in hits if conceded[h[0]]]  # "remove the 'nothing under 2 hours'": that refusal
        # "drop tom hanks", "Seth Rogen is fine": neither wished for nor refused any more
        freed = [c or a for c, a in zip(conceded, allowed, strict=True)]
        relaxed += given_up_people(people, freed)
        relaxed += slots_given_up(tokens, removal_mask(tokens))  # "drop the director requirement"
        relaxed += [dict(p, permit=True) for p in permits]
        permitted = [p["name"] for p in people if _at(allowed, p) and not p.get("negated")]
        people = [p for p in people if not _at(freed, p)]
        hits = [h for h in hits if not conceded[h[0]]]
        remarked = remarked_constraints(hits, remarks, tokens, negated)
        for person in people:  # "that's the one with X, right": not a wish for X
            if remarks[min(int(person.get("at", 0)), len(remarks) - 1)] if remarks else False:
                person["remark"] = True
        hits = settle_fright(hits, tokens, (notes, outside), APPROXIMATIONS["sensitive"]["note"])
        notes[:] = idle_notes(notes, hits)  # "black and white, 40s or 50s": no colour caveat
        if refused_echo(rest_text):  # "documentary?? no": the kind named, asked back, refused
            negated[: len(tokens) - 1] = [True] * (len(tokens) - 1)
        for back in refused_back(tokens):  # "nothing but sci fi and i'm SO over it"
            before = [h for h in hits if h[1] <= back and h[2].get("slot") == "genre"]
            if before:
                negated[before[-1][0] : before[-1][1]] = [True] * (before[-1][1] - before[-1][0])
        constraints = spans_to_constraints(hits, tokens, negated) + standing_wishes(tokens)
        constraints, corrected_bounds = bound_corrections(  # "no, 1975 or later, not 1980"
            constraints, corrected_at is not None or tokens[:2] in (["no", ","], ["nope", ","]))
        constraints = joined_eras(constraints, tokens)  # "late 90s to early 2000s": 1997-2003
        indifferent = [s for s in _indifferent(tokens, people) if not any(c["slot"] == s for c in constraints)]
        # "any year works": none kept; but "no director pref" after "not Spielberg" and "any
        # other actress is ok" leave the refusals standing (a person refused stays refused)
        relaxed += [{"slot": s, "clear": True, "keep_refusals": s in ("actor", "director")
                     or bool({"other", "else"} & set(tokens))} for s in indifferent]
        notes += shared_note(constraints)  # "I like comedies, my wife likes thrillers"
        constraints, beyond = after_catalogue(
            distinct_exclusions(besides_liked(constraints, titles, fold)), self._last_year)
        notes += [n for n in beyond if n not in notes]
        notes += self._topic_note(tokens, used, hits, people, notes)  # "documentary about nature"
        defines = defined_ratings([t for t in whole if t != BOUNDARY], [  # "what's nc-17?":
            v for c in constraints if c["slot"] == "mpaa" and not c["exclude"] for v in c["values"]])
        constraints = [c for c in constraints if not defines or c["slot"] != "mpaa"]  # no wish
        asked = None if title_cue else self._asked_title(
            asked_text, asked_whole, [p["name"] for p in people],
            [p["name"] for p in people if p.get("cue") == "film_of" or  # "a Hitchcock film?"
             pointed_back(tokens, p)])  # "Hitchcock? I like him": the man, no film
        judged = verdict(tokens) or ("liked" if accepts(tokens) else None)  # "that's the one"
        question = list(dict.fromkeys([*question_topics(asked_whole, asked_text), *(  # "whats toy
            question_topics(clause_tokens(_as_it(asked_text, asked)), asked_text) if asked else []
        )])) or clause_question_topics(tokens if asked_whole is whole else asked_whole)  # story 2 rated and how long"
        question = with_leads_topic(question, asked_whole)
        mark_besides(question, asked_whole, people)
        question = with_more_cast(question, asked_whole)
        interrogative = is_question(asked_whole, asked_text) or bool(question)
        catalogue = catalogue_question(asked_whole) is not None and (
            interrogative or bool({"if", "whether"} & set(asked_whole)))  # "i asked if you have X"
        intent = mood_intent(wish_intent(tokens, bool(constraints or titles) or any(
            not p.get("negated") for p in people)), tokens, notes)  # "i said no sappy stuff": no "no"
        if withdrawn and not (constraints or titles or people):
            intent = "no_preference"  # the one person named taken back: no wish for anyone
        unseen_by_user = not_seen_by_user(cleaned)  # "my kids have seen it but i haven't"
        intent = "no" if unseen_by_user and intent == "yes" else intent
        understood = {
            "intent": intent, "constraints": constraints, "people": people,
            **legacy_keys(constraints),
            "title": titles[0] if titles else None, "titles": titles, "seen_titles": seen,
            "age_title": age_title,
            "seen_liked": seen_liked,
            "seen_by": seer(cleaned),  # "my son has seen Big": his, never "You've seen Big"
            "own_pick": self._titles.own_pick(cleaned),
            "question": question, "interrogative": interrogative,
            "catalogue": catalogue,
            "catalogue_title": catalogue_title(asked_whole, self._titles.exact, whole) if catalogue else None,
            "catalogue_object": object_text(asked_whole) if catalogue else None,
            "filmography": filmography_role(asked_whole, any(not p["negated"] for p in people))
            if interrogative else None,
            "superlative": superlative(asked_whole, any(not p["negated"] for p in people))
            if interrogative else None,
            "remarked": [c for c in constraints if c in remarked],
            "criticised_length": criticised_length(tokens),  # "no, that's too long": of a film shown
            "remark_notes": [n for n in notes if n not in outside],
            "about_film": refers_to_film(asked_whole, asked_text) and not is_request(asked_whole)
            and not catalogue,
            "asked_title": asked_with_year(asked[0], wanted) if asked else None, "wanted_title": wanted, "wanted_titles": asked_list,
            "approval": judged == "liked", "verdict": judged,
            "watching": "no" if unseen_by_user else watching(tokens) or ("yes" if owns(tokens) else None),
            "request": asks_for(tokens) or catalogue,
            "not_again": not_again(tokens),  # "loved it, just don't show me that one"
            "opening_no": opening_refusal(tokens),  # "no not really. oh and nothing too long"
            "pondering": ponders(tokens),  # "let me think", "hmm idk": the question stays open
            "drops_it": drops_it(tokens),  # "forget it", "nvm": the film shown, or the search
            "asks_other": is_request(tokens),  # "ok give me a keanu one then": no "ok" to this one
            "owned": owns(tokens),  # "I own it on DVD": seen, and no need to propose it
            "about_bot": is_about_bot(tokens) or self_topic(whole) is not None
            or asks_method(whole) and "reason" not in question,
            "self_topic": self_topic([t for t in whole if t != BOUNDARY]),  # "how old are you?"
            "method": asks_method(whole) and "reason" not in question, "recap": asks_recap(whole),
            "beyond": beyond_request(whole),  # "book me tickets", "is it on netflix?"
            "help": asks_help(whole) or _only_asking_marks(cleaned), "capability": asks_capability([t for t in whole if t != BOUNDARY])
            and not asks_method(whole),
            "account": asks_account([t for t in whole if t != BOUNDARY]),  # "based on my letterboxd?"
            "several": asks_several([t for t in whole if t != BOUNDARY]),  # "can i give you two actors?"
            "after_catalogue": next((int(t) for t in whole if t.isdigit() and len(t) == 4 and self._last_year
                                     and self._last_year < int(t) < 2100), None),
            "impatient": impatient([t for t in whole if t != BOUNDARY]), "outburst": outburst(whole),
            "age_asked": asks_age([t for t in whole if t != BOUNDARY]),
            "film_ask": asks_for_film(whole) or asks_what_to_watch(asked_whole),
            "delegate": (delegates(whole) or answers_all(whole)) and not asks_method(whole),
            "correction": corrected_at is not None or swap_span(tokens) is not None,
            "alternative": offers_alternative(tokens),  # "maybe a thriller then": in horror's place
            "sarcastic": closes_sarcastically(str(clean_input(text)[0])),  # "great pick. not."
            "retracted": retracted + swapped_out + corrected_bounds, "relaxed": relaxed,
            "permitted": permitted, "permits": permits,
            "addition": is_addition(tokens), "notes": notes + self._recent_note(constraints, tokens),
            "forgets": forgotten([t for t in whole if t != BOUNDARY]),
            "denies_earlier": denied_pronoun_at(tokens) is not None and not any(
                p.get("at", 0) < (denied_pronoun_at(tokens) or 0) for p in people),
            "unknown_person": self._people.unknown(tokens, used, expect, people),
            "comparative": comparative(tokens), "words": [t for t in whole if t != BOUNDARY],
            "indifferent": indifferent,
            "rest": untoned(sentiment_words(rest_text, {tokens[i] for i in used if i < len(tokens)}),
                             intent_of(tokens) == "yes" or judged == "liked"),
            "defines": defines, "last_year": self._last_year,  # a step newer stays within the catalogue
            "empty": not cleaned, "complaint": complaint(clause_tokens(cleaned), self._titles.exact),
            "social": social_act(whole, cleaned) or ("emoji" if only_emoji(str(text or "")) else None)
            or ("age" if ages_of_people(tokens) else None),
        }
        spoken_of = [t for s, e in mentioned if (t := self._titles.exact(" ".join(tokens[s:e])))]
        understood = approved(named_alone(understood), approved_title(cleaned, self._said_title, self._common))
        lone = self._with_lone_title(one_tone_move(understood), cleaned, spoken_of)  # "locke?", "less intense, lighter"
        shown = ShownTitles(self._said_title, self._listed_titles, self._common)(  # "how about heat?",
            with_wanting(asked_not_told(lone, cleaned), expect), cleaned, expect)  # "still want it" at a film
        return shown if expect == "title" else without_figure_titles(shown, str(text or ""))  # "9%??": no *9*

    def _with_lone_title(self, understood: dict[str, Any], cleaned: str, named: Sequence[str] = ()) -> dict[str, Any]:
        """An answer that is a film and nothing else ("goodfellas", "the matrix!"), or that
        only tells of a film ("i first saw the matrix in 1999"), names the film liked, as
        "something like goodfellas" does, whatever the question was."""
        if understood["titles"] or understood["seen_titles"] or understood["wanted_title"] or any(
                understood[k] for k in ("constraints", "people", "question", "social", "asked_title")):
            return understood
        title = lone_title(cleaned, self._said_title, self._common, self._wish_word) or (
            named[0] if len(named) == 1 else None)
        if title is None or understood["intent"] not in ("unknown", "yes", None):  # "goodfellas please"
            return understood
        return dict(understood, title=title, titles=[title], unknown_person=None)

    def _famous_name(self, folded: str) -> bool:
        """"nolan", "wes anderson": a famous surname, or someone's full name."""
        return self._names.famous_surname(folded) if len(folded.split()) == 1 else self._names.names_all(folded.split())

    def _read_otherwise(self, said: str) -> bool:  # "how about nolan", "what about horror"
        folded = fold(said)
        # a genre's own name ("war", "comedy") over a film so titled; a synonym ("alien") is the film
        return self._famous_name(folded) or folded in self._genre_names or bool(
            names_rating(folded)) or bool(year_ranges(folded.split(), self._last_year))

    def _wish_word(self, word: str) -> bool:
        """A genre word or phrase ("kids movie") or a wish the catalogue approximates
        ("superhero"): never a title excluded (a topic it cannot search, "pirates", may be one)."""
        words = tuple(word.split())
        return self._genres.is_genre(words, stemmed=True) or self._approximations.get(
            words) not in (None, "topic") or len(words) > 1 and bool(
            self._genres.find(list(words), False, set()))

    def _wish_said(self, words: str) -> bool:
        """"war", "the 90s", "rated r": words that are a wish of their own."""
        folded = fold(words)
        return self._wish_word(folded) or self._approximated(folded) or bool(names_rating(folded)) or bool(
            year_ranges(folded.split(), self._last_year))

    def _approximated(self, phrase: str) -> bool:
        """A phrase the catalogue approximates ("black and white"): never a title's words; a
        subject or studio refused by its titles ("no zombies", "nothing marvel") is one
        (`chatbot.franchises`)."""
        return self._approximations.get(tuple(phrase.split())) not in (None, "topic") and not (
            subject(phrase) or fully_known(phrase))

    def _titles_by_capital(self, text: str) -> frozenset[str]:
        """Single words written with a capital inside a sentence that are a catalogue title
        ("but not Alien obviously"): the film, even when the word also names a genre."""
        # a capitalised run ("It Follows", "Up"), each mid-sentence: "not The Ring or It Follows"
        words = re.findall(r"(?<=[^\s.!?]\s)[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]*)*\b", text)  # not "R"
        # "not alien", "seen alien": in a title's place, a lower-case title that names no genre
        words += [w for w in title_place_words(text) if fold(w) not in self._genre_names
                  and w.upper() not in self._mpaa and len(w) > 1
                  and fold(w).removesuffix("s") not in self._genre_names]  # "alien", not "horror"
        # A lone capitalised surname of someone famous is that person, not a title the catalogue keys
        # without its article ("no Cruise": Tom Cruise, not The Cruise; "without Bay", not The Bay).
        words = [w for w in words if " " in w.strip() or not (
            self._names.famous_surname(fold(w)) or self._names.shared_first_name(fold(w)))]  # "no Colin"
        return frozenset(k for w in words if self._titles.exact(w) for k in (fold(w), normalise_title(w)))

    def _split_titles(self, text: str) -> tuple[list[str], str, bool]:
        """Titles named after "like"/"similar to" (or "I loved <title>"), and the rest."""
        titles, rest, cue = self._titles.split(text)
        listed = len(titles) > 1  # "loved Up and Her": a capitalised everyday word in a list
        titles = [t for t in titles if (fold(t) not in STOPWORDS or listed and written_as(t, text)) and (
            cue or not self._genres.is_genre(tuple(fold(t).split())) or fold(t) in self._titles_by_capital(text))
            and (written_as(t, text) or not self._approximated(fold(t)))  # "black and white": a look
            and not date_only(t)]  # "something like 90s": a decade, no film called "90s"
        return (titles, rest, cue) if titles else ([], text, False)

    def _asked_title(self, raw: str, tokens: list[str], names: Sequence[str] = (),
                     makers: Sequence[str] = ()) -> tuple[str, str] | None:
        """The catalogue film a question names ("is Titanic any good?") and how it was said, if
        any: a title with a word that is no everyday word, or capitalised mid-sentence; never
        a part of a person's full name said ("is Ben Stiller in it?" names no film *Ben*)."""
        if not is_question(tokens, raw):
            return None
        said_names = [f" {fold(n)} " for n in names]
        # "how about a Hitchcock film?": the person's films, not *Hitchcock* (2012)
        made_by = {fold(n) for n in makers} | {fold(n).split()[-1] for n in makers}
        words = raw.replace("?", " ").split()
        for size in range(min(len(words), 8), 0, -1):
            for start in range(len(words) - size + 1):
                said = " ".join(words[start : start + size]).strip(",.!;:'\"")
                key = fold(said)
                title = self._titles.exact(said)
                after = words[start + size] if start + size < len(words) else None
                if title is None or key in STOPWORDS or key in _PRONOUN_TITLES or key in made_by or inside_name(
                        words, start, size, names) or any(
                        f" {key} " in n and fuzz.ratio(fold(after or ""), n.split()[-1]) >= SAME_NAME
                        for n in said_names) or (
                        key.split()[0] in ("a", "an") and fold(title).split()[0] != key.split()[0]):
                    continue  # "does it have a happy ending" names no film
                rare = any(self._common.get(w, 0.0) < RARE_TITLE_ZIPF for w in key.split()
                           if w not in STOPWORDS)
                capitalised = any(w[:1].isupper() for w in said.split()[1 if not start else 0 :])
                after = words[start + size] if start + size < len(words) else None
                rare = rare or self._asked_about(raw, said, key)
                if (rare or capitalised) and not self._genre_phrase(raw, said, after):
                    return title, said  # "is titanic any good?", not "did you show me first?"
        return None

    @staticmethod
    def _asked_about(raw: str, said: str, key: str) -> bool:
        """"who directed the social network": a title of two everyday words or more that the
        question is about (said as "it", a topic is left: "who directed it"), not a topic
        phrase itself ("does it have a happy ending", "what's the running time")."""
        if len([w for w in key.split() if w not in STOPWORDS]) < 2:
            return False
        rest = _as_it(raw, (said, said))
        return bool(question_topics(clause_tokens(rest), rest))

    def _genre_phrase(self, raw: str, said: str, after: str | None) -> bool:
        """"scary movie", "heist movies": a kind of film, unless quotes or "the film" mark it."""
        return genre_phrase(fold(said).split(), fold(after or ""), lambda w: bool(
            self._genres.find([w], False, set()) or self._approximations.get((w,)))
        ) and not marked_as_title(raw, said)

    def _approximate(self, tokens: list[str], negated: list[bool], used: set[int],
                     notes: list[str]) -> list[tuple]:
        """Wishes the catalogue can only approximate ("superhero", "not too violent"), with
        the note saying so; polarity final."""
        hits: list[tuple] = []
        # "old school": a period phrase, no topic "school"
        periods = {k for i in range(len(tokens)) for k in range(i, period_at(tokens, i) or i)}
        for start in range(len(tokens)):
            if start in periods:
                continue
            for size in (3, 2, 1):
                key = self._approximations.get(tuple(tokens[start : start + size]))
                if key is None or used.intersection(range(start, start + size)):
                    continue
                if negated[start] and subject(key) is not None:  # "horror, no zombies": its titles
                    continue  # are refused (chatbot.title_wishes), never the whole genre
                entry = APPROXIMATIONS[key]
                found = entry.get("negated") if negated[start] else entry.get("constraints")
                if found is not None:  # [] for a topic or mood it can only name, not search
                    used.update(range(start, start + size))
                    hits += [(start, start + size, dict(c, _fixed=True) | _as_limit(c)) for c in found]
                    note = entry.get("negated_note", entry["note"]) if negated[start] else entry["note"]
                    if note not in notes:
                        notes.append(note)
                break
        return hits

    @staticmethod
    def _topic_note(tokens: list[str], used: set[int], hits: Sequence[tuple], people: Sequence[dict[str, Any]],
                    notes: Sequence[str]) -> list[str]:
        """The topic caveat for a film wished "about" words nothing else read ("documentary
        about nature"): said once, the genre kept."""
        said = str(APPROXIMATIONS["topic"]["note"])
        covered = [i in used for i in range(len(tokens))]
        for start, end, *_ in hits:
            covered[start:end] = [True] * (end - start)
        for person in people:  # a name after "about" is a person wished, no subject
            at = int(person.get("at", -1))
            if 0 <= at < len(covered):
                covered[at] = True
        genre_ends = {end for _start, end, wish, *_ in hits if isinstance(wish, dict) and wish.get("slot") == "genre"}
        return [said] if said not in notes and about_topic(tokens, covered, genre_ends) else []

    def _recent_note(self, constraints: list[dict], tokens: Sequence[str] = ()) -> list[str]:
        """Saying so when a wish reaches to "now": the catalogue ends at its last year (not
        for "newer" than a film named: that is counted from the film; nor after a year
        said that the catalogue reaches, "after 2000": the wish does not go past its end)."""
        last = self._last_year
        if not last or any(t.isdigit() and len(t) == 4 and int(t) <= last for t in tokens):
            return []
        recent = [c for c in constraints if c["slot"] == "year" and not c["exclude"]
                  and not c.get("relative")
                  and c["range"][1] is None and (c["range"][0] or 0) >= last - 15]
        return [f"My catalogue only goes up to {last}."] if recent else []

    def _years(self, tokens: list[str], used: set[int]) -> list[tuple]:
        hits = []
        aside = aside_mask(tokens, lambda w: self._genres.is_genre((w,), stemmed=True))
        asked_why = why_mask(tokens)  # "why only 1979 or earlier??": the bot's reading quoted
        dates = [d for d in year_ranges(tokens, self._last_year) if not aside[d[0]] and not asked_why[d[0]]]
        for s, e, first, last in self._spans(dates, used):  # "he died last year": no wish
            wish = year_constraint(first, last)
            relative = comparative(tokens[s:e])  # "something older": than the film shown
            if (relative and tokens[s] in ("older", "newer", "earlier", "later")
                    and not names_a_date(tokens[s:e])):  # "older than the 80s": not the film's
                wish["relative"] = relative
            if asked_for(tokens, s):  # "nope 😴 like 2000s": a wish, whatever the verdict
                wish["requested"] = True
            hits.append((s, e, wish))
        return hits

    @staticmethod
    def _spans(found: list[tuple], used: set[int]) -> list[tuple]:
        """The ``(start, end, ...)`` hits on tokens not used yet; their tokens become used."""
        free = [h for h in found if not used.intersection(range(h[0], h[1]))]
        for hit in free:
            used.update(range(hit[0], hit[1]))
        return free


def _shorter_longer(words: list[str], wish: dict[str, Any]) -> dict[str, Any]:
    """"something shorter" (the word alone): shorter than the film on the table, if any;
    "something short", "not too long": short, and shorter than a film shown (``"short"``)."""
    if words in (["shorter"], ["longer"]):
        wish["relative"] = words[0]
    elif words in (["more", "short"], ["less", "long"], ["more", "long"], ["less", "short"]):
        wish["relative"] = "shorter" if words in (["more", "short"], ["less", "long"]) else "longer"
    elif words[-1:] in (["long"], ["short"], ["lengthy"]) and wish.get("range") == [None, SHORT_MINUTES]:
        wish["relative"] = "short"  # "not so long", "something short": under a short film shown too
    return wish


def _as_it(text: str, asked: tuple[str, str]) -> str:
    """"what is Casablanca rated?" -> "what is it rated?": the question's topic phrases."""
    return text.replace(asked[1], "it", 1)


_PRONOUN_TITLES = frozenset("it her him them us me you she he this that they one up".split()) | {
    "the one", "this one", "that one", "the movie", "the film", "the end", "the other one"}


def _phrase_words(table: Mapping[str, Iterable[str]]) -> set[str]:
    """Words of the intent phrases, never part of a name (the closing phrases' words are
    everyday words that are: "Doris Day", "M. Night Shyamalan")."""
    return {word for name, phrases in table.items() if name != "done"
            for p in phrases for word in p.split()}


_INTENT_WORDS = frozenset(_phrase_words(INTENT_PHRASES))


def _counts(people: Mapping[str, int] | Iterable[str]) -> dict[str, int]:
    if isinstance(people, Mapping):
        return {str(k): int(v) for k, v in people.items()}
    return dict.fromkeys(people, 1)


def _as_limit(wish: dict[str, Any]) -> dict[str, Any]:
    """A rating a mood asks for ("nothing too scary": PG-13 or below) is a limit: it never
    widens a stricter rating standing (G or PG for a child of 9)."""
    return {"ceiling": True} if wish["slot"] == "mpaa" and not wish["exclude"] else {}

