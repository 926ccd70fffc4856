"""How the policy routes a question (``chatbot.policy``): about the film it names, the film
on the table, the catalogue, or a person's films; "too long, something shorter?" is a
request, not a question. Pure; no IO. Example::

    question("watched", state, nlu)   # {"act": "answer", "topics": ["runtime"], ...} or None
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz, process

from chatbot.answering import asked_film
from chatbot.question_topics import ONE_WORD_TOPICS, QUESTION_TOPICS
from chatbot.recall import recalled_genre, recalls_first
from chatbot.text import english_words, fold
from chatbot.titles import normalise_title, sequel_key, split_title_year
from chatbot.tone_answers import tone_asked

ANSWER_STAGES = ("watched", "like", "another")

_SEQUEL_SAID = frozenset("sequel sequels prequel prequels series franchise trilogy".split())


def question(stage: str, state: Mapping[str, Any], nlu: Mapping[str, Any]) -> dict | None:
    """The ``answer`` act for a question about a film, or None: about the film it names, or,
    while one is proposed, about that one ("is Bruce Willis in it?", "is it sad?", "cast?")."""
    if nlu.get("outburst"):  # "are you kidding me?": nothing asked of the film
        return None
    current = state.get("current") if stage in ANSWER_STAGES else None
    if current and _says_title(nlu, str(current.get("title") or "")) and not _names_another(
            nlu, current) and not _refuses_title(nlu) and not _wants_like(nlu, current):  # "is Ferris Bueller
        nlu = _about_current(nlu, str(current["title"]))  # still funny?": the film, no Pam Ferris
    topics = list(nlu.get("question") or ())
    if _similar_for_audience(nlu, topics):  # "my 6yo loves Cars, any others like it?"
        return None
    if {"cast", "leads"} & set(topics) and _WOMEN & set(nlu.get("words") or ()):
        topics = ["gender", *topics]  # "who's the girl in it?": the catalogue can't tell
    on_table = stage in ANSWER_STAGES and state.get("current") or asked_film(state) is not None
    if on_table and "recall" in topics:  # "what was that war one called again?"
        return {"act": "answer", "topics": ["recall"], "recall_genre": recalled_genre(nlu.get("words") or ())}
    if on_table and "history" in topics and recalls_first(nlu.get("words") or ()):
        return {"act": "answer", "topics": ["history"], "history_first": True}  # "the first one you said"
    other = _other_film_question(nlu, bool(on_table))
    if other is not None:  # the catalogue, or what else a person made: not the film on the table
        return other
    if on_table and nlu.get("asked_title") and compares_quality(nlu):  # "is it better than Heat?"
        return {"act": "answer", "topics": ["range_check"],
                "ranges": [{"slot": "quality", "than": nlu["asked_title"]}]}
    if not on_table and nlu.get("asked_title") and nlu.get("about_film") and compares_quality(nlu):
        # "did critics like it more than Heat?" before any film: no "it" yet; Heat's figure
        return {"act": "answer", "topics": ["quality"], "title": nlu["asked_title"], "no_film_yet": True}
    named = nlu.get("asked_title") and not (on_table and nlu.get("about_film") and
                                             not _named_first(nlu))
    if named:  # "is Titanic any good?", "who directed Fargo, and is X in it?", "was X in Aliens?"
        directing = "director" if _DIRECTING & set(nlu.get("words") or ()) and (
            "director" not in topics) else None  # "did Nolan direct Heat?", not "who directed X"
        people = [{"name": p["name"], "cue": p.get("cue") or directing} for p in nlu.get("people") or ()
                  if not p.get("negated") and not nlu.get("film_ask")]  # "... with Bruce Willis?"
        if _NUMBERED.search(str(nlu["asked_title"])) and not _SEQUEL_SAID & set(
                nlu.get("words") or ()):  # "was Keaton in the Godfather part 2?"; not "is X 2 a sequel?"
            topics = [t for t in topics if t != "sequel"]
        # "is Kate Winslet in Titanic?" (the title after "in") or the title before "it": not
        # "watch it with popcorn and Bruce Willis"
        if not (_in_title(nlu, str(nlu["asked_title"])) or _named_first(nlu)):
            people = []
        topics = [t for t in topics if t not in ("cast", "leads") or not people] + (
            ["person"] if people else [])
        ratings = rating_checks(nlu)  # "is godzilla 2014 rated pg-13?": that film's rating
        topics = [t for t in topics if t != "mpaa" or not ratings] + (["mpaa_check"] if ratings else [])
        if topics:
            return {"act": "answer", "topics": topics, "title": nlu["asked_title"], "people": people,
                    "ratings": ratings}
    if not on_table:  # "is it scary?" before any film: there is none to answer about yet
        topics = [t for t in topics if t != "named"]  # "a film where a shark ..., what's it
        # called?": a film described, not one shown
        about = nlu.get("interrogative") and (nlu.get("about_film") or _names_fact(
            topics, nlu)) and not (
            nlu.get("request") or nlu.get("film_ask") or nlu.get("people"))  # "my son is 12,
        # what could he watch?", "a guy relives one day, Bill Murray was in it?": a request;
        # "what's the score on rotten tomatoes?": a figure of a film not proposed yet
        return {"act": "answer", "topics": topics or ["other"]} if about else None
    if _asks_instead(nlu):  # "too long, something shorter?": the request, not the question
        return None
    mood = tone_asked(nlu.get("words") or ())  # "is it sad?", "will it make me cry?"
    facts = [t for t in topics if t in _FACT_TOPICS and t not in ("genre", "mpaa")]  # asked beside
    if mood and nlu.get("interrogative") and set(topics) - set(facts) <= {"other", "genre"} and (nlu.get("notes") or not any(
            c["slot"] == "genre" and not c["exclude"] for c in nlu.get("constraints") or ())):  # a genre
        # the words only approximate ("make me cry": dramas) is no genre asked about; "who's
        # in it? is it sad?" answers both
        return {"act": "answer", "topics": [*facts, "tone"], "mood": mood}
    if _open_question(nlu):  # "does the dog die?": nothing to read as a wish or a verdict
        return {"act": "answer", "topics": topics or named_facts(nlu) or ["other"]}
    if not (topics or nlu.get("interrogative") and nlu.get("about_film")):
        return None
    if "history" in topics:
        return {"act": "answer", "topics": ["history"]}
    people = [{"name": p["name"], "cue": p.get("cue")} for p in nlu.get("people") or ()
              if not p.get("negated")]
    genres = [v for c in nlu.get("constraints") or () if c["slot"] == "genre"
              and not c["exclude"] for v in c["values"]]
    if "mpaa" in topics:  # "is there a lot of gore?": the rating is what the catalogue knows
        genres = []
    ratings = rating_checks(nlu)
    ranges = range_checks(nlu)
    if ranges and not people and not genres:  # "was it made before 2000?", "is it longer than Heat?"
        return {"act": "answer", "topics": [*[t for t in topics if t not in ("year", "runtime")], "range_check"],
                "ranges": ranges}
    bounds = [c for c in nlu.get("constraints") or () if c["slot"] == "mpaa" and not c["exclude"]
              and (c.get("audience") or nlu.get("notes"))]
    bounds = [c for c in bounds if c.get("audience")] or bounds  # who watches decides
    suited = list(dict.fromkeys(v for c in bounds for v in c.get("values") or ()))
    if suited:  # "is it too scary for a little one?": the rating, never a bare "yes"
        return {"act": "answer", "topics": [*facts, "suitability"], "ratings": suited}
    if (genres or "mpaa" in topics) and (_FRIGHT | _GORE) & set(nlu.get("words") or ()) and not ratings:
        # "is it really scary?", "is it gory?": what the catalogue knows, no bare yes
        return {"act": "answer", "topics": [*facts, "suitability"], "ratings": []}
    if "reason" in topics:  # "why this one?": the wishes it was chosen for, and any other
        # question of the same message ("is it any good though? why that one")
        asked = [t for t in topics if t in _FACT_TOPICS]
        return {"act": "answer", "topics": [*asked, "reason"]}
    if genres and nlu.get("notes"):  # "is it a superhero movie?": no such category to check
        genres, topics = [], [*topics, "other", "genre"]
    topics = ([t for t in topics if (t not in ("cast", "leads") or not people) and (t != "mpaa" or not ratings)]
              + (["person"] if people else []) + (["genre_check"] if genres else [])
              + (["mpaa_check"] if ratings else []))
    if not topics and not (nlu.get("interrogative") and nlu.get("about_film")):
        return None
    return {"act": "answer", "topics": topics or ["other"], "people": people, "genres": genres,
            "ratings": ratings}


_QUALITY_COMPARED = re.compile(r"\b(better|worse|as good|so good|vs|versus|compared?( to| with)|"
                               r"(liked?|rated?|rate) (it )?(more|less|higher|lower)|same as|"
                               r"(more|less|as|so) (popular|liked|loved|acclaimed|famous|successful|"
                               r"highly rated|well liked|well reviewed)|(higher|lower|better) rated|"
                               r"(more|less|better|worse) reviewed|(beat|beats|outscore|outscored))\b")


def compares_quality(nlu: Mapping[str, Any]) -> bool:
    """"is it better than Inception?", "as good as Heat?", "did critics like it more than X?",
    "was it more popular than X?": a question comparing the film with another, never a wish."""
    return bool(nlu.get("interrogative") and _QUALITY_COMPARED.search(" ".join(nlu.get("words") or ())))


def range_checks(nlu: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The year and length bounds a yes-or-no question about the film checks ("was it made before
    2000?", "is it longer than Jurassic Park?"), when it is one: the catalogue holds both facts."""
    if not (nlu.get("interrogative") and nlu.get("about_film")):
        return []
    criticised = nlu.get("criticised_length")  # "is it too long (for a weeknight)?": compares
    # with no film and no bound said, so the length is the answer
    return [dict(c) for c in nlu.get("constraints") or () if c["slot"] in ("year", "runtime")
            and not c["exclude"] and (c.get("than") or any(v is not None for v in c.get("range") or ()))
            and not (criticised and c == criticised)]


