"""Words voice typing writes for others that sound alike, where only one makes sense: "not to
long" (too), "an our and a half" (hour), "are is fine" (the rating R). Pure; no IO.

Each is rewritten only where the written word cannot be meant: "to" before an adjective of
degree after a word that leaves no room for the preposition ("not to long", "way to scary"),
"our" after "an", a number or "half an" ("an our", "two ours"), "are" where the verb cannot
stand ("are is fine", "are rated", "pg or are"). Example::

    spell_homophones("war movie but not to long maybe an our and a half")
    # 'war movie but not too long maybe an hour and a half'
"""

from __future__ import annotations

import re

_DEGREE = (r"long|short|old|new|scary|violent|gory|bloody|sad|dark|slow|much|graphic|intense|"
           r"boring|childish|mature|cheesy|depressing|heavy|creepy|recent|late|early")
_TOO = re.compile(rf"(?i)(?<![\w'])(not|way|bit|little|is|s|thats|that's|its|it's|be|was|were|"
                  rf"are|far|kinda|so|just|nothing|anything|too|something)\s+to(?=\s+(?:{_DEGREE})\b)")
_HOUR = re.compile(r"(?i)\b(an|one|1|two|2|three|3|half\s+an|a\s+half|an\s+extra)\s+our(s?)\b")
_R_AFTER = re.compile(r"(?i)(?<![\w'])are(?=\s+(?:is\b|rated\b|or\s+(?:pg|nc|g\b|lower|less|under|below)))")
_R_BEFORE = re.compile(r"(?i)\b((?:pg|13|g)\s+(?:or|and)\s+)are\b(?!\s+(?:you|u|we|they|there|the|not|fine)\b)")


def spell_homophones(text: str) -> str:
    """``text`` with sound-alike words written as the ones meant (see the module)."""
    text = _TOO.sub(lambda m: f"{m.group(1)} too", text)
    text = _HOUR.sub(lambda m: f"{m.group(1)} hour{m.group(2)}", text)
    text = _R_AFTER.sub("R", text)
    return _R_BEFORE.sub(lambda m: f"{m.group(1)}R", text)
