"""Questions about the feel of the film on the table ("is it sad?", "will it make me cry?",
"is it a feel-good one?", "is it dark?", "is it boring?"): answered from what the catalogue
holds, its genres, rating and critics' figures, and saying honestly that the feel itself is
not recorded, never a bare "I can't tell" nor a bare "yes". Pure; no IO. Example::

    tone_asked(["is", "it", "sad"])     # 'sad'
    tone_reply("sad", {"title": "Titanic", "genres": ["drama", "romance"], ...}, "rated PG-13")
    # "Titanic may well be: it is listed as drama and romance, kinds of film that often are
    #  sad, and it is rated PG-13; 89% of critics' reviews were positive. I can't tell how
    #  sad it is beyond that: my catalogue doesn't record it."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.text import join_words

# mood -> (the word said back, the genres whose films often have that feel)
MOODS: dict[str, tuple[str, frozenset[str]]] = {
    "sad": ("sad", frozenset({"drama", "romance", "war", "biography"})),
    "uplifting": ("uplifting", frozenset({"comedy", "family", "animation", "music", "musical", "sport"})),
    "dark": ("dark", frozenset({"crime", "thriller", "horror", "war", "mystery"})),
    "boring": ("slow", frozenset({"documentary", "history", "biography"})),
}
# "will it make me cry", "is it a downer": words of each mood (folded, one word each)
_WORDS = {
    "sad": frozenset("""sad sadder saddest cry crying cried tears tearful teary weepy weep
        depressing depressed downer heartbreaking heartbreaker bleak emotional gloomy
        melancholy melancholic tragic upsetting""".split()),
    "uplifting": frozenset("""uplifting feelgood heartwarming wholesome cheerful happy cheery
        upbeat hopeful inspiring inspirational light lighthearted""".split()),
    "dark": frozenset("dark darker heavy grim intense bleak disturbing gritty".split()),
    "boring": frozenset("boring slow dull tedious draggy drags".split()),
}
_ENDING = frozenset("ending end ends ended".split())
_PHRASES = {("feel", "good"): "uplifting", ("make", "me", "cry"): "sad", ("tear", "jerker"): "sad"}


def tone_asked(words: Sequence[str]) -> str | None:
    """The mood (a key of ``MOODS``) a question's folded ``words`` ask about, or None."""
    said = [w for w in words if w]
    if _ENDING & set(said):  # "does it have a happy ending?": the story's end, not its feel
        return None
    for phrase, mood in _PHRASES.items():
        if any(tuple(said[i : i + len(phrase)]) == phrase for i in range(len(said))):
            return mood
    return next((mood for mood, found in _WORDS.items() if found & set(said)), None)


def tone_reply(mood: str, movie: Mapping[str, Any], rating: str) -> str:
    """How the film's genres bear on ``mood``, its rating (``rating``: as
    ``chatbot.nlg.rating_text`` words it) and critics' figure, and that no more is recorded."""
    word, genres = MOODS[mood]
    title = str(movie.get("title") or "It")
    kinds = [str(g) for g in movie.get("genres") or ()]
    fitting = [g for g in kinds if g in genres]
    listed = join_words(kinds) if kinds else "no genre"
    if fitting:
        lead = (f"{title} may well be: it is listed as {listed}, and {join_words(fitting)} "
                f"films often are {word}")
    else:
        lead = (f"Probably not very {word}: {title} is listed as {listed}, not a kind of film "
                f"known for being {word}")
    critics = movie.get("critics_meter")
    said = f"{lead}, and it is {rating}" if rating else f"{lead}, and it has no rating in my catalogue"
    if isinstance(critics, int):
        said += f"; {critics}% of critics' reviews were positive"
    return f"{said}. I can't tell how {word} it is beyond that: my catalogue doesn't record it."
