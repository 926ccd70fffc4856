"""A film wished "about" something the catalogue has no field for ("documentary about nature",
"a thriller about hackers", "something about friendship"): the genre kept, and the topic said
to be out of reach, never passed over in silence. Pure; no IO. Used by ``chatbot.nlu``.

Example::

    tokens = "documentary about nature".split()
    about_topic(tokens, covered=[True, False, False], genre_ends={1})    # True
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

BOUNDARY = ","
# the word before "about" that makes it the film's subject ("a movie about", "something about")
_FILM_WORDS = frozenset("""movie movies film films flick flicks doc docs docu docuseries
    documentary documentaries one ones something anything story stories show series""".split())
# "a movie about 2 hours long", "something about an hour": a length, no subject
_LENGTH_WORDS = frozenset("hour hours hr hrs minutes minute mins min long half".split())
_FILLERS = frozenset("""a an the some of this that these those really kind sort like pls please
    lol maybe just stuff things thing or and""".split())


def about_topic(tokens: Sequence[str], covered: Sequence[bool], genre_ends: Collection[int]) -> bool:
    """``tokens`` wish for a film about a subject no other reading took: "about" follows a film
    word or a genre (``genre_ends``: where a genre's words end), and the words after it up to
    the clause's end are no length and none of them is ``covered`` (read as a wish, a name...)."""
    for i, token in enumerate(tokens):
        if token != "about" or not i or not (tokens[i - 1] in _FILM_WORDS or i in genre_ends):
            continue
        end = tokens.index(BOUNDARY, i) if BOUNDARY in tokens[i:] else len(tokens)
        rest = range(i + 1, end)
        words = [tokens[j] for j in rest]
        if any(covered[j] for j in rest) or _LENGTH_WORDS & set(words) or any(w.isdigit() for w in words):
            continue
        if any(w.isalpha() and w not in _FILLERS for w in words):
            return True
    return False