def rating_checks(nlu: Mapping[str, Any]) -> list[str]:
    """The ratings a question checks ("is it rated PG?"), when it is one; "one that's a bit
    milder?" asks for another film, checks nothing; who watches ("my daughter (6) loves
    Frozen, anything similar?") bounds the rating of the films wanted, asks no film's."""
    if not nlu.get("interrogative"):
        return []
    return [v for c in nlu.get("constraints") or () if c["slot"] == "mpaa" and not c["exclude"]
            and not c.get("relative") and not c.get("audience") for v in c.get("values") or ()]


def _says_title(nlu: Mapping[str, Any], title: str) -> bool:
    """Two words of ``title`` in a row are said ("is Ferris Bueller still funny?")."""
    said = [w.removesuffix("s") for w in nlu.get("words") or ()]
    key = [w.removesuffix("s") for w in fold(title).split() if w not in ("the", "a", "an")]
    return len(key) >= 2 and any(said[i : i + 2] == key[j : j + 2] for i in range(len(said))
                                 for j in range(len(key) - 1))


def _similar_for_audience(nlu: Mapping[str, Any], topics: list[str]) -> bool:
    """"my daughter (6) loves Frozen, anything similar?", "my 6yo keeps rewatching Cars, any
    others like it?": the child's age ("6 year old" is a rating topic) bounds the films asked
    for, and the message asks for films like one; nothing is asked of the film's rating."""
    words = " ".join(nlu.get("words") or ())
    audience = any(c.get("slot") == "mpaa" and c.get("audience") for c in nlu.get("constraints") or ()
                   ) or bool(_AGE_SAID.search(words))  # the age read in a clause before this one
    return audience and set(topics) <= {"mpaa"} and bool(_SIMILAR.search(words)) and not (
        _SUITABILITY.search(words))


