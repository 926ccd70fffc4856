"""Complaints about the film on the table: what the user says is wrong with it.

"that's not dark at all, I said dark", "it's kind of sad though, no?", "he's barely in that,
and it's not romantic at all": each names what is wrong, so it is no question to answer
("can't tell") nor a yes or no to "have you watched it?". A complaint is read from its
structure:

* **the film as subject**: a clause opening (after fillers) with the film ("it's", "that
  one is", "this was", or its title) then, perhaps denied and graded ("not ... at all",
  "kind of", "way too"), a quality: a genre word ("romantic", "funny") or a mood word
  ("dark", "sad", "cheesy"). A denied genre or mood is a wish the film missed ("not romantic
  at all"); a mood said plainly is one the user does not want if it is unwelcome ("kind of
  sad though").
* **a wish restated**: "I said dark", "I asked for something funny", "I wanted a comedy".
* **a minor part**: "he's barely in it", "she's only in it for a minute": the person asked
  for should carry the film.

Pure; no IO. The NLU reads it (key ``complaint``), the policy decides (a different film,
honouring what the catalogue can measure and saying what it cannot). Example::

    complaint(clause_tokens("that's not dark at all, I said dark"))
    # {'genres': [], 'moods': ['dark'], 'unwanted': [], 'minor_part': False}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chatbot.cues import BOUNDARY
from chatbot.lexicon import APPROXIMATION_SYNONYMS, GENRE_SYNONYMS
from chatbot.tone_steps import tone_steps

_FILLERS = frozenset("""hmm hm um umm uh well but and so honestly tbh ngl lol oh ah yeah yea
    ok okay also plus though tho wait no nah nope i mean actually like ugh meh bruh bro eh ehh
    idk man dude omg yikes welp sorry hmmm mmm""".split())
_SUBJECTS = (("it",), ("its",), ("that",), ("thats",), ("this",), ("that", "one"),
             ("this", "one"), ("that", "ones"), ("this", "ones"), ("the", "movie"),
             ("the", "film"), ("that", "movie"), ("this", "movie"), ("that", "film"),
             ("this", "film"))
_VERBS = frozenset("is s was looks looked seems seemed feels felt sounds sounded isnt wasnt".split())
_SELF_VERBED = frozenset("its thats".split())
_DENIALS = frozenset("not isnt wasnt never hardly barely".split())
_RESTATED = (("i", "said"), ("i", "asked", "for"), ("i", "wanted"), ("i", "want"),
             ("i", "told", "you"), ("i", "did", "say"), ("i", "meant"), ("i", "was", "after"),
             ("i", "asked"))
# moods nobody asks to be handed unasked: said plainly of the film, they are what is wrong
_UNWELCOME = frozenset("""sad depressing heavy bleak grim dark tragic upsetting gloomy cheesy
    sappy mushy sentimental slow boring weird predictable pretentious intense stressful
    violent brutal gory bloody graphic creepy disturbing childish silly dumb dated""".split())
_PEOPLE = frozenset("he hes she shes they theyre".split())
# "too romantic", "way too much romance", "a bit too much of a comedy": more than wanted
_EXCESS = frozenset("too overly".split())
# "doesn't sound like a whodunnit", "didn't feel very funny": the film seems to lack it
_SEEMS = frozenset("sound sounds look looks seem seems feel feels".split())
# studios: the catalogue records none ("thats disney not pixar")
STUDIOS = {"pixar": "Pixar", "disney": "Disney", "dreamworks": "DreamWorks", "ghibli": "Ghibli",
           "marvel": "Marvel", "illumination": "Illumination", "a24": "A24"}
_MINOR = frozenset("barely hardly only briefly".split())


def complaint(tokens: Sequence[str], title: Callable[[str], Any] | None = None
              ) -> dict[str, Any] | None:
    """What ``tokens`` (``chatbot.cues.clause_tokens``) say is wrong with the film on the
    table, or None: ``genres`` it should have had, ``moods`` it should have had (the
    catalogue cannot tell them), ``unwanted`` moods it has, ``minor_part`` (the person asked
    for is barely in it). ``title`` looks a title up, for "Heat is kind of slow"."""
    found: dict[str, Any] = {"genres": [], "moods": [], "unwanted": [], "minor_part": False,
                             "excess": [], "studios": [],
                             "tones": tone_steps([t for t in tokens if t != BOUNDARY])}  # "darker"
    for words in _clauses(tokens):
        if _minor_part(words):
            found["minor_part"] = True
            continue
        rest = _after_subject(words, title)
        if rest is None:
            rest = _after_restated(words)
            if rest is None:
                continue
            rest = ["not", *rest]  # "I said dark": the film was not dark
        _qualities(rest, found)
    if not any(found[k] for k in ("genres", "moods", "unwanted", "minor_part", "excess", "studios",
                                  "tones")):
        return None
    return found


def _clauses(tokens: Sequence[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token == BOUNDARY:
            clauses.append([])
        else:
            clauses[-1].append(token)
    out = []
    for words in clauses:
        while words and words[0] in _FILLERS:
            words = words[1:]
        if words:
            out.append(words)
    return out


def _after_subject(words: list[str], title: Callable[[str], Any] | None) -> list[str] | None:
    """The words after "it's" / "that one is" / "<title> is", or None."""
    if words[0] in _SELF_VERBED:
        return words[1:]
    if tuple(words[:2]) in (("that", "ones"), ("this", "ones")):  # "that one's way too bleak"
        return words[2:]
    if "too" in words[:3]:  # "too violent for me", "way too slow": the film is the subject
        return words
    if words[0] in _SEEMS and words[1:2] != ["like"]:  # "looks a bit slow", "sounds cheesy":
        return words[1:]  # the film, unsaid, is the subject (not "looks like a comedy to me")
    if words[0] == "not" and ("enough" in words[2:5] or words[-2:] == ["at", "all"]):
        return words  # "not scary enough tbh", "not funny at all": the film lacks it
    seems = _seems_lacking(words)
    if seems is not None:  # "it doesn't sound like a whodunnit": it lacks one
        return seems
    for subject in sorted(_SUBJECTS, key=len, reverse=True):
        size = len(subject)
        if tuple(words[:size]) == subject and len(words) > size and words[size] in _VERBS:
            return ["not", *words[size + 1 :]] if words[size] in ("isnt", "wasnt") else words[size + 1 :]
    if title is not None:
        for k in range(min(len(words) - 2, 8), 0, -1):
            if words[k] in ("is", "was", "s", "isnt", "wasnt") and title(" ".join(words[:k])):
                return words[k + 1 :] if words[k] not in ("isnt", "wasnt") else ["not", *words[k + 1 :]]
    return None


def _seems_lacking(words: list[str]) -> list[str] | None:
    """"(it) does not sound like a whodunnit", "that did not look funny": ``not`` and the
    quality, or None."""
    at = 1 if words[:1] and (words[0],) in _SUBJECTS else 0
    if tuple(words[at : at + 2]) in (("does", "not"), ("did", "not")) and words[at + 2 : at + 3] and \
            words[at + 2] in _SEEMS:
        return ["not", *words[at + 3 :]]
    return None


def _after_restated(words: list[str]) -> list[str] | None:
    for phrase in _RESTATED:
        if tuple(words[: len(phrase)]) == phrase and len(words) > len(phrase):
            rest = words[len(phrase) :]
            return rest if rest[0] not in ("no", "not", "nothing", "that", "it", "i") else None
    return None


def _qualities(words: list[str], found: dict[str, Any]) -> None:
    """Genres and moods in ``words`` into ``found``; a denial holds to the clause's end."""
    denied = False
    for i, word in enumerate(words):
        if word in _DENIALS:
            denied = True
            continue
        if word in STUDIOS:  # "disney not pixar": no studio to check, no genre either
            found["studios"] += [STUDIOS[word]] * (STUDIOS[word] not in found["studios"])
            continue
        genre = GENRE_SYNONYMS.get(" ".join(words[i : i + 2])) or GENRE_SYNONYMS.get(word)
        mood = word if APPROXIMATION_SYNONYMS.get(word) in ("sad", "unmeasured", "violent") else None
        if genre and not denied and _EXCESS & set(words[max(0, i - 4) : i]):
            found["excess"] += [genre] * (genre not in found["excess"])  # "too romantic"
        elif genre and denied:
            found["genres"] += [genre] * (genre not in found["genres"])
        elif mood and denied:
            found["moods"] += [mood] * (mood not in found["moods"])
        elif mood and word in _UNWELCOME:
            found["unwanted"] += [mood] * (mood not in found["unwanted"])


