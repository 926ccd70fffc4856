"""Lists of loved or hated films, however written, read as one list of catalogue titles.

"my faves:\\n1. the dark knight\\n2. inceptoin\\n3. interstelar", "favourites - jaws, the
shining, goodfellas", "i loved the godfathr and goodfelas", "hated titanic and the notebook":
the cue ("my faves:", "films i hated:") becomes the verb the title reader knows ("i loved",
"i hate"), the list's numbers and dashes go, and every item is spelt as the catalogue spells
it (misspelt ones too). An item the catalogue lacks ("tenet", after 2014) is written
capitalised, so that the list reader keeps it and the bot names it back ("I don't know a film
called Tenet"); a hated one the catalogue lacks is returned, to be said. Pure; no IO.
Example::

    lists = TitleLists(["The Dark Knight", "Inception", "Interstellar"])
    lists.rewrite("my faves: the dark knight, inceptoin, interstelar")
    # ('i loved The Dark Knight, Inception and Interstellar', [])
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process
from wordfreq import zipf_frequency

from chatbot.titles import normalise_title

FUZZY_RATIO = 88.0  # as chatbot.titles: at or above this a said item is that catalogue title
_MIN_FUZZY_CHARS = 5  # shorter items are matched exactly only ("up", "it")
_KIND_ZIPF = 2.5  # "remakes": its singular is an everyday word, so a kind of film
UNKNOWN_ZIPF = 3.5  # a one-word item rarer than this may be a film's name ("tenet", not "acting")

# "1. ", "2) ", "- ", "* ", "• " opening a line (lines arrive joined by commas)
_MARKER = re.compile(r"(^|[,:;]\s*)(?:\d{1,2}[.)]|[-*•–])\s+")
_LOVED_CUE = re.compile(
    r"\b(?:(?:my|our|all[- ]time|top(?: \d+| ten| five)?)\s+)*(?:faves?|favs?|favou?rites?)"
    r"(?:\s+(?:films?|movies?|ones))?\s*(?:are|r|include|=|:|-)\s*"
    r"|\b(?:films?|movies?|ones)\s+(?:i|we)\s+(?:loved?|liked?|adored?|enjoyed)\s*(?::|-|are|r)\s*",
    re.IGNORECASE)
_HATED_CUE = re.compile(
    r"\b(?:films?|movies?|ones)\s+(?:i|we)\s+(?:hated?|disliked?|can'?t stand)\s*(?::|-|are|r)\s*"
    r"|\b(?:i |we )?(?:hated|disliked|detested|hate|dislike|cant stand|can't stand)\s+",
    re.IGNORECASE)
_LIKED_VERB = re.compile(r"\b(?:i |we )?(?:loved|liked|enjoyed|adored|love|adore)\s+", re.IGNORECASE)
# where a list ends: a sentence's end or words that start another clause
_LIST_END = re.compile(
    r"[.!?;]|\s(?:but|tho|though|hated|hate|loved|nothing|no|not|anything|something|so|also|"
    r"because|cause|cuz|since|although|which|who|please|pls|lol|haha)\b", re.IGNORECASE)
_ITEM_JOIN = re.compile(r"\s*(?:,\s*(?:and\s+|&\s+)?|\s+and\s+|\s*&\s*|\s+plus\s+)\s*", re.IGNORECASE)
_POINTERS = frozenset("it that this them those these one ones him her all both everything".split())


class TitleLists:
    """Callable on cleaned text: ``(text with its lists of films rewritten, hated unknown)``."""

    def __init__(self, titles: Iterable[str]) -> None:
        self._by_key: dict[str, str] = {}
        for title in titles:
            self._by_key.setdefault(normalise_title(title), title)
        self._keys = sorted(k for k in self._by_key if len(k) >= _MIN_FUZZY_CHARS)

    def rewrite(self, text: str) -> tuple[str, list[str]]:
        """``text`` with its loved and hated lists spelt as the catalogue spells them."""
        text = _MARKER.sub(lambda m: m.group(1), text).replace(":,", ":")
        text = _LOVED_CUE.sub("i loved ", text)
        text, _ = self._lists_after(_LIKED_VERB, text, hated=False)
        return self._lists_after(_HATED_CUE, text, hated=True)

    def _lists_after(self, cue: re.Pattern[str], text: str, hated: bool) -> tuple[str, list[str]]:
        unknown: list[str] = []
        out, at = [], 0
        for match in cue.finditer(text):
            if match.start() < at:
                continue
            end = _LIST_END.search(text, match.end())
            stop = end.start() if end else len(text)
            items = [i.strip(" ,") for i in _ITEM_JOIN.split(text[match.end() : stop]) if i.strip(" ,")]
            spelt = [self._spelt(i) for i in items]
            named = [_plausible(i) and not known for i, (_, known) in zip(items, spelt, strict=True)]
            fixed = [s != i for i, (s, known) in zip(items, spelt, strict=True) if known]
            known = sum(k for _, k in spelt)
            if known + sum(named) < len(items):
                continue  # "we loved alien, any more like that?": no list of films only
            if not (any(fixed) or any(named) and (hated or known) or known and (hated or len(items) > 1)):
                continue  # nothing misspelt nor lacking: the title reader reads it as it is
            names = [s.title() if n else s for (s, _), n in zip(spelt, named, strict=True)]
            unknown += [n for n, lacks in zip(names, named, strict=True) if hated and lacks]
            verb = "i hate " if hated else match.group(0)
            out.append(text[at : match.start()] + verb + _joined(names) + " ")
            at = stop
        return ("".join(out) + text[at:]).strip() if out else text, unknown

    def _spelt(self, item: str) -> tuple[str, bool]:
        """``(the catalogue's title, True)`` for an item said exactly or misspelt, else
        ``(item, False)``."""
        key = normalise_title(item)
        if key in self._by_key:
            return item, True  # as said: the title reader knows it
        if len(key) >= _MIN_FUZZY_CHARS:
            best = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=FUZZY_RATIO)
            if best is not None:
                return self._by_key[best[0]], True
        return item, False


def _plausible(item: str) -> bool:
    """An item the catalogue lacks looks like a film's name: written capitalised
    ("Booksmart") or one word rare in everyday English ("tenet", not "acting", "it")."""
    words = item.split()
    if not words or len(words) > 4 or {w.lower() for w in words} & _POINTERS:
        return False
    if item[:1].isupper():
        return True
    word = words[0].lower()
    if len(words) > 1 or word.endswith("s") and zipf_frequency(word[:-1], "en") >= _KIND_ZIPF:
        return False  # "hated remakes", "hated sequels": a kind of film, no film's name
    return zipf_frequency(word, "en") < UNKNOWN_ZIPF


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def unknown_note(title: str) -> str:
    """What is said of a hated film the catalogue lacks."""
    return f"Sorry, I don't know a film called \"{title}\", so I can't keep it out."
