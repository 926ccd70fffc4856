"""Questions that ask what a rating means ("What means PG-13?", "what's nc-17?", "whats the
difference between pg and pg-13"): answered with the MPAA's own wording, never read as a wish
for films so rated. Pure; no IO. Example::

    defined_ratings(["what", "means", "pg", "13"], ["PG-13"])   # ['PG-13']
    definition("PG-13")   # 'PG-13 means "Parents Strongly Cautioned": ...'
"""

from __future__ import annotations

from collections.abc import Sequence

# the MPAA's rating names and what each lets in
DEFINITIONS = {
    "G": "General Audiences: all ages admitted, nothing that would offend parents of young children",
    "PG": "Parental Guidance Suggested: some material may not be suitable for children",
    "PG-13": "Parents Strongly Cautioned: some material may be inappropriate for children under 13",
    "R": "Restricted: under 17 requires an accompanying parent or adult guardian",
    "NC-17": "Adults Only: no one 17 and under admitted",
}
# words that ask what something means ("what does R stand for?")
_DEFINING = frozenset("mean means meaning meant stand stands difference differences definition "
                      "explain".split())
_WHAT = frozenset("what whats wat wats watz".split())
# words of a question about a film or a request, not about the rating itself: "what's it
# rated, pg-13?", "what pg-13 films do you have?", "what about PG-13?"
_NOT_DEFINING = frozenset("""it its this that film films movie movies one ones about have got
    any something anything show give recommend suggest""".split())
_SYSTEM = frozenset("mpaa mpa".split())  # the rating system's name
_FILM_WORDS = frozenset("it its film films movie movies one ones".split())
_RATING_WORDS = frozenset("g pg pg13 13 r nc nc17 17 rated rating mpaa is are does do the a an "
                          "and or between".split())


def defined_ratings(words: Sequence[str], ratings: Sequence[str]) -> list[str]:
    """The ratings (of ``ratings``, those the words name) whose meaning ``words`` ask, or [];
    every rating when the rating system itself is asked about ("what means this MPAA?", "what
    is mpaa? in germany we have fsk")."""
    if _SYSTEM & set(words) and set(words) & (_DEFINING | _WHAT) and not set(words) & _FILM_WORDS:
        return list(DEFINITIONS)
    if not ratings or set(words) & _NOT_DEFINING:
        return []
    if set(words) & _DEFINING and set(words) & (_WHAT | {"difference", "explain"}):
        return list(dict.fromkeys(ratings))  # "what does PG-13 mean?", "difference between"
    if words[:1] and words[0] in _WHAT and set(words[1:]) <= _RATING_WORDS:
        return list(dict.fromkeys(ratings))  # "what's nc-17?", "what is rated R?"
    return []


def definition(rating: str) -> str:
    """What ``rating`` means, as one sentence."""
    return f'{rating} means "{DEFINITIONS[rating]}".'


def definitions_reply(ratings: Sequence[str]) -> list[str]:
    """One sentence per rating asked about, then what the ratings tell a viewer."""
    return [definition(r) for r in ratings if r in DEFINITIONS]
