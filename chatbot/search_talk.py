"""Talk about the search itself rather than about films: how the bot picks, what it has noted
so far, "no preference" for every open question or no more questions, and the replies to
them. Pure; no IO. Example::

    asks_method(clause_tokens("can you explain how you pick the movies?"))   # True
    asks_recap(clause_tokens("wait what genre did you pick"))                # True
    answers_all(clause_tokens("no preference on any of it"))                 # True
    recap([{"slot": "genre", "values": ["comedy"], "exclude": False}])
    # "I haven't picked a film yet. So far I have: the genre comedy."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.acts import PhraseTable
from chatbot.nlg import describe_wish
from chatbot.pronouns import possessive
from chatbot.text import join_words
from chatbot.viewings import Seer, seen_by_sentence

HOW_I_PICK = ("I keep to the films in my catalogue that meet everything you asked for (genre, "
              "people, years, length, rating) and rank them by how well viewers rated them, "
              "how close they are to films you liked and how far from ones you turned down. "
              "If none meets it all, I leave a wish out and tell you which.")
_METHOD_TABLE = PhraseTable(tuple(f"{how} {who} {verb}" for how in ("how do", "how did", "how")
                                  for who in ("you", "u") for verb in (
    "pick", "choose", "decide", "select", "find", "rank", "come up with", "recommend",
    "make recommendations", "know what")) + (
    "how are they picked", "how are the movies picked", "how are films picked",
    "how are the films chosen", "how are movies chosen", "how are they chosen",
    "what do you base", "how does the recommending work", "how do the recommendations work",
    "how does the recommendation work", "what are your picks based on"))
_RECAP_TABLE = PhraseTable(tuple(f"what {thing}{aux} you {verb}" for thing in (
    "", "genre ", "rating ", "actor ", "director ", "years ", "kind ", "movie ", "film ")
    for aux in ("did", "have") for verb in ("pick", "picked", "choose", "chose", "chosen",
                                             "put", "got", "go with", "go for", "note", "noted"))
    + ("what do you have so far", "what have you got so far", "what did i ask for",
       "what have i asked for", "what did i say", "remind me what i said", "what did i pick",
       "what did i choose", "what are my wishes", "what have we got so far",
       # "can you recap my preferences", "remind me what I asked for", "sum up my wishes"
       *(f"{verb} {what}" for verb in ("recap", "summarise", "summarize", "sum up", "list",
                                       "remind me of", "repeat", "go over", "go through", "read back",
                                       "tell me", "what are", "what were", "whats")
         for what in ("my preferences", "my wishes", "my choices", "my answers", "my criteria",
                      "my filters", "my picks", "my requirements", "my requests", "my settings",
                      "what i said", "what i asked for", "what i asked", "what i wanted",
                      "what i want", "what i told you", "what i picked", "what i chose",
                      "what i have asked for", "what i have said", "the preferences so far",
                      "the criteria", "everything so far")),
       *(f"what {aux} i {verb}" for aux in ("did", "have") for verb in (
           "asked", "ask", "said", "say", "told you", "tell you", "wanted", "want", "requested",
           "request", "picked", "chosen", "chose")),
       "remind me what i", "quick recap", "a recap", "recap please", "recap so far", "recap",
       "summary so far", "my preferences so far", "what were my preferences"))
# no preference on every open question, or no more questions at all
_ALL_ANSWERED_TABLE = PhraseTable((
    "on any of it", "for any of it", "to any of it", "on all of it", "on all of them",
    "for all of them", "to all of them", "on everything", "for everything", "to everything",
    "for the rest", "on the rest", "to the rest", "all of the above", "no preferences at all",
    "just give me a movie", "just give me a film", "just give me something",
    "just give me one", "just recommend", "just suggest", "stop asking", "enough questions",
    "no more questions", "skip the questions", "too many questions", "keep asking",
    "stop with the questions"))


def _words(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t != ","]


def asks_method(tokens: Sequence[str]) -> bool:
    """The user asks how the bot picks films: "can you explain how you pick the movies?"."""
    return _METHOD_TABLE.found_in(_words(tokens))


def asks_recap(tokens: Sequence[str]) -> bool:
    """The user asks what the bot has noted: "wait what genre did you pick"; in a learner's
    words too, with no auxiliary or an odd verb: "say me my preferences", "which are my
    wishes", "what i asked until now"."""
    words = _words(tokens)
    return _RECAP_TABLE.found_in(words) or _asks_noted(words) or _own_words_asked(words)


# what was noted, named by the user ("my preferences"), after any verb of saying or asking
_NOTED = PhraseTable(f"my {w}" for w in (
    "preferences", "preference", "wishes", "choices", "answers", "criteria", "filters",
    "requests", "requirements", "settings", "selections", "wish"))  # not "my options": the help