_SIMILAR = re.compile(r"\b(?:similar|(?:others?|more|something|anything|one|ones|films?|movies?|stuff)"
                      r" (?:\w+ )?like (?:it|that|this|them)|in that vein|along those lines|same vibe)\b")
_AGE_SAID = re.compile(r"\b\d{1,2} ?(?:year|years|yr|yrs) olds?\b|\b\d{1,2} ?yos?\b")
# "is it ok for my 6 year old?", "too scary for a 7yo?": the film's rating asked about
_SUITABILITY = re.compile(r"\b(?:ok|okay|fine|safe|suitable|appropriate|alright|too|rated|rating|"
                          r"allowed|scary|violent)\b")


def _wants_like(nlu: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """"something like it but more kid friendly" (it spelt as the film shown): a request for
    films like it, never a question about it."""
    return bool(nlu.get("request") and not nlu.get("interrogative")
                and current.get("title") in (nlu.get("titles") or ()))


def _refuses_title(nlu: Mapping[str, Any]) -> bool:
    """The message refuses a film by title ("I said not Pretty Woman!!"): a refusal, never
    a question about the film it names."""
    return not nlu.get("interrogative") and any(
        c.get("slot") == "title" and c.get("exclude") for c in nlu.get("constraints") or ())


def _names_another(nlu: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """The question names a film other than ``current`` in full, though it shares words with
    it: a sequel ("how long is toy story 2?" while Toy Story is on the table) or a remake of
    another year ("is king kong 1976 any good?" while the 2005 one is)."""
    title, year = split_title_year(str(nlu.get("asked_title") or ""))
    if not title:
        return False
    if sequel_key(normalise_title(title)) != sequel_key(normalise_title(str(current.get("title") or ""))):
        return True
    return year is not None and current.get("year") is not None and year != current["year"]


def _about_current(nlu: Mapping[str, Any], title: str) -> dict[str, Any]:
    """The question is about the film on the table: its title's words name no person and no
    other film; a genre word it holds ("funny") asks what kind of film it is."""
    return dict(nlu, people=people_besides_title(nlu, title), about_film=True, asked_title=None,
                interrogative=True)


def people_besides_title(nlu: Mapping[str, Any], title: str) -> list[dict[str, Any]]:
    """The people named, less those whose name was only read from the words of ``title``
    ("do you have Ferris Bueller's Day Off?" names no Pam Ferris and no Niels Mueller)."""
    words = {w.removesuffix("s") for w in fold(title).split()}
    said = {w.removesuffix("s") for w in nlu.get("words") or ()}
    names = [(p, {w.removesuffix("s") for w in fold(p["name"]).split()}) for p in nlu.get("people") or ()]
    return [p for p, name in names if name <= said - words or not any(
        fuzz.ratio(a, b) >= SAME_WORD for a in words for b in name)]


def _in_title(nlu: Mapping[str, Any], title: str) -> bool:
    """"is Kate Winslet in Titanic?": the title follows "in" (not "with popcorn and X")."""
    words = list(nlu.get("words") or ())
    said = [w for w in fold(title).split() if w not in ("the", "a", "an")]
    return any(words[i] == "in" and [w for w in words[i + 1 : i + 1 + len(said) + 1]
                                     if w not in ("the", "a", "an")][: len(said)] == said
               for i in range(len(words)))


_FRIGHT = frozenset("""scary scarey frightening terrifying creepy spooky horrifying disturbing
    intense freaky""".split())
# how much violence a film shows: the catalogue has no measure of it, only genres and rating
_GORE = frozenset("""gory gorey gore blood bloody violent violence graphic brutal gruesome
    grisly""".split())
_WOMEN = frozenset("""girl girls woman women lady ladies actress actresses female heroine she
    her wife mother mom daughter sister""".split())


def _named_first(nlu: Mapping[str, Any]) -> bool:
    """The film a question names comes before any "it": "who directed Fargo, and is X in it?"
    asks about Fargo; "is it as good as Fargo?" about the film on the table."""
    words = list(nlu.get("words") or ())
    key = f' {fold(str(nlu.get("asked_title") or ""))} '
    said = f' {" ".join(words)} '
    if any(key in f' {fold(p["name"])} ' and f' {fold(p["name"])} ' in said and
           len(fold(p["name"]).split()) > len(key.split()) for p in nlu.get("people") or ()):
        return False  # "isn't Jack Nicholson in this one": no film called Jack (but "Fargo")
    first = key.split()[:1]
    at = next((i for i, w in enumerate(words) if first and w == first[0]), None)
    pronoun = next((i for i, w in enumerate(words) if w in _ON_TABLE_WORDS), len(words))
    return at is not None and at < pronoun


_ON_TABLE_WORDS = frozenset("it its this that".split())
_FACT_TOPICS = ("quality", "runtime", "year", "cast", "director", "mpaa", "genre", "more")
SAME_WORD = 80  # rapidfuzz ratio: a name word this close to a title word is that word
_NUMBERED = re.compile(r"\b(part|[0-9]+|i{2,3}|iv|vi{0,3})\b", re.I)
_DIRECTING = frozenset("director directors directed direct directs directing filmmaker".split())


def _other_film_question(nlu: Mapping[str, Any], on_table: bool) -> dict | None:
    """A question that is not about the film on the table (``chatbot.questions``): "do you
    have The Proposal?" (``have_title``), "do you have kuch kuch hota hai?" with no such
    title (``catalogue_miss``), "what else has the lead been in?" (``filmography``). A
    catalogue question naming wishes ("got anything from the 60s?") is a request: None."""
    people = [p["name"] for p in nlu.get("people") or () if not p.get("negated")]
    if nlu.get("filmography") and (on_table or people):  # "what else has he done in the 70s?"
        years = [c["range"] for c in nlu.get("constraints") or () if c["slot"] == "year"
                 and not c["exclude"]]
        return {"act": "filmography", "role": _role_of(nlu, str(nlu["filmography"])), "people": people,
                "years": years[0] if years else None}
    if nlu.get("age_asked") and (people or on_table):  # "how old is Al Pacino?": no birth dates
        return {"act": "filmography", "ranked": ["year", False], "age": True, "people": people,
                "notes": [], "role": None}
    if nlu.get("superlative"):  # "whats the shortest one he did?": ranked from the catalogue
        return {"act": "filmography", "ranked": list(nlu["superlative"]), "people": people,
                "notes": [], "role": "director" if _DIRECTING & set(nlu.get("words") or ()) else None}
    if not nlu.get("catalogue"):
        return None
    if nlu.get("catalogue_title"):
        return {"act": "have_title", "title": nlu["catalogue_title"]}
    if _names_wishes(nlu) or not nlu.get("catalogue_object"):
        return None
    return {"act": "catalogue_miss", "asked": nlu["catalogue_object"]}


def _role_of(nlu: Mapping[str, Any], asked: str) -> str:
    """The role a filmography question asks of the person it names: the one asked ("what
    else did Spielberg make?"), unless the person has films in another only ("what movies did
    Jim Carrey make?": as an actor)."""
    roles = [p.get("roles") or () for p in nlu.get("people") or () if not p.get("negated")]
    return asked if not roles or not roles[0] or asked in roles[0] else str(roles[0][0])


def _names_wishes(nlu: Mapping[str, Any]) -> bool:
    return bool(nlu.get("constraints") or nlu.get("people") or nlu.get("titles")
                or nlu.get("title") or nlu.get("notes") or nlu.get("seen_titles"))


def _names_fact(topics: list[str], nlu: Mapping[str, Any]) -> bool:
    """"hmm whats the runtime", "who's the lead?" before any film: a question naming a fact
    of a film asks about one (none is proposed yet), never answers the open question; the
    fact and no wish ("whats the rating" at any question) waives nothing."""
    if not topics or not all(t in _NO_FILM_FACTS for t in topics) or nlu.get("constraints"):
        return False
    words = [str(w) for w in nlu.get("words") or ()]  # the fact named, not a "who" alone
    text = f" {' '.join(words)} "  # ("that one has X, who I told you I hate": no question)
    return any(w in ONE_WORD_TOPICS for w in words) or any(
        f" {p} " in text for phrases in QUESTION_TOPICS.values() for p in phrases)


# the facts a question can ask of a film not proposed yet
_NO_FILM_FACTS = frozenset({"quality", "runtime", "year", "cast", "leads", "cast_more", "director",
                            "mpaa", "plot"})


def named_facts(nlu: Mapping[str, Any]) -> list[str]:
    """The facts a question with no known phrasing names ("and the yeer??", "runtme?"): a
    fact noun said, or a word no English one within a typo of it. "I can't tell that" is
    never said of a fact the catalogue has."""
    common = english_words()
    found = []
    for word in nlu.get("words") or ():
        if word in ONE_WORD_TOPICS:
            found.append(ONE_WORD_TOPICS[word])
        elif len(word) >= 4 and word not in common:
            near = process.extractOne(word, list(ONE_WORD_TOPICS), scorer=fuzz.ratio,
                                      score_cutoff=FACT_TYPO_RATIO)
            found += [ONE_WORD_TOPICS[near[0]]] if near else []
    return list(dict.fromkeys(found))


FACT_TYPO_RATIO = 75  # rapidfuzz ratio: "yeer" (75) is the year; English words never count


def _asks_instead(nlu: Mapping[str, Any]) -> bool:
    """While a film is proposed, words that ask for a different one with a wish or "another"
    ("too long, something shorter?", "any good? maybe something similar") are a request."""
    wish = nlu.get("constraints") or nlu.get("intent") == "another"
    people = set(nlu.get("question") or ()) & {"cast", "cast_more", "leads", "director", "more"}
    return bool(nlu.get("request") and wish and not nlu.get("about_film") and not people)


def _open_question(nlu: Mapping[str, Any]) -> bool:
    """A question that names no wish, asks for no film and is no yes or no ("does the dog
    die?", "is there a twist?"): a question about the film on the table."""
    return bool(nlu.get("interrogative")) and nlu.get("intent") == "unknown" and not (
        nlu.get("request") or nlu.get("constraints") or nlu.get("people") or nlu.get("titles")
        or nlu.get("title") or nlu.get("correction") or nlu.get("verdict")
        or nlu.get("watching"))
