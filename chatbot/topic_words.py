"""What a question about the film on the table asks, read from its words when no phrase of
``chatbot.question_topics`` matched: "is this one long?" (runtime), "the actor is who?"
(cast), "how come?" (the reason it was chosen), "what ratings are there?" (the ratings the
bot knows). Pure; no IO. A question that asks for another film ("anything shorter?") asks
no fact. Example::

    topics_by_words("is this one long".split())    # ['runtime']
    topics_by_words("how come".split())            # ['reason']
"""

from __future__ import annotations

from collections.abc import Sequence

_WORD_TOPICS = {
    **dict.fromkeys("long short length lengthy minutes mins hours hrs duration".split(), "runtime"),
    **dict.fromkeys("actor actress actors actresses starring stars star leads".split(), "cast"),
    **dict.fromkeys("director directed directs filmmaker".split(), "director"),
}
# "what ratings are there?": the list of ratings, not the film's own
_RATING_LIST = ("what ratings", "which ratings", "ratings are there", "ratings do you",
                "ratings can", "the ratings", "ratings exist", "kinds of ratings",
                "rating options", "ratings are possible", "ratings to choose")
# a request for a film, not a question about the one shown ("anything with a lot of stars?")
_REQUESTING = frozenset("""something anything another other want need find give show
    recommend suggest got have any some instead rather than more less longer shorter under over
    without""".split())
# "why", "how come", "but why though?": the reason asked, with nothing else said
_REASON_WORDS = frozenset("""why how come but so and though tho then ok okay hmm huh really
    this that one it you chose choose pick picked that s thats is did do""".split())


def topics_by_words(words: Sequence[str]) -> list[str]:
    """The facts a question names by a single word of them (see the module's text)."""
    text = f" {' '.join(words)} "
    if any(f" {phrase} " in text for phrase in _RATING_LIST):
        return ["ratings_list"]
    if _asks_reason(words):
        return ["reason"]
    if _REQUESTING & set(words):
        return []
    return list(dict.fromkeys(_WORD_TOPICS[w] for w in words if w in _WORD_TOPICS))


def _asks_reason(words: Sequence[str]) -> bool:
    """"why?", "how come", "but why this": the reason for the pick, nothing else asked."""
    text = f" {' '.join(words)} "
    return (" why " in text or " how come " in text) and all(w in _REASON_WORDS for w in words)


def ratings_list(title: str, rating: str) -> str:
    """"What ratings are there?": the MPAA ratings one can ask for, and the film shown's own
    (``rating`` as ``chatbot.nlg.rating_text`` words it, "" when the catalogue has none)."""
    own = f"{title} is {rating}" if rating else f"{title} has no rating in my catalogue"
    return f"The ratings I know are G, PG, PG-13, R and NC-17 (from the mildest); {own}"


# a film asked for by what it is about or where it is set: "something set in new york?",
# "any films about a heist at sea?", "one where a dog saves the day?"
_TOPIC_MARKERS = (("set", "in"), ("set", "during"), ("takes", "place"), ("about",), ("where",),
                  ("featuring",), ("involving",), ("based", "on"))
_TOPIC_ASKS = frozenset("something anything any one ones films movies got have another".split())
_NO_TOPIC = frozenset("it this that him her them you me us the a an".split())


def asks_topic(words: Sequence[str]) -> bool:
    """The words ask for a film by a topic or a setting (words after "about", "set in",
    "where" ...) beside a word asking for one; never "what about it?"."""
    plain = [w for w in words if w != ","]
    if not _TOPIC_ASKS & set(plain) or plain[:1] in (["what"], ["how"], ["where"]):
        return False
    for at in range(len(plain)):
        for marker in _TOPIC_MARKERS:
            end = at + len(marker)
            if tuple(plain[at:end]) == marker and end < len(plain) and (
                    plain[end] not in _NO_TOPIC or end + 1 < len(plain)):
                return True
    return False
