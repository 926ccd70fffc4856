"""The pronoun for a person the catalogue names: "his", "her", or "their" when unknown.

The catalogue records no one's gender, so the first name decides, from short lists of
first names common among film people that are (nearly) always given to one gender. A name on
neither list, or a list of names, is "their": a guess is never made. Pure; no IO. Example::

    possessive(["Al Pacino"])       # 'his'
    possessive(["Meryl Streep"])    # 'her'
    possessive(["Robin Wright"])    # 'their' (Robin is given to both)
"""

from __future__ import annotations

from collections.abc import Sequence

_MEN = frozenset("""aaron adam adrian al alan albert alec alejandro alexander alfred andrew andy
    anthony antonio arnold barry ben benedict benicio bill billy bob brad bradley brendan brian
    bruce bryan burt carl cary charles charlie chevy christian christoph christopher clint colin
    cuba dan daniel danny david dean denzel dennis don donald dustin ed eddie edward elijah emilio
    eric ethan eugene ewan francis frank fred gary gene george gerard gregory gus guy hank harold
    harrison harvey heath henry hugh hugo humphrey ian jack jackie jake james jared jason javier
    jean-claude jeff jeffrey jeremy jerry jim jimmy joaquin joe joel john johnny jon jonah jonathan
    joseph josh jude justin keanu kenneth kevin kurt larry laurence leonardo liam lee marlon martin
    matt matthew mel michael mickey mike morgan nathan neil nicolas nick oliver orson owen patrick
    paul pedro peter philip quentin ralph ray richard ridley rob robert rock roger
    roman ron russell ryan sacha samuel scott sean seth sidney spike stanley steve steven sylvester
    ted terry thomas tim timothy toby todd tom tommy tony val vin vince walter warren wes will
    william woody zach""".split())
_WOMEN = frozenset("""amy angela angelina anjelica ann anna anne annette audrey barbara bette
    betty brie bridget candice carey carrie catherine cate charlize cher claire claudia cynthia
    daisy debbie demi diane drew elizabeth ellen emily emma eva faye felicity frances gal gena
    glenn goldie grace greta gwyneth halle helen helena hilary holly ingrid isabelle jane janet
    jennifer jessica jodie josephine judi judy julia julianne julie kate katharine katherine
    kathleen kathy keira kirsten kristen laura lauren linda lisa liv lucy lupita maggie margot
    maria marilyn marion mary meg melanie meryl michelle mila milla miranda monica naomi natalie
    nicole olivia patricia penelope rachel rebecca reese renee rita rooney rosamund rose rosie
    sally samantha sandra sarah scarlett sharon shirley sigourney sissy sofia sophia susan
    susannah tilda uma vanessa vera viola vivien whoopi winona zoe""".split())


def possessive(names: Sequence[str]) -> str:
    """"his" or "her" for one person whose first name is on one list; else "their"."""
    if len(names) != 1 or not names[0].split():
        return "their"
    first = names[0].split()[0].lower()
    return "his" if first in _MEN else "her" if first in _WOMEN else "their"

