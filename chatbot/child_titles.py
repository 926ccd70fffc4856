"""Films a child is said to like, written in lower case: "kids 5 & 8, they like cars", "my
daughter (7) loves frozen". Beside children the words after a verb of liking are a film's
title when one of the catalogue's is exactly those words, as a capital would make them
("I loved Up"); without children "i like cars" stays a topic. Pure. Example::

    speaks_of_children("kids 5 & 8, they like cars")        # True
    child_liked("kids 5 & 8, they like cars")["title"]      # 'cars'
"""

from __future__ import annotations

import re

# children in the message: a word for them, or an age ("my 6yo", "she's 7 years old")
_CHILDREN = re.compile(
    r"\b(?:kids?|kiddos?|children|child|sons?|daughters?|boys|girls|toddlers?|grandkids?|"
    r"grandchildren|nephews?|nieces?|little\s+ones?|\d{1,2}\s*(?:yo|y/?o|yrs?\s+old|years?\s+old|"
    r"year\s+olds?)|\d{1,2}yo)\b", re.IGNORECASE)
# "they like cars", "he loves frozen", "both kids enjoy bolt": a liking said of someone else
# (the plain "like" too, which ``chatbot.titles`` leaves out as a comparison)
_CHILD_LIKED = re.compile(
    r"\b(?:they|he|she|kids?|children|son|daughter|boys|girls|both|all)(?:\s+(?:really|both|all|"
    r"just|also|totally|absolutely))?\s+(?:like|likes|love|loves|enjoy|enjoys|liked|loved|enjoyed)"
    r"\s+(?P<title>.+)", re.IGNORECASE)


def speaks_of_children(text: str) -> bool:
    """``text`` tells of children: a word for them or a child's age."""
    return _CHILDREN.search(text) is not None


def child_liked(text: str) -> re.Match[str] | None:
    """Where a film liked by a child (or "they") is named in ``text``, if anywhere."""
    return _CHILD_LIKED.search(text)
