"""A film's tone wished for against the film on the table: "darker", "something lighter",
"less depressing", "less cheesy", "not as silly". Pure; no IO.

The catalogue records genres, not moods, so a tone step is never a genre wish of its own
("less silly" keeps the comedy asked for). Lighter asks for what the catalogue can honestly
filter: war and horror films left out, unless the user asked for them. Every step is said
plainly: the bot cannot tell how dark, light or cheesy a film is. Example::

    tone_steps(["something", "lighter"])   # [('dark', 'less')]
    tone_steps(["less", "cheesy"])         # [('cheesy', 'less')]
    tone_note([("dark", "more")], "Heat")  # "I can't tell how dark a film is ..."
"""

from __future__ import annotations

from collections.abc import Sequence

# comparatives said in one word: (the mood, more or less of it)
_ONE_WORD = {
    **dict.fromkeys(("darker", "grittier", "bleaker", "sadder", "heavier", "gloomier",
                     "grimmer", "edgier", "moodier"), ("dark", "more")),
    **dict.fromkeys(("lighter", "happier", "cheerier", "cheerful", "brighter", "sunnier",
                     "breezier", "fluffier", "lightweight"), ("dark", "less")),
    **dict.fromkeys(("cheesier",), ("cheesy", "more")),
    **dict.fromkeys(("sappier", "mushier"), ("sappy", "more")),
    **dict.fromkeys(("weirder", "quirkier", "stranger"), ("weird", "more")),
    **dict.fromkeys(("smarter", "cleverer"), ("clever", "more")),
    **dict.fromkeys(("sillier", "goofier", "dumber"), ("silly", "more")),
    **dict.fromkeys(("slower",), ("slow", "more")),
}
# a mood word after "more" / "less" / "not as" / "not so": the mood it grades
_MOODS = {
    **dict.fromkeys(("dark", "depressing", "sad", "heavy", "bleak", "grim", "gloomy", "serious",
                     "gritty", "upsetting", "tragic", "disturbing", "downbeat", "intense"), "dark"),
    **dict.fromkeys(("light", "lighthearted", "upbeat", "happy", "cheerful", "fun", "uplifting",
                     "feelgood", "hopeful", "positive"), "light"),
    **dict.fromkeys(("cheesy", "corny"), "cheesy"),
    **dict.fromkeys(("sappy", "mushy", "sentimental", "soppy"), "sappy"),
    **dict.fromkeys(("silly", "goofy", "dumb", "childish", "stupid"), "silly"),
    **dict.fromkeys(("weird", "quirky", "strange", "artsy", "pretentious", "trippy"), "weird"),
    **dict.fromkeys(("slow", "boring", "dull"), "slow"),
    **dict.fromkeys(("predictable", "cliched", "cliche", "formulaic"), "predictable"),
    **dict.fromkeys(("smart", "clever", "deep", "thoughtful"), "clever"),
}
_GRADES = {("more",): "more", ("less",): "less", ("not", "as"): "less", ("not", "so"): "less",
           ("a", "lot", "less"): "less", ("bit", "less"): "less", ("bit", "more"): "more",
           ("little", "less"): "less", ("little", "more"): "more", ("way", "less"): "less"}
_NOUNS = frozenset("one film movie pick option".split())  # "a lighter one"


def tone_steps(words: Sequence[str]) -> list[tuple[str, str]]:
    """Each ``(mood, "more" | "less")`` a tone comparative in ``words`` asks for; "lighter"
    is less dark."""
    found: list[tuple[str, str]] = []
    for i, word in enumerate(words):
        step = _ONE_WORD.get(word)
        if step is None and word in _MOODS:
            grade = next((g for k, g in _GRADES.items() if tuple(words[max(0, i - len(k)) : i]) == k), None)
            if grade is not None:
                mood = _MOODS[word]
                step = ("dark", "less" if grade == "more" else "more") if mood == "light" else (mood, grade)
        if step is not None and step not in found and not _names_weight(words, i):
            found.append(step)
    return found


def _names_weight(words: Sequence[str], i: int) -> bool:
    """"lighter than 2 kilos", "a lighter tone" is still a tone; "heavier" of a person is rare."""
    return i + 1 < len(words) and words[i + 1] == "than" and i + 2 < len(words) and words[i + 2].isdigit()


def lightens(steps: Sequence[tuple[str, str]]) -> bool:
    """Whether the steps ask for a lighter film (less dark, less sad)."""
    return ("dark", "less") in steps


# the genres that carry a tone: a lighter film among these, a darker one among those
LIGHT_GENRES = ("comedy", "family", "animation")
DARK_GENRES = ("thriller", "crime", "horror", "drama")
_GENRE_WORDS = {"comedy": "comedies", "family": "family films", "animation": "animated films",
                "thriller": "thrillers", "crime": "crime films", "horror": "horror films",
                "drama": "dramas"}


def direction(steps: Sequence[tuple[str, str]]) -> str | None:
    """``"lighter"`` or ``"darker"`` when the steps ask for one of them, else None."""
    if ("dark", "less") in steps:
        return "lighter"
    return "darker" if ("dark", "more") in steps else None


def toward(way: str | None, wished: Sequence[str], shown: Sequence[str],
           refused: Sequence[str] = ()) -> list[str]:
    """The genres a tone step moves to: lighter to comedy, family or animation, darker to
    thriller, crime, horror or drama (none the film shown has, none refused); nothing when
    the genre asked for already carries that tone ("a lighter comedy")."""
    genres = {"lighter": LIGHT_GENRES, "darker": DARK_GENRES}.get(way or "", ())
    if not genres or set(wished) & set(genres) - {"drama"}:
        return []
    return [g for g in genres if g not in shown and g not in refused]


def tone_note(steps: Sequence[tuple[str, str]], title: str, kept_out: Sequence[str] = (),
              moved_to: Sequence[str] = ()) -> str:
    """The one thing the bot says of them: what it cannot tell, and what it does instead,
    worded by the way asked ("how light" for lighter, never "how dark")."""
    way = direction(steps)
    moods = " or ".join(dict.fromkeys("light" if (m, d) == ("dark", "less") else m for m, d in steps))
    said = (f"I can't tell how {moods} a film is from my catalogue (only its genres, people, "
            "year, length and rating)")
    if moved_to:
        kinds = [_GENRE_WORDS.get(g, f"{g} films") for g in moved_to]
        listed = ", ".join(kinds[:-1]) + f" or {kinds[-1]}" if len(kinds) > 1 else kinds[0]
        return f"{said}, so for a {way} one than {title} I'll look among {listed}."
    if kept_out:
        return f"{said}, so to keep it lighter I'll leave out {' and '.join(kept_out)} films."
    return f"{said}, so I'll try one other than {title}."
