"""Franchises whose films do not all carry the franchise's name in their titles ("no Batman"
leaves out The Dark Knight too). Pure; no IO. Used by ``chatbot.catalog`` when a title is
excluded.

The catalogue (Wikidata's ``omdb`` table and MovieLens) has no collection, keyword or character
data, so a title exclusion is matched on title words; this table adds, for well-known franchises,
the title words of their films that lack the name. A franchise not listed here is matched on its
name only, and the bot says so (``chatbot.nlg``). Example::

    franchise_titles("batman")   # ("batman", "dark knight")
    franchise_titles("pirates")  # ("pirates",)
"""

from __future__ import annotations

# franchise (normalised title words) -> title words of its films that lack the franchise's name
_OTHER_TITLES: dict[str, tuple[str, ...]] = {
    "batman": ("dark knight", "lego batman"),
    "superman": ("man of steel",),
    "james bond": ("dr no", "from russia with love", "goldfinger", "thunderball", "you only live twice",
                   "on her majesty s secret service", "diamonds are forever", "live and let die",
                   "man with the golden gun", "spy who loved me", "moonraker", "for your eyes only",
                   "octopussy", "view to a kill", "living daylights", "licence to kill",
                   "goldeneye", "tomorrow never dies", "world is not enough", "die another day",
                   "casino royale", "quantum of solace", "skyfall", "spectre"),
    "star wars": ("empire strikes back", "return of the jedi", "phantom menace",
                  "attack of the clones", "revenge of the sith", "force awakens", "rogue one"),
    "indiana jones": ("raiders of the lost ark",),
    "lord of the rings": ("hobbit",),
    "middle earth": ("lord of the rings", "hobbit"),
    "rocky": ("creed",),
    "rambo": ("first blood",),
    "alien": ("aliens", "prometheus"),
    "x men": ("wolverine", "logan", "deadpool"),
    "jurassic park": ("lost world jurassic park", "jurassic world"),
    "die hard": ("live free or die hard",),
    "hannibal": ("silence of the lambs", "red dragon", "manhunter"),
    "hannibal lecter": ("silence of the lambs", "red dragon", "manhunter", "hannibal"),
    "spider man": ("spiderman", "amazing spider man"),
    "avengers": ("iron man", "captain america", "thor", "guardians of the galaxy", "ant man"),
    "marvel": ("iron man", "captain america", "thor", "avengers", "guardians of the galaxy",
               "ant man", "spider man", "x men", "wolverine", "deadpool", "hulk"),
    "mcu": ("iron man", "captain america", "thor", "avengers", "guardians of the galaxy",
            "ant man", "hulk"),
    "harry potter": ("fantastic beasts",),
    "wizarding world": ("harry potter", "fantastic beasts"),
    "middle earth films": ("lord of the rings", "hobbit"),
    "dc": ("batman", "dark knight", "superman", "man of steel", "wonder woman", "justice league",
           "suicide squad", "aquaman"),
    "planet of the apes": ("rise of the planet", "dawn of the planet", "war for the planet"),
    "mad max": ("road warrior",),
    "toy story": ("lightyear",),
    "cars": ("planes",),
    "bourne": ("bourne",),
    "ocean s": ("ocean s eleven", "ocean s twelve", "ocean s thirteen", "ocean s 8"),
    "matrix": ("animatrix",),
    "godzilla": ("king kong vs godzilla", "shin godzilla"),
}
_ALIASES = {"bond": "james bond", "007": "james bond", "lotr": "lord of the rings",
            "lord of the ring": "lord of the rings", "spiderman": "spider man", "xmen": "x men",
            "indy": "indiana jones", "the batman": "batman", "dark knight": "batman",
            "star war": "star wars", "potter": "harry potter", "hannibal lector": "hannibal lecter"}


# What a film is about, refused by a word the catalogue files under a genre ("horror, not
# zombies"): it has no plots or keywords, so the refusal goes by these title words, the genre
# stays wished for, and the bot says it can only tell such films by their titles (never
# ``fully_known``).
_SUBJECT_TITLES: dict[str, tuple[str, ...]] = {
    "zombie": ("zombies", "zombieland", "zombi", "of the dead", "living dead", "world war z",
               "28 days later", "28 weeks later", "warm bodies", "resident evil"),
    "vampire": ("vampires", "dracula", "nosferatu", "twilight", "let the right one in", "let me in",
                "fright night", "lost boys", "30 days of night", "near dark", "from dusk till dawn",
                "only lovers left alive", "what we do in the shadows", "underworld", "blade"),
    "werewolf": ("werewolves", "wolfman", "wolf man", "howling"),
}
_SUBJECT_ALIASES = {"zombies": "zombie", "vampires": "vampire", "werewolves": "werewolf",
                    "undead": "zombie"}


def subject(word: str) -> str | None:
    """The subject a word names ("zombies" -> "zombie"), when refusing it goes by title words."""
    name = _SUBJECT_ALIASES.get(word, word)
    return name if name in _SUBJECT_TITLES else None


def franchise_titles(key: str) -> tuple[str, ...]:
    """The title words that name a film of the franchise ``key`` (a normalised title key):
    ``key`` itself first, then those of its films that lack it. Example::

        franchise_titles("bond")   # ("bond", "dr no", "from russia with love", ...)
    """
    name = _ALIASES.get(key) or subject(key) or key
    return tuple(dict.fromkeys((key, name, *_OTHER_TITLES.get(name, ()), *_SUBJECT_TITLES.get(name, ()))))


def fully_known(key: str) -> bool:
    """``key`` is a franchise whose films without its name in the title are listed here."""
    return _ALIASES.get(key, key) in _OTHER_TITLES
