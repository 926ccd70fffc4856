"""Requests the bot cannot carry out, said plainly: it plays no films, books no tickets, knows
no cinema's programme and no streaming service's list. Pure; no IO.

"can you play it for me", "book me cinema tickets for saturday", "what's showing near me",
"is it on netflix?", "something on prime": each is answered with what the bot cannot do and
what it can, and the conversation goes on (a wish said beside it is still taken: "a comedy on
netflix" is a comedy, with the streaming part said to be beyond the catalogue). Example::

    beyond_request("can you book me tickets".split())
    # "I can't book tickets; I can suggest a film from my catalogue and tell you ..."
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.acts import PhraseTable

_CAN = "I can suggest a film from my catalogue and tell you its cast, director, year, length, rating and critics' figures."
_KINDS: tuple[tuple[str, PhraseTable], ...] = (
    ("play films", PhraseTable(tuple(f"{verb} {what}" for verb in ("play", "start")
                                     for what in ("it", "it for me", "the movie", "the film", "a movie",
                                                  "a film", "this one", "that one", "movie", "film"))
                               + ("play me", "play something", "watch it here", "watch it with you")
                               + tuple(f"{verb} {what}" for verb in ("stream", "screen", "send")
                                       for what in ("it", "it for me", "the movie", "the film", "me the movie",
                                                    "me the film", "me it", "this one", "that one")))),
    ("book tickets", PhraseTable(("book me", "book us", "book it", "book tickets", "book a ticket",
                                  "book seats", "booking", "tickets", "ticket", "reserve seats",
                                  "reserve a seat"))),
    ("tell what's showing in cinemas near you", PhraseTable((
        "near me", "nearby", "showtimes", "show times", "in cinemas", "in theaters", "in theatres",
        "at the cinema", "at the movies tonight", "in the cinema", "playing now", "showing now",
        "on at the cinema", "whats showing", "what is showing", "whats on tonight", "what is on tonight",
        # "whats playing at amc tonight": a cinema's programme, by chain or by "playing at"
        "whats playing", "what is playing", "playing at", "showing at", "playing tonight",
        "showing tonight", "at the cinemas", "movie theater near", "movie theatre near",
        "amc", "regal", "cineworld", "odeon", "cinemark", "multiplex"))),
    ("keep a watchlist or send you messages", PhraseTable((
        "watchlist", "watch list", "watch later list", "to my list", "bookmark", "save it for me",
        "save it to", "remember it for me", "text me", "email me", "e mail me", "mail me",
        "send me the title", "send me a text", "send me a link", "send me a message", "message me",
        "dm me", "remind me later", "remind me tomorrow", "notify me", "whatsapp me"))),
    ("pick films by whether the lead is a woman or a man (my catalogue doesn't record it; "
     "name an actress you like instead)", PhraseTable(tuple(
        f"{who} {role}" for who in ("female", "woman", "women", "girl", "male", "man", "strong female")
        for role in ("lead", "leads", "led", "protagonist", "main character", "hero", "heroine",
                     "character", "star", "cast"))
        + ("led by a woman", "led by women", "with a woman as", "woman in the lead", "women in the lead"))),
    ("tell which streaming service has a film", PhraseTable((
        "netflix", "hulu", "prime video", "amazon prime", "on prime", "disney plus", "disney",
        "hbo", "hbo max", "apple tv", "paramount plus", "peacock", "streaming", "streamable",
        "where can i watch", "where can i stream", "where to watch", "where to stream"))),
    ("download films", PhraseTable(("download", "downloading", "torrent"))),
)
# "disney" also names films and studios' styles ("a disney movie"): a service only when "on"
# or "is it" comes before it
_NEEDS_ON = frozenset(("disney", "hbo", "peacock"))


def beyond_request(tokens: Sequence[str]) -> str | None:
    """What the bot cannot do that ``tokens`` (folded words) ask for, said with what it can;
    None when they ask for nothing beyond it."""
    words = [t for t in tokens if t != ","]
    cannot = [kind for kind, table in _KINDS if any(
        not (phrase[0] in _NEEDS_ON and len(phrase) == 1 and words[max(0, at - 1)] not in ("on", "in"))
        for at, phrase in table.all(words))]
    if not cannot:
        return None
    said = ", ".join(cannot[:-1]) + (" or " if len(cannot) > 1 else "") + cannot[-1]
    return f"I can't {said}; {_CAN}"
