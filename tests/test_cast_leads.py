"""Cast order against known leads: the source lists cast alphabetically with no billing, so the
loader orders it by prominence (``chatbot.loader.cast_prominence``). tests/data/cast_leads.json
lists well-known films of the catalogue with their leads; this pins how often a lead comes
first and how many leads are in the first three names a description says."""

from __future__ import annotations

import json
from pathlib import Path

from chatbot.catalog import Catalog

LEADS = json.loads((Path(__file__).parent / "data" / "cast_leads.json").read_text())
# measured 2026-11-30: 38 films, a lead first in 21, 55 of 112 listed leads in the first three;
# tried and not kept: directors' cameos moved last (no change), an actor in every film of the
# film's series first (22 first but 54 in the first three)
LEAD_FIRST_FLOOR = 21
FIRST_THREE_FLOOR = 55


def _figures(catalog: Catalog) -> tuple[int, int, int]:
    first = in_three = films = 0
    for title, leads in LEADS.items():
        movie = catalog.find_title(title)
        assert movie is not None, f"{title} from tests/data/cast_leads.json is not in the catalogue"
        cast = list(movie.to_dict()["cast"])
        listed = [name for name in leads if name in cast]
        films += bool(listed)
        first += bool(cast) and cast[0] in listed
        in_three += len(set(cast[:3]) & set(listed))
    return films, first, in_three


def test_cast_order_names_a_lead_first_and_leads_in_the_first_three(catalog: Catalog) -> None:
    films, first, in_three = _figures(catalog)
    assert films >= 35
    assert first >= LEAD_FIRST_FLOOR, f"a lead first in {first} of {films} films"
    assert in_three >= FIRST_THREE_FLOOR, f"{in_three} leads in the first three"
