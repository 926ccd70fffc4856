"""Emoji as words: every emoji is named by the ``emoji`` library (its CLDR short name, e.g.
😱 -> "face screaming in fear") and the name read for what it says about a film or a mood.

``chatbot.lexicon.EMOJI_WORDS`` spells the emoji of yes / no / liking first (👍 -> "yes");
this module gives the rest a word, so "😱👻🔪" at the genre question reads as "scary scary
scary" and "🖕" as an insult, instead of nothing. Pure; no IO. Example::

    spell_emoji("😱👻🔪")          # ' scary  scary  scary '
    spell_emoji("🤣🤣", alone_means_genre=True)   # ' funny  funny '
    spell_emoji("🤣🤣")            # ' haha  haha '
"""

from __future__ import annotations

from functools import lru_cache

import emoji

from chatbot.lexicon import EMOJI_WORDS
from chatbot.text import spell_out

# Words of an emoji's short name -> the word it stands for in a chat about films. The first
# entry whose words all occur in the name wins (so "loudly crying" is sad, "tears of joy" a laugh).
NAME_WORDS: tuple[tuple[str, str], ...] = (
    ("tears of joy", "haha"), ("laughing", "haha"), ("grinning squinting", "haha"),
    ("sweat", "haha"),
    ("fear", "scary"), ("screaming", "scary"), ("ghost", "scary"), ("skull", "scary"),
    ("knife", "scary"), ("zombie", "scary"), ("vampire", "scary"), ("jack-o-lantern", "scary"),
    ("spider", "scary"), ("anxious", "scary"),
    ("heart", "romantic"), ("kiss", "romantic"), ("couple", "romantic"), ("rose", "romantic"),
    ("rocket", "sci-fi"), ("alien", "sci-fi"), ("robot", "sci-fi"), ("flying saucer", "sci-fi"),
    ("ringed planet", "sci-fi"),
    ("collision", "action"), ("bomb", "action"), ("pistol", "action"), ("crossed swords", "action"),
    ("fire", "action"),
    ("crying", "sad"), ("tear", "sad"), ("disappointed", "sad"), ("pensive", "sad"),
    ("cowboy", "western"), ("detective", "mystery"), ("magnifying glass", "mystery"),
    ("dragon", "fantasy"), ("unicorn", "fantasy"), ("mage", "fantasy"), ("fairy", "fantasy"),
    ("musical", "musical"), ("dancing", "musical"), ("microphone", "musical"),
    ("baby", "family"), ("child", "family"), ("teddy bear", "family"), ("family", "family"),
    ("sleeping", "boring"), ("yawning", "boring"),
    ("middle finger", "insult"), ("enraged", "angry"), ("steam from nose", "angry"), ("pouting", "angry"), ("angry", "angry"),
    ("clown", "insult"),
    ("popcorn", "movie"), ("clapper", "movie"), ("movie camera", "movie"), ("film", "movie"),
    ("television", "movie"), ("cinema", "movie"),
    ("question mark", "?"), ("waving", "hi"), ("folded hands", "thanks"),
)
# A laugh said alone at the genre question asks for something funny, tears for a sad film.
_LAUGH_GENRE = {"haha": "funny", "sad": "a sad movie"}
# Feelings the user shows while typing: in the middle of a message they are punctuation.
_TONES = frozenset(("sad", "angry", "haha"))


def spell_emoji(text: str, *, alone_means_genre: bool = False) -> str:
    """``text`` with each emoji replaced by its word (spaced), or dropped when its name says
    nothing here. With ``alone_means_genre`` (the genre question, emoji only) a laugh is
    "funny". Text without emoji comes back unchanged."""
    found = emoji.emoji_list(text)
    if not found:
        return text
    parts: list[str] = []
    last = 0
    for hit in found:
        parts.append(text[last : hit["match_start"]])
        word = emoji_word(hit["emoji"])
        if alone_means_genre:
            word = _LAUGH_GENRE.get(word, word)
        if _tone(hit["emoji"], word) and any(c.isalnum() for c in text[hit["match_end"] :]):
            word = ","  # "NO sci fi 😭 comedy": the user's tone ends a clause, wishes nothing
        parts.append(f" {word} " if word else " ")
        last = hit["match_end"]
    parts.append(text[last:])
    return "".join(parts)


def spell_all(text: str, genre_question: bool = False) -> str:
    """Every emoji of ``text`` as a word: yes / no / liking first (``EMOJI_WORDS``), then any
    other by its name; emoji alone at the genre question name a genre ("🤣" is funny), but
    a yes or no there ("👍", "👌") stays one: no preference, never a feeling."""
    if genre_question and only_emoji(text) and not any(symbol in text for symbol in _YES_NO):
        return spell_emoji(text, alone_means_genre=True)
    return spell_emoji(spell_out(text, EMOJI_WORDS))


_YES_NO = frozenset(symbol for symbol, words in EMOJI_WORDS.items()  # 👍 👌 ✅ 👎 ❌
                   if set(words.split()) <= {"ok", "sure", "yes", "no", "absolutely"})


def only_emoji(text: str) -> bool:
    """Whether ``text`` is emoji (and spaces or punctuation) and nothing else."""
    rest = emoji.replace_emoji(text, replace="")
    return bool(emoji.emoji_list(text)) and not any(c.isalnum() for c in rest)


def _tone(symbol: str, word: str) -> bool:
    """A feeling shown (😭, 😡, 😩), not a film's content (😱 is scary)."""
    return word in _TONES or not word and "face" in emoji.demojize(symbol, delimiters=("", ""))


@lru_cache(maxsize=512)
def emoji_word(symbol: str) -> str:
    """The word one emoji stands for ("😱" -> "scary"), or "" when its name says nothing."""
    name = emoji.demojize(symbol, delimiters=("", "")).replace("_", " ").lower()
    for words, word in NAME_WORDS:
        if words in name:
            return word
    return ""
