"""Film titles in what people say: where a title starts and ends, and which catalogue title it
is. Pure; no IO. Used by the understanding (``chatbot.nlu``: the span) and the catalogue
(``chatbot.catalog.Catalog.find_title``: the film).

Title keys: ``normalise_title`` folds a title to a matching key ("The Godfather: Part II" ->
"godfather part ii"); ``sequel_key`` also reads sequel numbers alike ("godfather 2",
"godfather part two", "godfather ii" -> "godfather 2"). A said title matches a catalogue title
when their keys are equal, when it is the start of catalogue titles (a franchise: "harry
potter", "star wars"), or, for the catalogue, when ``rapidfuzz`` scores it close
(``FUZZY_RATIO``).

Where a title ends: after "like", "similar to", ... the longest run of words that is a known
title, if what follows starts a new clause ("like Alien but funnier", "like Toy Story for my
6 year old"); else the words up to the clause's end, reported as unknown ("Blade Runner 3000").
Example::

    index = TitleIndex(["Alien", "The Godfather Part II", "Harry Potter and the Goblet of Fire"])
    index.split("something like godfather 2 but funnier")   # (['godfather 2'], ' , but funnier')
    index.split("like harry potter for my 9 year old")[0]   # ['harry potter']
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from chatbot.child_titles import child_liked, speaks_of_children
from chatbot.durations import minutes_at, spell_compact
from chatbot.leet import unleet
from chatbot.lexicon import GENRE_SYNONYMS
from chatbot.plainwords import anaphoric_one, pointing_words, title_after_one
from chatbot.short_titles import longer_title, noun_with_clause
from chatbot.text import pattern
from chatbot.viewings import without_circumstances

FUZZY_RATIO = 88.0  # rapidfuzz ratio at or above which a said title is a catalogue title
MAX_TITLE_WORDS = 12
# a misspelt title is matched only this long (said and title >= 6 letters): "the hert" is no
# Heat, while "the mattrix" is *The Matrix* and "the departd" *The Departed*
_NEAR_MIN_CHARS = 6
_NEAR_MIN_SAID = 6
_DEGREE = re.compile(r"(?:a lot|so much|very much|loads|tons|heaps)\b", re.I)  # "loved X a lot"
MAX_LISTED = 6  # titles read in one list ("seen Heat, Ronin, Collateral and Thief")
_ARTICLES = ("the", "a", "an", "le", "la", "les", "l", "il", "el", "der", "die", "das")
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<article>the|a|an|les?|la|l'|il|el|die|der|das)$", re.I)
_YEAR_SUFFIX = re.compile(r"\s*[(\[]?\b(?P<year>(?:19|20)\d\d)[)\]]?\s*$")
_NUMERALS = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
             "viii": "8", "ix": "9", "x": "10", "one": "1", "two": "2", "three": "3",
             "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
             "ten": "10", "first": "1", "second": "2", "third": "3", "eleven": "11",
             "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16",
             "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30",
             "forty": "40", "fifty": "50", "hundred": "100"}
_SEQUEL_WORDS = frozenset("part chapter episode vol volume pt".split())
# "like X and Y" gives two titles, "X and I loved it", "X and the kids loved it" one
_TITLE_JOIN = (r"\s*(?:,\s*)?(?:or|and|&|plus)\s+(?:also\s+|too\s+)?(?!something|anything|with|by|maybe|(?:i|we|he|she|they|it)\b"
               r"|[^,.;!?]*\b(?:loved|liked|enjoyed|adored|hated|watched|saw)\b)")
_TITLE_CUE = re.compile(
    r"(?:\b(?:something|anything|one|ones|movies?|films?|stuff|similar|others?)\s+like"
    r"|^\s*(?:just\s+)?like|\bsimilar\s+to|\bin the (?:style|vein|spirit|mould|mold) of"
    r"|\breminds? me of|\b(?:kind|sort|a bit|a little) (?:of )?like|\bakin to|\bcomparable to"
    r"|\bin the same vein as|\balong the lines of|\bsame (?:vibe|feel|style|kind of \w+) as"
    r"|\bthe likes of|\b(?:last|latest) (?:one|film|movie|thing) (?:i|we) (?:watched|saw|"
    r"liked|loved|enjoyed|really liked|really loved)(?: was| is)?)\s+(?!(?:i|we)\s+(?:said|say|told|mentioned|asked|wrote|explained)\b)"
    r"(?P<title>.+)",  # "like I said, he's 7" refers back; it names no film
    re.IGNORECASE,
)
# "seen these already: Heat, Ronin", "loved the following -": words that open a pasted list
_LIST_OPENER = (r"(?:(?:all\s+of\s+)?(?:these|those|the\s+following|the\s+ones\s+below)(?:\s+(?:films|movies|ones))?"
                r"(?:\s+already)?\s*(?::|-|,)\s*)?")
# "I really liked The Shawshank Redemption": a title only if the catalogue has it
_LIKED_TITLE = re.compile(r"\b(?:liked|loved|love|loves|likes|enjoyed|enjoys|adored|adore|adores|fan of|watched"
                          # a child's favourite: "is obsessed with toy story", "keeps rewatching cars"
                          r"|obsessed\s+with|crazy\s+about|mad\s+about|(?:keeps|kept|keep)\s+(?:re-?)?watching"
                          r"|re-?watch(?:es|ed)|(?:is|are|s)\s+(?:really\s+|so\s+)?into)\s+" + _LIST_OPENER
                          + r"(?P<title>.+)",
                          re.IGNORECASE)
# "I have already seen The Godfather, Casablanca and Citizen Kane": films not to propose
_SEEN_TITLE = re.compile(r"\b(?:seen|saw|watched)\s+(?:all\s+of\s+|both\s+|them\s+all\s+)?" + _LIST_OPENER,
                         re.IGNORECASE)
# "I haven't seen X", "I never said I'd seen anything": nothing said as seen
_NOT_SEEN = re.compile(r"(?:\bnot|n'?t|\bnever|\bnor|\bneither)(?:\s+\S+){0,3}\s*$", re.IGNORECASE)
_SERIES = re.compile(r"\bthe (?P<name>\w+(?: \w+){0,3}?) (?:movies|films|ones|series|trilogy|saga)\b",
                     re.IGNORECASE)
# "twist ending like The Sixth Sense": "like" and a capitalised catalogue title, not "I like X"
_LOOSE_LIKE = re.compile(r"(?<!\bi )(?<!\bwe )(?<!\byou )(?<!\bthey )(?<!\bwould )(?<!\bd )"
                         r"(?<!\breally )\blike\s+(?P<title>[A-Z0-9].+)")
# words of a kind too loose to stand before "like" ("laugh like crazy", "doc like")
_NOT_KIND_WORDS = frozenset("laugh laughs quest comic doc docu love".split())
# "a thriller like se7en", "sci fi like alien", "something sad like the notebook": a kind of
# film and "like" wish for films like the title, as "something like" does (a known title only)
_KIND_LIKE = re.compile(
    r"\b(?:(?:" + "|".join(sorted((re.escape(w).replace(r"\ ", r"[\s-]+") for w in GENRE_SYNONYMS
                                   if len(w) > 3 and w not in _NOT_KIND_WORDS), key=len, reverse=True))
    + r")(?:s|es)?|(?:something|anything|smth|sth|one|ones)(?:\s+[a-z-]+){1,2}?)(?:\s+(?:movies?|films?|flicks?|ones?))?\s+(?:(?:kinda|sorta|kind\s+of|sort\s+of|a\s+bit|a\s+little|bit|more|just)\s+)?like\s+"
    r"(?!(?:i|we)\s+(?:said|say|told|mentioned|asked|wrote|explained)\b)(?P<title>.+)", re.IGNORECASE)
# "seen it like 3 times", "like a million times": how often, no title ("Three Times")
_TIMES_SAID = re.compile(r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|few|"
                         r"several|many|a couple(?: of)?|a hundred|a million|a thousand|a bunch of|"
                         r"dozens of|\d+ or \d+|\w+ or \w+)\s+(?:more\s+)?times\b", re.IGNORECASE)
# "watched inception last night", "saw heat the other day": when, after a film seen
_WHEN_SAID = re.compile(r"(?:last|this|the\s+other|on)\s+(?:night|week|weekend|month|year|summer|winter|"
                        r"christmas|time|morning|evening|day|monday|tuesday|wednesday|thursday|friday|"
                        r"saturday|sunday)\b|(?:yesterday|recently|tonight)\b", re.IGNORECASE)
# "watched gone girl on the plane", "saw heat at my uncles": where, after a film seen
_WHERE_SAID = re.compile(r"(?:on|in|at|during|over)\s+(?:the|a|an|my|our|his|her|their)\s+\w+", re.IGNORECASE)
# "watched frozen like 100 times": how often ends the title before it
_TIMES_AFTER = re.compile(r"(?:(?:like|about|maybe|around|over|at\s+least|probably)\s+)?" + _TIMES_SAID.pattern,
                          re.IGNORECASE)
_LIKE_THIS_AFTER = re.compile(r"^\W*(?:(?:have\s+|do\s+)?(?:you\s+)?(?:got|have)\s+)?(?:what|anything|something|any|more|similar|recommend|suggest)",
                              re.IGNORECASE)
# "i'll just watch blade runner", "think we'll go with Heat": the user's own choice
_OWN_PICK = re.compile(r"\b(?:i ?'?ll|i will|we ?'?ll|we will|gonna|going to|i'?m gonna|might|"
                       r"think i'?ll|let'?s|lets)\s+(?:just\s+|probably\s+|prob\s+)?"
                       r"(?:watch|rewatch|go with|put on|stick with|go for)\s+", re.IGNORECASE)
_POINTERS = re.compile(r"^(?:that|this|it|those|these|them)\b", re.IGNORECASE)
_BOUNDARY_WORDS = frozenset("""but with starring by from rated that which only because please
    though except and or for so since to tonight i we my our it maybe though except if when
    where who something anything except although plus also too already before again
    recently twice instead this last yesterday earlier together""".split())
# "something like Se7en then", "heat then pls": a filler that closes the clause ends the title
# too (not inside one: "And Then There Were None")
_TITLE_END = re.compile(r"\s*(?:[,;!?]|\.(?:\s|$))|\s(?:" + "|".join(sorted(_BOUNDARY_WORDS))
                        + r")\b|\s(?:then|now|lol|haha|ok|okay)\s*(?=[,.;!?]|$)", re.IGNORECASE)
_TITLE_TAIL = re.compile(r"[\s.!?,;:]*(?:please|pls|plz|thanks|thx|thank you|lol|haha|tho)?"
                         r"[\s.!?,;:]*$", re.IGNORECASE)
# an item of a seen list the index does not know, written as a title ("Se7en", "Inside Out",
# "The Lord of the Rings"): the catalogue's fuzzy match (``Catalog.find_title``) judges it
_LISTED_ITEM = re.compile(r"(?P<item>[A-Z0-9][\w'·\-]*(?:\s+(?:(?:of|the|a|an|in|on|to|at|for|from|with)\s+)*"
                          r"[A-Z0-9][\w'·\-]*){0,5})(?=\s*(?:,|\band\b|\bor\b|[.;!?]|$|"
                          r"(?:already|before|again|recently|yesterday|last|this)\b))")
# "The Ring and It Follows", "Heat & Crash plus Signs": a join before a title that opens
# with an everyday word ("It", "Her"), which the title's capital marks as the title's place
_LIST_JOIN = re.compile(r"\s*(?:,\s*)?(?:or|and|&|plus|\+)\s+", re.IGNORECASE)
# a franchise's start cut at a joining word ("Signs and" of "Signs and Wonders") is no title
_OPEN_ENDS = frozenset("and or & plus of the a an to in on with".split())
_FILM_MARKER = re.compile(r"\s*(?:the\s+)?(?:film|movie)\s+(?=\S)", re.IGNORECASE)
_QUOTE_MARKS = "\"'“”‘’«»"
_NOT_TITLES = re.compile(r"^(?:a|an|some|any|that|this|those|these|it|them|him|her)\b", re.I)


def normalise_title(text: str) -> str:
    """A matching key: ``"Deer Hunter, The"`` and ``"the deer-hunter!"`` -> ``"deer hunter"``.

    Accents and punctuation are dropped, ``&`` reads "and", a leading or trailing article
    is dropped.
    """
    text = unicodedata.normalize("NFKD", text.strip())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    match = _TRAILING_ARTICLE.match(text)
    if match:
        text = f"{match['article']} {match['body']}"
    text = text.lower().replace("&", " and ").replace("'", "").replace("’", "")
    words = re.sub(r"[^\w]+", " ", text).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


# a title opening with initials ("E.T. the Extra-Terrestrial"): people say them alone
_INITIALS = re.compile(r"^\s*(?P<letters>(?:[A-Za-z]\.\s?){2,})")
MIN_ACRONYM = 4  # letters of a title's acronym people use ("LOTR"); shorter ones are words
# wordfreq zipf at or above which a short form is an everyday word: "we" (*W.E.*), "us"
# (*U.S. Marshals*) as initials; "wine" (*The World Is Not Enough*) as an acronym
EVERYDAY_INITIALS_ZIPF = 5.0
EVERYDAY_ACRONYM_ZIPF = 3.0


def short_forms(title: str) -> list[str]:
    """Keys people use for ``title`` besides its own: its opening initials alone, spaced or
    run together ("E.T. the Extra-Terrestrial" -> ``"e t"``, ``"et"``), and the acronym of
    its main title of four words or more ("The Lord of the Rings: The Two Towers" ->
    ``"lotr"``); never an everyday word."""
    forms: list[str] = []
    initials = _INITIALS.match(title)
    if initials:
        letters = re.sub(r"[^A-Za-z]", "", initials["letters"]).lower()
        forms.append(" ".join(letters))
        if _zipf(letters) < EVERYDAY_INITIALS_ZIPF:
            forms.append(letters)
        rest = normalise_title(title[initials.end() :])  # "LA Confidential": the title, run together
        if rest:
            forms.append(f"{letters} {rest}")
    words = normalise_title(title.partition(":")[0]).split()
    acronym = "".join(w[0] for w in words)
    if len(words) >= MIN_ACRONYM and all(w.isalpha() for w in words) and _zipf(acronym) < EVERYDAY_ACRONYM_ZIPF:
        forms.append(acronym)
    return forms


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency  # its word lists load on first use

    return zipf_frequency(word, "en")


_LETTERS = re.compile(r"^\W*(?P<letters>[A-Za-z](?:[.\s]+[A-Za-z])+)\W*$")


def short_form_key(said: str) -> str:
    """The key to look ``said`` up among ``short_forms``: "E.T." and "e t" -> "e t", "A.I."
    -> "a i" (its "A" no article)."""
    letters = _LETTERS.match(split_title_year(said)[0])
    return " ".join(re.sub(r"[^A-Za-z]", "", letters["letters"]).lower()) if letters else normalise_title(said)


def spelt_key(text: str) -> str:
    """``normalise_title`` keeping a leading article: "The Mask" -> "the mask", "Mask" ->
    "mask"; tells apart films whose titles differ only by it (*Mask*, 1985; *The Mask*, 1994)."""
    words = normalise_title(text).split()
    trailing = _TRAILING_ARTICLE.match(text.strip())
    text = f"{trailing['article']} {trailing['body']}" if trailing else text
    first = re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKD", text).lower()).split()[:1]
    return " ".join((first if first and first[0] in _ARTICLES and words[:1] != first else []) + words)


def sequel_key(key: str) -> str:
    """``"godfather part ii"`` -> ``"godfather 2"``: numbers as digits ("oceans eleven" and
    "oceans 11", "two fast two furious" and "2 fast 2 furious" alike), "part" dropped."""
    words = key.split()
    out = [_NUMERALS.get(w, w) if i or w in _NUMBER_WORDS else w for i, w in enumerate(words)
           if not (i and w in _SEQUEL_WORDS)]
    return " ".join(out)


# number words that may open a title and read as its digits ("two fast two furious"); not
# "i", "x", "first": "I, Robot" and "First Blood" open with no number
_NUMBER_WORDS = frozenset(w for w in _NUMERALS if len(w) > 2 and w not in (
    "first", "second", "third", "iii", "vii", "viii"))


def sequel_short_name(title: str) -> str | None:
    """The key a sequel is called by without its subtitle: "Terminator 2: Judgment Day" ->
    ``"terminator 2"``, "Star Trek II: The Wrath of Khan" -> ``"star trek 2"``; None for a
    title whose part before the colon ends in no number ("Mission: Impossible")."""
    head, colon, _ = title.partition(":")
    key = sequel_key(normalise_title(head)) if colon else ""
    return key if re.search(r"[a-z] \d+$", key) else None


def _before_liked(clause: str) -> str:
    """The words before the title a verb of liking names ("my niece (5) adores" of "my niece
    (5) adores finding nemo - something like that"): who watches is kept, not dropped."""
    match = _LIKED_TITLE.search(clause)
    return clause[: match.start("title")] if match else ""


def split_title_year(text: str) -> tuple[str, int | None]:
    """``"Heat (1995)"`` -> ``("Heat", 1995)``; a bare number title like ``"1984"`` stays."""
    match = _YEAR_SUFFIX.search(text)
    if match and match.start() > 0:
        return text[: match.start()], int(match["year"])
    return text, None


class TitleIndex:
    """The catalogue's title keys, for finding title spans in utterances."""

    def __init__(self, titles: Iterable[str]) -> None:
        titles = list(titles)
        self._exact: dict[str, str] = {}
        self._spelt: dict[str, str] = {}  # "the mask" -> The Mask, "mask" -> Mask
        for title in titles:
            key = normalise_title(title)
            if key:
                self._exact.setdefault(key, title)
                self._exact.setdefault(sequel_key(key), title)
                self._spelt.setdefault(spelt_key(title), title)
        for title in titles:  # after every full key, so that a full title always wins
            short = sequel_short_name(title)
            if short:
                self._exact.setdefault(short, title)
        # "ET", "LOTR": known, and left to the catalogue, which picks the best-known film
        self._short = {form for title in titles for form in short_forms(title)} - set(self._exact)
        self._sorted = sorted(self._exact)

    def known(self, said: str) -> bool:
        """``said`` is a catalogue title, or the start of some (a franchise)."""
        key = normalise_title(split_title_year(said)[0])
        return bool(key) and (key in self._exact or sequel_key(key) in self._exact
                              or self.franchise(key) or self.short(said))

    def short(self, said: str) -> bool:
        """``said`` is a catalogue title's initials or acronym ("E.T.", "ET", "LOTR")."""
        return short_form_key(said) in self._short

    def exact(self, said: str) -> str | None:
        """The catalogue title whose key ``said`` has (with the article said, when titles differ only by it), or None."""
        key = normalise_title(said)
        found = self._spelt.get(spelt_key(said)) or self._exact.get(key) or self._exact.get(sequel_key(key)) or next((self._exact[k] for k in unleet(key) if k in self._exact), None)  # "se7en": Seven
        return found or (said.strip() if self.short(said) else None)

    def started(self, said: str) -> str | None:
        """The one catalogue title that starts with the two words or more of ``said``, as
        people shorten a long title ("four weddings": *Four Weddings and a Funeral*), else None."""
        key = normalise_title(said)  # words of three letters or more: "i think" is no title's start
        if len(key.split()) < 2 or key.split()[-1] in _OPEN_ENDS or min(map(len, key.split())) < 3:
            return None
        at = bisect.bisect_left(self._sorted, key + " ")
        found = {self._exact[k] for k in self._sorted[at : at + 3] if k.startswith(key + " ")}
        return found.pop() if len(found) == 1 else None

    def franchise(self, key: str) -> bool:
        """Some catalogue title starts with the words of ``key`` ("harry potter")."""
        if len(key) < 5:
            return False
        at = bisect.bisect_left(self._sorted, key + " ")
        return at < len(self._sorted) and self._sorted[at].startswith(key + " ")

    def split(self, text: str) -> tuple[list[str], str, bool]:
        """``(titles said after a "like" cue, the rest of the text, cue found)``; the titles as
        said (catalogue spelling when known), several when joined by "or"/"and"."""
        young = speaks_of_children(text)  # "kids 5 & 8, they like cars": *Cars*
        match = _TITLE_CUE.search(text)
        if match and _POINTERS.match(match["title"]):  # "zodiac. the fincher one. something like that"
            first = re.split(r"[.,;!?]", text)[0]
            liked = [first.strip()] if self.exact(first) else (  # "I liked X,", "she loves frozen, something like that"
                self._liked(first)[0] or self._liked(text)[0])
            return (liked, f"{_before_liked(first)} , {text[len(first):]}", True) if liked else ([], text, False)
        kind = _KIND_LIKE.search(text) if not match else None
        if kind and self._exactly_at(kind["title"]):
            match = kind
        loose = _LOOSE_LIKE.search(text) if not match else None
        if loose and self._known_at(loose["title"]):
            match = loose
        if match and (_length_said(match["title"]) or _TIMES_SAID.match(match["title"])):  # "like 90 min", "like 3 times"
            match = None
        if not match:
            return self._liked(text, young)
        titles, rest = self._titles_at(match["title"])
        if not titles:
            return [], text, False
        return titles, f"{text[: match.start('title')]} , {rest}", True

    def own_pick(self, text: str) -> str | None:
        """The catalogue film the user says they will watch instead ("i'll just watch blade
        runner"), if any; "I'll watch it" names none."""
        match = _OWN_PICK.search(text)
        found = self._known_at(text[match.end() :]) if match else None
        if found is None or _POINTERS.match(found[0]) or self.exact(found[0]) is None:
            return None
        return found[0]

    def seen(self, text: str) -> tuple[list[str], str]:
        """Catalogue titles said as seen ("I've already seen Heat, Ronin and Collateral", "seen
        the Bourne movies"), and the rest of the text; only known titles count."""
        said = _SERIES.sub(_series_name, text)  # "the bourne movies": the Bourne films
        for match in _SEEN_TITLE.finditer(said):  # "seen it. also seen goodfellas and casino"
            if _NOT_SEEN.search(said[: match.start()]):  # "haven't seen the first ones"
                continue
            titles, rest = self._titles_at(said[match.end() :], known_only=True)
            if titles:  # "watched inception last night": when, no film *Last Night* after it
                return titles, f"{said[: match.end()]} , {_without_when(rest)}"
        return [], text

    def _liked(self, text: str, young: bool = False) -> tuple[list[str], str, bool]:
        """"I loved Alien": a catalogue title, capitalised or of two words or more, after a
        verb of liking; anything else ("I loved it", "I liked comedy") is no title. Beside
        children (``young``) a title said in lower case counts ("they like cars")."""
        match = _LIKED_TITLE.search(text) or (child_liked(text) if young else None)
        if not match:
            return [], text, False
        titles, after = self._titles_at(match["title"], known_only=True, fuzzy=True)
        said = match["title"][: len(titles[0])].lstrip(_QUOTE_MARKS) if titles else ""
        quoted = match["title"][:1] in _QUOTE_MARKS  # 'I really liked "Crash"'

        plain = len(titles) > 1 or bool(_LIKE_THIS_AFTER.match(after))  # "loved heat and collateral"
        # "loved Booksmart and Superbad": a list may name films the catalogue lacks (said so)
        known = [t for t in titles if self.exact(t) is not None]
        lower = young and bool(said) and self.exact(said) is not None and not match[  # the whole word:
            "title"][len(said) : len(said) + 1].isalnum()  # "they love dinosaurs": no *Dinosaur*
        if not titles or not (plain or quoted or lower or said[:1].isupper() or " " in titles[0].strip()) or not known or (
                not (plain or quoted) and noun_with_clause(titles[0], said, after)) or (  # "the way it ended"
                len(known) < len(titles) and len(titles) < 2):
            return [], text, False
        return titles, f"{text[: match.start('title')]} , {after}", False

    def _titles_at(self, text: str, known_only: bool = False, fuzzy: bool = False) -> tuple[list[str], str]:
        """Titles at the start of ``text`` ("lady bird or moonlight" gives two; "Heat, Ronin
        and Collateral" three, a comma joining known titles), and the rest; ``fuzzy``: titles
        misspelt count too (after a verb of liking)."""
        titles: list[str] = []
        rest = text
        while rest and len(titles) < MAX_LISTED:
            if titles and (_TIMES_SAID.match(rest.lstrip()) or _WHEN_SAID.match(rest.lstrip())
                           or _WHERE_SAID.match(rest.lstrip())):
                break  # "seen the matrix 3 times", "watched inception last night": no *Last Night*
            marker = _FILM_MARKER.match(rest)  # "like the film seven": the title follows
            if marker and self._known_at(rest[marker.end() :], listing=known_only):
                rest = rest[marker.end() :]
            found = _quoted_item(rest) or self._known_at(rest, listing=known_only, fuzzy=fuzzy)
            if found is None and known_only:  # "seen Heat, Se7en, Zodiac": every item
                found = _listed_item(rest, bool(titles), capitals=True) or _coined_item(rest, bool(titles))
            if found is None:
                if _NOT_TITLES.match(rest) or known_only:  # "like a feel-good movie": a kind
                    break
                end, longer = _TITLE_END.search(rest), longer_title(rest)  # "gone with the wind": all of it
                title, rest = (longer, rest.strip()[len(longer) :]) if longer else (
                    (rest[: end.start()], rest[end.start() :]) if end else (rest, ""))
                title = _TITLE_TAIL.sub("", title).strip(" \"'“”‘’")
                given = title_after_one(rest) if anaphoric_one(title) else None
                if anaphoric_one(title) and not (given and self._known_at(given)):
                    break  # "like the last one i watched": no title
                if given:  # "... which was zodiac": that title
                    title, rest = self._known_at(given) or (title, rest)
            else:
                title, rest = found
            if not title or normalise_title(title) in ("", "it", "that", "this"):
                break
            titles.append(title[:200])
            joined = re.match(_TITLE_JOIN, rest, re.I)
            comma = re.match(r"\s*[,/]\s*", rest)  # "seen the matrix / inception / memento"
            if not joined and comma and (self._listed_at(rest[comma.end() :]) or known_only and (_listed_item(
                    rest[comma.end() :], True) or _coined_item(rest[comma.end() :], True))):  # "heat, se7en and casino"
                joined = comma
            if not joined:  # "The Ring and It Follows", "Her, Us and Split"
                joined = self._capital_join(rest, known_only)
            nxt = self._known_at(rest, listing=True) if not joined and known_only else None
            if nxt and self.exact(nxt[0]):  # a whole title, not a franchise's start ("right")
                joined = re.match(r"\s*", rest)  # "seen inception interstellar and the prestige"
            if not joined:
                break
            rest = rest[joined.end() :]
        return titles, rest

    def _exactly_at(self, text: str) -> bool:
        """``text`` opens with catalogue titles, each found whole ("se7en", "alien"): a kind's
        "like" names a film only then ("a comedy like really silly" names none)."""
        titles = self._titles_at(text)[0]
        return bool(titles) and all(self.exact(t) is not None for t in titles)

    def _capital_join(self, rest: str, known_only: bool) -> re.Match[str] | None:
        """A join ("and", "&", "plus", a comma) before a capitalised title that opens with an
        everyday word ("and It Follows", "& Crash"); in a list of films seen or liked
        (``known_only``) also a capitalised name the catalogue may lack ("and Us")."""
        joined = _LIST_JOIN.match(rest) or re.match(r"\s*,\s*", rest)
        if joined is None:
            return None
        after = rest[joined.end() :]
        if not after[:1].isupper() or re.match(r"I\b", after):
            return None
        found = self._known_at(after)
        if found is not None and self.exact(found[0]) is not None:
            return joined
        return joined if known_only and _listed_item(after, True, capitals=True) else None

    def _listed_at(self, text: str) -> bool:
        """A catalogue title, capitalised or of two words or more, opens ``text``: the next
        of a list joined by commas."""
        found = self._known_at(text)
        return found is not None and self.exact(found[0]) is not None and (
            text[:1].isupper() or " " in found[0].strip())

    def _known_at(self, text: str, listing: bool = False, fuzzy: bool = False) -> tuple[str, str] | None:
        """The longest run of words opening ``text`` that is a known title (or a franchise's
        start) and ends where a clause could (or, ``listing``, where another catalogue title
        starts), with what follows; else (``fuzzy``) a title misspelt; None if there is none."""
        words, longer = text.split(), longer_title(text)  # "gone with the wind": no *Gone*
        for size in range(min(len(words), MAX_TITLE_WORDS), 0, -1):
            said = " ".join(words[:size]).rstrip(",.;!?:")
            if longer and len(said) < len(longer) and self.exact(longer) is None:
                break
            rest = ", " * words[size - 1].endswith(",") + " ".join(words[size:])  # a list goes on
            if not self.known(said) or _pointing(said) or (
                    said.split()[-1].lower() in _OPEN_ENDS and self.exact(said) is None) or not (_ends_clause(words[size - 1], rest) or (
                    listing and self.exact(said) and self._known_at(rest))):
                continue
            return self.exact(said) or said, rest
        return self._near_at(words) if fuzzy else None

    def _near_at(self, words: list[str]) -> tuple[str, str] | None:
        """The longest run of two words or more opening ``words`` that is a catalogue title
        misspelt ("the shawshank redemtion", "good will huntin"), with what follows; the run
        closest to a title wins, so that "redemtion and" never swallows the "and"."""
        found: list[tuple[float, int, str, str]] = []
        for size in range(min(len(words), MAX_TITLE_WORDS), 1, -1):
            rest = ", " * words[size - 1].endswith(",") + " ".join(words[size:])
            key = normalise_title(" ".join(words[:size]).rstrip(",.;!?:"))
            if len(key) < _NEAR_MIN_SAID or not (_ends_clause(words[size - 1], rest) or _DEGREE.match(rest)):
                continue
            best = process.extractOne(key, self._sorted, scorer=fuzz.ratio, score_cutoff=FUZZY_RATIO)
            if best is not None and len(best[0]) >= _NEAR_MIN_CHARS:
                found.append((best[1], size, self._exact[best[0]], rest))
        return max(found)[2:] if found else None


def _without_when(rest: str) -> str:
    """``rest`` without the time or place it opens with ("last night and loved it": "and
    loved it"; "on the plane, more of that": ", more of that"): a memory, no wish."""
    when = _WHEN_SAID.match(rest.lstrip()) or _WHERE_SAID.match(rest.lstrip())
    return without_circumstances(f"seen it {rest.lstrip()[when.end() :]}")[len("seen it") :] if when else rest


def _length_said(text: str) -> bool:
    """``text`` opens with a length ("90 min", "an hour and a half", "1h45"): no title."""
    words = re.sub(r"[^\w.]+", " ", spell_compact(text).lower()).split()
    return minutes_at(words, 1 if words[:1] == ["about"] else 0) is not None


def _list_goes_on(rest: str) -> bool:
    return bool(re.match(r"\s*(?:,|and\b|or\b)\s*\S", rest, re.IGNORECASE))


def _listed_item(text: str, in_list: bool, capitals: bool = False) -> tuple[str, str] | None:
    """A capitalised item opening ``text`` inside a list of titles (``in_list``, or one that
    goes on after it), with what follows; None when there is none. An everyday word ("Us",
    "Them") counts only when ``capitals`` (written capitalised inside the list)."""
    match = _LISTED_ITEM.match(text.lstrip())
    if match is None or match["item"] == "I" or pointing_words(match["item"].lower().split()) and not (
            capitals and in_list):
        return None
    rest = text.lstrip()[match.end() :]
    return (match["item"], rest) if in_list or _list_goes_on(rest) else None


_QUOTED = re.compile(r"\s*[\"“«‘'](?P<item>[^\"“”«»‘’'\n]{1,80}?)[\"”»’']")


def _quoted_item(text: str) -> tuple[str, str] | None:
    """A title written in quotes ('"Se7en" and 12 Monkeys'): the quotes mark it as one,
    known to the title index or not; the catalogue's look-up judges it."""
    match = _QUOTED.match(text)
    return (match["item"].strip(), text[match.end() :]) if match and match["item"].strip() else None


def _coined_item(text: str, in_list: bool) -> tuple[str, str] | None:
    """A lower-case list item no word of English spells: letters and digits mixed ("seen
    se7en and heat"), said back by the catalogue's look-up, never dropped."""
    match = _COINED_ITEM.match(text.lstrip())
    if match is None:
        return None
    rest = text.lstrip()[match.end() :]
    return (match["item"], rest) if in_list or _list_goes_on(rest) else None


_COINED_ITEM = re.compile(r"(?P<item>(?=[a-z0-9]*[a-z])(?=[a-z0-9]*\d)[a-z0-9]{3,})"
                          r"(?=\s*(?:,|\band\b|\bor\b|[.;!?&/+]|$|(?:already|before|again|recently|yesterday|last|this)\b))")


def _series_name(match: re.Match[str]) -> str:
    """"the bourne movies" -> "bourne"; "the first ones" stays, pointing at no franchise."""
    return match.group(0) if pointing_words(match["name"].lower().split()) else match["name"]


def _pointing(said: str) -> bool:
    """``said`` only points back or answers ("anything", "those", "first") and is written
    in lower case: no title (*Anything*, *Those*), as "It" or "Them" in capitals may be."""
    return pointing_words(said.lower().split()) and not any(c.isupper() for c in said)


def _ends_clause(last_word: str, rest: str) -> bool:
    """A title may end here: the end, punctuation, a year, or a word that starts a clause."""
    if not rest or last_word[-1:] in ",.;!?:":
        return True
    first = normalise_title(rest.split()[0]) if rest.split() else ""
    return rest[:1] in ",.;!?:()/" or first in _BOUNDARY_WORDS or bool(
        re.fullmatch(r"\(?(19|20)\d\d\)?", rest.split()[0])) or bool(_TIMES_AFTER.match(rest) or _WHEN_SAID.match(rest)
                                               or _WHERE_SAID.match(rest))


# a word in a film title's place: after a refusal or a verb of seeing or liking
_TITLE_PLACE = re.compile(r"\b(?:not|n't|seen|saw|watched|liked|loved|enjoyed)\s+(?:the\s+)?(\w+)\b"
                          r"(?=\s*(?:[,.;!?]|$|please\b|pls\b|though\b|thanks\b|either\b|again\b))",
                          re.IGNORECASE)


# "my english is not perfect.", "my son isn't picky": said of someone, no title's place
_COPULA_BEFORE = re.compile(r"(\w+)(?:\s+(?:is|am|are|was|were)|['’](?:m|re|s))\s*$", re.IGNORECASE)
_FILM_SUBJECTS = frozenset("it its that thats this one film movie which what".split())
# several words in that place, ending the message or clause ("I SAID NOT PRETTY WOMAN", "told
# you no pretty woman!!"): the callers keep only those that are a whole catalogue title
_TITLES_PLACE = re.compile(r"\b(?:not|no|n't|seen|saw|watched|liked|loved|enjoyed)\s+(?:the\s+)?"
                           r"(?!(?:a|an|the|in|of|to|for|my|your|this|that|some|any)\b)(\w+(?:\s+\w+){1,3}?)(?=\s*(?:[,.;!?]|$|please\b|pls\b|though\b|again\b))",
                           re.IGNORECASE)


# a pronoun in lower case is someone named before, not the film *Her* ("not Her" still is)
_PRONOUNS = frozenset("her him them he she they his hers me us you".split())


def _described(before: str) -> bool:
    found = _COPULA_BEFORE.search(before)
    return found is not None and found.group(1).lower() not in _FILM_SUBJECTS


def title_place_words(text: str) -> list[str]:
    """Words in a film title's place, ending the clause: ``"not alien, please"`` ->
    ``["alien"]``; ``"seen the thing"`` -> ``["thing"]``; ``"I said not pretty woman"`` ->
    ``["pretty woman"]``; "not into aliens" gives none, nor "my english is not perfect" (said of
    someone)."""
    return [m.group(1) for pattern in (_TITLE_PLACE, _TITLES_PLACE) for m in pattern.finditer(text)
            if not _described(text[: m.start()]) and not (  # "every julia roberts film so not her"
                m.group(1).lower() in _PRONOUNS and not m.group(1)[0].isupper())]


def written_as(title: str, text: str) -> bool:
    """``title`` is written in ``text`` as the catalogue spells it ("Her", not "her")."""
    return pattern(rf"(?<!\w){re.escape(title)}(?!\w)").search(text) is not None
