"""What people call film people, as data for ``chatbot.names``. No logic.

``ALIASES``: a nickname that on its own means one famous person ("arnie", "the rock"), folded
(``chatbot.text.fold``). Only names whose owner the catalogue holds are used.

``FIRST_NAME_FORMS``: the short or familiar form of a first name and the full forms it may
stand for ("leo" -> "leonardo"), so "leo dicaprio" finds Leonardo DiCaprio.
"""

from __future__ import annotations

ALIASES: dict[str, str] = {
    "arnie": "Arnold Schwarzenegger", "the governator": "Arnold Schwarzenegger",
    "schwarzy": "Arnold Schwarzenegger",
    "sly": "Sylvester Stallone", "sly stallone": "Sylvester Stallone",
    "the rock": "Dwayne Johnson", "dwayne the rock johnson": "Dwayne Johnson",
    "jlo": "Jennifer Lopez", "j lo": "Jennifer Lopez",
    "scarjo": "Scarlett Johansson", "rdj": "Robert Downey Jr.",
    "bogie": "Humphrey Bogart", "bogey": "Humphrey Bogart", "the duke": "John Wayne",
    "hitch": "Alfred Hitchcock", "marty scorsese": "Martin Scorsese",
    "jcvd": "Jean-Claude Van Damme", "the muscles from brussels": "Jean-Claude Van Damme",
    "k stew": "Kristen Stewart", "kstew": "Kristen Stewart",
    "jlaw": "Jennifer Lawrence", "j law": "Jennifer Lawrence", "jgl": "Joseph Gordon-Levitt",
    "slj": "Samuel L. Jackson", "pta": "Paul Thomas Anderson", "nic cage": "Nicolas Cage",
}
"""Folded nickname -> catalogue name; a sure match. (A lone first name such as "denzel" is
not here: ``chatbot.names`` reads it as a suggestion, "Did you mean Denzel Washington?")."""

FIRST_NAME_FORMS: dict[str, tuple[str, ...]] = {
    "leo": ("leonardo",), "tom": ("thomas",), "tommy": ("thomas", "tom"),
    "mike": ("michael",), "mikey": ("michael",), "bob": ("robert",), "bobby": ("robert",),
    "rob": ("robert",), "robbie": ("robert",), "bill": ("william",), "billy": ("william",),
    "will": ("william",), "jim": ("james",), "jimmy": ("james",), "jamie": ("james",),
    "chris": ("christopher", "christian", "christina", "christine"),
    "matt": ("matthew",), "nick": ("nicholas", "nicolas"), "sam": ("samuel", "samantha"),
    "joe": ("joseph",), "joey": ("joseph",), "ben": ("benjamin", "benedict"),
    "dan": ("daniel",), "danny": ("daniel",), "dave": ("david",), "steve": ("steven", "stephen"), "stephen": ("steven",), "steven": ("stephen",),
    "john": ("jon",),
    "tony": ("anthony", "antonio"), "andy": ("andrew",), "alex": ("alexander", "alexandra"),
    "kate": ("katherine", "kathryn", "catherine", "kathleen"), "katie": ("katherine", "kathryn"),
    "liz": ("elizabeth",), "beth": ("elizabeth",), "jen": ("jennifer",), "jenny": ("jennifer",),
    "ed": ("edward",), "eddie": ("edward",), "charlie": ("charles",), "chuck": ("charles",),
    "jake": ("jacob",), "fred": ("frederick", "frederic"), "greg": ("gregory",),
    "jon": ("jonathan", "john"), "johnny": ("john",), "pete": ("peter",), "ron": ("ronald",),
    "sandy": ("sandra",), "vince": ("vincent",), "zach": ("zachary",), "zack": ("zachary",),
    "nate": ("nathan", "nathaniel"), "al": ("alfred", "albert", "alan"),
    "gene": ("eugene",), "larry": ("lawrence",), "phil": ("philip", "phillip"),
    "rick": ("richard",), "dick": ("richard",), "ricky": ("richard",), "ray": ("raymond",),
    "abby": ("abigail",), "becky": ("rebecca",), "maggie": ("margaret",), "meg": ("margaret",),
    "nicky": ("nicole", "nicholas"), "pat": ("patrick", "patricia"), "ted": ("edward", "theodore"),
    "tim": ("timothy",), "walt": ("walter",), "woody": ("woodrow",), "drew": ("andrew",),
    "nic": ("nicolas", "nicholas"), "arnold": ("arnold",), "benny": ("benjamin", "benedict"),
}
"""Folded familiar first name -> folded full first names it may stand for."""
