"""Text helpers shared by understanding and generation: cleaning, folding, joining. No IO.

Example::

    clean_input("hi\\x00 there")      # ('hi there', False)
    fold("Peter O’Toole")            # 'peter otoole'
    join_words(["a", "b", "c"])      # 'a, b and c'
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

MAX_INPUT_CHARS = 2000
"""Longer utterances are cut to this many characters before anything reads them."""

_APOSTROPHES = re.compile(r"['’‘`´ʼ.]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_CONTRACTIONS = (
    (re.compile(r"\bcan['’]?t\b"), "can not"),
    (re.compile(r"\bwon['’]?t\b"), "will not"),
    (re.compile(r"\b(\w+)n['’]t\b"), r"\1 not"),
    # typed without the apostrophe: "isnt", "dont", "doesnt" ("cant"/"wont" are above)
    (re.compile(r"\b(is|are|was|were|do|does|did|have|has|had|would|should|could|must|need)nt\b"),
     r"\1 not"),
    (re.compile(r"\baint\b"), "is not"),
    (re.compile(r"\bi['’]m\b"), "i am"),
)


_Hit = TypeVar("_Hit", bound=tuple)  # (start, end, ...): tokens [start, end)


def phrases(tokens: Sequence[str], at: Callable[[int], _Hit | None]) -> list[_Hit]:
    """Each phrase `at(i)` finds, scanning left to right and going on after the end (`hit[1]`) of
    each: no two overlap. `at(i)` returns a tuple starting ``(start, end, ...)`` or None."""
    found, i = [], 0
    while i < len(tokens):
        hit = at(i)
        if hit is None:
            i += 1
            continue
        found.append(hit)
        i = hit[1]
    return found


_LINE_BREAK = re.compile(r"(?<=[\w)\"'’])[ \t]*[\r\n]+\s*(?=\S)")


def lines_as_commas(text: object) -> object:
    """A line break after a word separates items as a comma does (``clean_input`` would join
    the lines): ``lines_as_commas("seen alien\naliens")`` -> ``'seen alien, aliens'``."""
    return _LINE_BREAK.sub(", ", text.strip()) if isinstance(text, str) else text


def clean_input(text: object) -> tuple[str, bool]:
    """Make any input safe to read: ``(text, was_truncated)``.

    Bytes are decoded as UTF-8 with replacement, lone surrogates replaced, control characters
    turned into spaces, whitespace collapsed and the result cut to ``MAX_INPUT_CHARS``.
    Example: ``clean_input(b"caf\\xe9")`` -> ``('caf\\ufffd', False)``.
    """
    if text is None:
        return "", False
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    text = text.encode("utf-8", errors="replace").decode("utf-8", errors="replace")
    truncated = len(text) > MAX_INPUT_CHARS
    text = text[:MAX_INPUT_CHARS]
    text = "".join(" " if unicodedata.category(ch)[0] == "C" and not _joins_emoji(text, i) else ch
                   for i, ch in enumerate(text))
    return " ".join(text.split()), truncated


_ZWJ = "\u200d"


def _joins_emoji(text: str, at: int) -> bool:
    """The zero-width joiner inside an emoji sequence (🏴‍☠️ is a pirate flag, not 🏴 and ☠️,
    a skull), kept so the emoji is read whole; anywhere else it is a space."""
    if text[at] != _ZWJ or at == 0 or at + 1 >= len(text):
        return False
    return all(not c.isalnum() and not c.isspace() and ord(c) > 0x2000 for c in (text[at - 1], text[at + 1]))


_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")
REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """The store boundary's one rule for text: every string in ``value`` (a str, or dicts, lists
    and tuples of them, keys included) with lone UTF-16 surrogates and NUL characters replaced by
    U+FFFD. No database takes them: UTF-8 cannot encode a lone surrogate (SQLite, DynamoDB), and
    PostgreSQL's text refuses NUL. Example: ``storable({"c": "ok\ud800"})`` -> ``{"c": "ok\ufffd"}``.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value) if not value.isascii() or "\x00" in value else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(storable(v) for v in value)
    return value


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lowercase ASCII words for matching: accents, apostrophes and dots dropped.

    ``"Peter O'Toole"``, ``"peter otoole"`` and ``"PETER O’TOOLE"`` all give ``"peter otoole"``.
    """
    text = _APOSTROPHES.sub("", strip_accents(text).casefold())
    return " ".join(_NON_WORD.sub(" ", text).split())


def fold_utterance(text: str) -> str:
    """Like ``fold`` but expands contractions first (``"haven't"`` -> ``"have not"``) and
    shortens letters drawn out for emphasis (``"yesss"`` -> ``"yes"``, ``"noooo"`` -> ``"no"``)."""
    text = strip_accents(text).casefold()
    if "'" in text or "’" in text or "nt" in text:  # every contraction has one of these
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
    return fold(_DRAWN_OUT.sub(r"\1", text))


_DRAWN_OUT = re.compile(r"([a-z])\1{2,}")


def spell_out(text: str, words: dict[str, str]) -> str:
    """``text`` with each emoji or symbol of ``words`` replaced by its word, spaced:
    ``spell_out("👍👍", {"👍": "yes"})`` -> ``' yes  yes '``. Variation selectors are dropped."""
    if text.isascii() and not any(k in text for k in words if k.isascii()):
        return text
    text = text.replace("\ufe0f", "")
    for symbol, word in words.items():
        if symbol in text:
            text = text.replace(symbol, f" {word} ")
    return text


def expand_shorthand(text: str, words: dict[str, str]) -> str:
    """``text`` with each whole word of ``words`` (any case) replaced by its value:
    ``expand_shorthand("smth like Alien", {"smth": "something"})`` -> ``'something like Alien'``."""
    pattern = _shorthand_pattern(tuple(sorted(words)))
    return pattern.sub(lambda m: words[m.group(0).lower()], text)


@lru_cache(maxsize=4)
def _shorthand_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'’])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w'’])", re.I)


@lru_cache(maxsize=8192)
def pattern(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source, flags)``, kept for patterns built from the catalogue's words (a
    title's first words, a person's surname). ``re``'s own cache holds 512 patterns and every
    conversation brings other films, so those were compiled again on nearly every turn (~10% of
    the agent's CPU under load). Example: ``pattern(rf"(?<= ){re.escape(key)}(?= )").search(s)``."""
    return re.compile(source, flags)