def _minor_part(words: list[str]) -> bool:
    """"he's barely in it", "she is only in it for a minute", "they're hardly in that"."""
    if words[0] not in _PEOPLE:
        return False
    rest = words[1:]
    if rest[:1] in (["is"], ["are"], ["s"], ["was"]):
        rest = rest[1:]
    return bool(rest) and rest[0] in _MINOR and "in" in rest[1:4]


def note(found: dict[str, Any], title: str, wished: Sequence[str] = ()) -> list[str]:
    """What the bot says back: the moods it cannot tell, the genres already ``wished`` that
    the catalogue lists ``title`` under, the lead it cannot be sure of."""
    notes = []
    kept = [g for g in found["genres"] if g in wished]
    if kept:
        said = " and ".join(kept)
        notes.append(f"My catalogue lists {title} as {said}; I'll look for one where {said} "
                     "comes first.")
    moods = [*found["moods"], *found["unwanted"]]
    if moods:
        said = " or ".join(dict.fromkeys(moods))
        notes.append(f"I can't tell whether a film is {said} from my catalogue (only its genres, "
                     f"people, year, length and rating), so I'll try one other than {title}.")
    if found.get("studios"):
        studios = list(found["studios"])
        apart = (f"a {studios[0]} film from a {studios[1]} one" if len(studios) > 1
                 else f"a {studios[0]} film from others")
        notes.append(f"My catalogue doesn't record which studio made a film, so I can't tell "
                     f"{apart}; I'll try one other than {title}.")
    if found["minor_part"]:
        notes.append("My catalogue's cast lists are not in billing order, so I can't tell a lead "
                     "from a small part for sure; I'll look for one they lead.")
    return notes