_TELLING = frozenset("""say tell show give repeat list recap summarise summarize remind read
    what which whats where explain write""".split())
# "what i asked until now", "what i said before?": the user's own words asked back
_OWN_WORDS = PhraseTable(f"what i {verb}" for verb in (
    "asked", "ask", "said", "say", "told", "tell", "wanted", "want", "chose", "choose", "picked",
    "requested", "wrote", "write", "gave", "give", "answered", "answer"))
_SO_FAR = frozenset("until till up to now so far before already yet for you again here".split())


def _asks_noted(words: Sequence[str]) -> bool:
    found = _NOTED.first(words)
    return found is not None and bool(_TELLING & set(words[: found[0]]))


def _own_words_asked(words: Sequence[str]) -> bool:
    """The user's own words asked back, the phrase ending the message or followed only by
    "until now", "so far" ...: "what i wanted was a comedy" tells, it asks nothing."""
    found = _OWN_WORDS.first(words)
    if found is None or any(w not in _FILLERS for w in words[: found[0]]):
        return False
    return set(words[found[0] - found[1] :]) <= _SO_FAR


_FILLERS = frozenset("""ok okay so and but sorry wait hey um uh please pls can you could u tell
    me say remind show repeat""".split())


def answers_all(tokens: Sequence[str]) -> bool:
    """No preference on every open question, or no more questions: "no preference on any of
    it", "just give me a movie", "stop asking me stuff"."""
    return _ALL_ANSWERED_TABLE.found_in(_words(tokens))


def recap(wishes: Sequence[Mapping[str, Any]], title: str | None = None) -> str:
    """What is noted: "I haven't picked a film yet. So far I have: ...", or with a film
    proposed (``title``), the wishes it was picked for."""
    noted = join_words([describe_wish(w) for w in wishes]) or "nothing yet"
    if title:
        return f"So far you asked for: {noted}. I suggested {title} for that."
    return f"I haven't picked a film yet. So far I have: {noted}."


def seen_left_out(titles: Sequence[str], who: Seer | None = None, liked: bool = False) -> str:
    """"You've seen The Godfather and Casablanca, so I'll leave them out."; ``who``: someone
    else saw them ("Your son has seen Big, so I'll leave it out."); ``liked``: "... out and
    look for films like it." (a film liked is a taste, as "something like" is)."""
    them = "it" if len(titles) == 1 and not titles[0].endswith(" films") else "them"
    said = (seen_by_sentence(join_words(list(titles)), them, who) if who is not None
            else f"You've seen {join_words(list(titles))}, so I'll leave {them} out.")
    return f"{said[:-1]} and look for films like {them}." if liked else said


def still_left_out(dropped: Sequence[Mapping[str, Any]]) -> str:
    """The reminder that a film shown breaks wishes set aside earlier: "I'm still leaving out
    films from 2011 or later: no film matches it together with the rest." """
    them = "them" if len(dropped) > 1 else "it"
    return (f"I'm still leaving out {join_words([describe_wish(w) for w in dropped])}: "
            f"no film matches {them} together with the rest.")


def _permitted_wishes(wishes: Sequence[Mapping[str, Any]]) -> str:
    said = [describe_wish(dict(w, exclude=False)) for w in wishes]
    plural = len(said) > 1 or said[0].startswith("films")  # "films from 1979 or earlier are"
    them = "them" if plural else "it"
    return (f"Got it: {join_words(said)} {'are' if plural else 'is'} fine, so I "
            f"won't leave {them} out, nor insist on {them}.")


def permitted(names: Sequence[str], wishes: Sequence[Mapping[str, Any]] = ()) -> str:
    """``"Got it: Tom Hanks is fine, so I won't leave his films out, nor insist on them."``
    ("their" when the first name does not tell: ``chatbot.pronouns``);
    for wishes allowed (``wishes``, no names): ``"Got it: the rating PG is fine, so I won't
    leave it out, nor insist on it."``"""
    if wishes and not names:
        return _permitted_wishes(wishes)
    return (f"Got it: {join_words(list(names))} {'are' if len(names) > 1 else 'is'} fine, so I "
            f"won't leave {possessive(names)} films out, nor insist on them.")


def titles_unknown(titles: Sequence[str]) -> str:
    """``"I don't have Us or Split in my catalogue, so I can't leave them out."``: films named
    in a list that the catalogue lacks, said once, never proposed."""
    them = "it" if len(titles) == 1 else "them"
    named = ", ".join(titles[:-1]) + f" or {titles[-1]}" if len(titles) > 1 else titles[0]
    return f"I don't have {named} in my catalogue, so I can't leave {them} out."