def end_sentence(text: str) -> str:
    """``text`` ending in a full stop, unless it already ends in ".", "!" or "?": a sentence
    closing on a title or name that carries its own ("Enjoy Airplane!", "... Gordon Parks Jr.")
    gets no second mark. Example: ``end_sentence("Enjoy That Thing You Do!")`` -> unchanged.
    """
    stripped = text.rstrip()
    return stripped if stripped.endswith((".", "!", "?", "…")) else f"{stripped}."


def join_words(items: list[str] | tuple[str, ...]) -> str:
    """``[]`` -> ``''``; ``["x"]`` -> ``'x'``; ``["x", "y", "z"]`` -> ``'x, y and z'``."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def indefinite_article(word: str) -> str:
    """``"a"`` or ``"an"`` for ``word`` by its first sound (vowel letter; "hour"-like words aside)."""
    lowered = word.lower()
    if lowered.startswith(("hour", "honest", "honour", "honor", "heir")):
        return "an"
    if lowered.startswith(("uni", "use", "usu", "eu", "one")):
        return "a"
    return "an" if lowered[:1] in set("aeiou") else "a"


@lru_cache(maxsize=1)
def english_words() -> dict[str, float]:
    """Everyday English words (``wordfreq``'s small English list, zipf >= 3) -> zipf frequency
    (log10 of the frequency per billion words); loaded once per process (~0.3 s).

    A contraction also counts typed without its apostrophe, as folded text reads it ("we've"
    -> "weve", "they're" -> "theyre"): an everyday word, never a name or a title."""
    from wordfreq import get_frequency_dict

    words: dict[str, float] = {}
    for word, frequency in get_frequency_dict("en", wordlist="small").items():
        bare = word.replace("'", "").replace("’", "")
        if frequency > 0 and bare.isalpha() and bare.isascii():
            zipf = round(math.log10(frequency) + 9, 2)
            words[bare] = max(zipf, words.get(bare, 0.0))
    return words


# languages a guest may fall back to ("keine ahnung", "aucune idée"): everyday words there are
# no typo of an actor's name
_OTHER_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl")
_FOREIGN_ZIPF = 3.5  # each word at least this common in one such language ...
_FOREIGN_TOP_ZIPF = 5.0  # ... and one as common as this (names seldom are: "kevin" is 4.4)


@lru_cache(maxsize=4096)
def foreign_phrase(words: tuple[str, ...]) -> bool:
    """``words`` are everyday words of another language and none of English ("keine ahnung",
    "aucune idee", "nessuna idea"), so no misspelt name; a real name ("julia roberts",
    "penelope cruz") is not."""
    from wordfreq import zipf_frequency

    for language in _OTHER_LANGUAGES:
        zipfs = [zipf_frequency(w, language, wordlist="small") for w in words]
        if zipfs and min(zipfs) >= _FOREIGN_ZIPF and max(zipfs) >= _FOREIGN_TOP_ZIPF and not all(
                zipf_frequency(w, "en", wordlist="small") >= _FOREIGN_ZIPF for w in words):
            return True
    return False
