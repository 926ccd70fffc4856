"""A PUMA app made of a plain function and an object: `puma run examples/parts_app.py`, then

    curl -s localhost:8080/suggest -H 'content-type: application/json' -d '{"word": "al"}'
    curl -s localhost:8080/catalogue/search -H 'content-type: application/json' -d '{"word": "i", "before": 1990}'
    curl -s localhost:8080/catalogue/search -d 'word=i&before=soon'      # 400 naming `before`
"""

from dataclasses import dataclass

import puma
from puma import puma_config, puma_service, puma_start


@dataclass
class Film:
    title: str
    year: int


class Catalogue:
    """Built once per service (in its zygote); each public method is served at /catalogue/<method>."""

    def __init__(self) -> None:
        self.films = [Film("Heat", 1995), Film("Alien", 1979), Film("Big", 1988)]

    @puma.idempotent  # Envoy may re-send a search to another instance
    def search(self, word: str, before: int | None = None) -> list[Film]:
        return [f for f in self.films if word.lower() in f.title.lower() and (before is None or f.year < before)]


def suggest(word: str) -> dict:
    """A plain function: its parameters are the fields of the JSON body (or of a form)."""
    films = puma.remote("catalogue", Catalogue).search(word)  # through Envoy; a list of Film
    return {"suggestion": films[0].title if films else None, "year": films[0].year if films else None}


puma_config({"puma_services": {"catalogue": {"instances": 2}}})  # the functions need no settings
puma_service(__name__)  # this script's functions together, /parts_app/suggest; each class with methods: /catalogue (not Film)

if __name__ == "__main__":
    puma_start()
