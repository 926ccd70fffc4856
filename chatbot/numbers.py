"""The one whole-number rule of the chatbot's protocol: for ``turn_no``, ``index`` and the survey's scores.

A whole number comes as a JSON integer (``2``), a JSON number with no fraction (``2.0``) or, from
a form, the digits of one (``"2"``). A boolean, a fraction, or any other text is refused with a
message naming the field and the value as the client wrote it (JSON, not Python's repr).

>>> whole_number("turn_no", 2.0, least=1)
2
"""

from __future__ import annotations

import json
from typing import Any

from chatbot.errors import InvalidRequest


def whole_number(field: str, value: Any, *, least: int, most: int | None = None) -> int | None:
    """``value`` as an int, None if absent (None or ""); `InvalidRequest` naming ``field`` otherwise.

    Example: ``whole_number("survey.liked", "4", least=1, most=5)`` -> 4;
    ``whole_number("index", True, least=0)`` raises "index: true is not a whole number; ...".
    """
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        number = int(value.strip())
    span = f"from {least}" if most is None else f"from {least} to {most}"
    if number is None:
        raise InvalidRequest(f"{field}: {as_json(value)} is not a whole number; send one {span}, like {least + 1}")
    if most is None and number < least:
        raise InvalidRequest(f"{field}: {number} must be {least} or more")
    if most is not None and not least <= number <= most:
        raise InvalidRequest(f"{field}: {number} is outside {least}-{most}; send a whole number {span}")
    return number


def as_json(value: Any, limit: int = 60) -> str:
    """``value`` as the client wrote it in JSON (``true``, ``"abc"``, ``1.5``), cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
