"""What the page's drawing code shows, in headless Chromium against the web/ files alone (a plain
static server on a free port, no deployment): the film card's labels and names, one time format
on both pages, counts in agreement, and the notice shown without JavaScript."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

WEB = Path(__file__).parents[1] / "web"


@pytest.fixture(scope="module")
def web_url() -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(WEB))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def log_message(self, *_args: Any) -> None:
        pass


# A page of the site's origin with the stylesheet and an empty conversation, to draw into.
DRAW = """async (film) => {
  document.head.innerHTML = '<link rel="stylesheet" href="/style.css">';
  await new Promise((ok) => { const l = document.head.firstChild; l.onload = ok; l.onerror = ok; });
  document.body.innerHTML = '<section id="s" style="height:600px;overflow:auto"><ol id="m"></ol></section><div id="t"></div>';
  const view = await import('/chat-view.js');
  const log = new view.Log(document.getElementById('m'), document.getElementById('s'), document.getElementById('t'));
  log.card(film);
  return [...document.querySelectorAll('.film-line')].map((line) => {
    const term = line.querySelector('dt').getBoundingClientRect(), value = line.querySelector('dd').getBoundingClientRect();
    return {text: line.innerText.replace(/\\s+/g, ' ').trim(), gap: value.left - term.right};
  });
}"""


@pytest.mark.parametrize(("film", "lines"), [
    ({"title": "Dumb and Dumber", "directors": ["Bobby Farrelly", "Peter Farrelly"], "cast": ["Jim Carrey", "Jeff Daniels"]},
     ["Directors: Bobby Farrelly, Peter Farrelly", "Cast: Jim Carrey, Jeff Daniels"]),
    ({"title": "Big", "director": "Penny Marshall", "cast": ["Tom Hanks"]}, ["Director: Penny Marshall", "Cast: Tom Hanks"]),
    ({"title": "The Matrix", "director": "Lana Wachowski", "directors": ["Lana Wachowski", "Lilly Wachowski"]},
     ["Directors: Lana Wachowski, Lilly Wachowski"]),
    ({"title": "Fargo", "directors": ["Joel Coen", " ", "Ethan Coen"], "cast": []}, ["Directors: Joel Coen, Ethan Coen"]),
    ({"title": "Untold", "directors": [], "cast": ["A", "B", "C", "D", "E", "F"]}, ["Cast: A, B, C, D, E"]),
])
def test_web_view_film_card_names_every_director_with_labels_set_apart(page: Any, web_url: str, film: dict,
                                                                       lines: list[str]) -> None:
    page.goto(f"{web_url}/format.js")
    shown = page.evaluate(DRAW, film)
    assert [line["text"] for line in shown] == lines
    assert all(line["gap"] >= 3 for line in shown), shown  # "Director: X", never "DirectorX" on screen


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "ja-JP"])
def test_web_view_one_time_format_whatever_the_language(new_page: Any, web_url: str, locale: str) -> None:
    page = new_page(locale=locale)
    page.goto(f"{web_url}/format.js")
    texts = page.evaluate("""async () => {
      const f = await import('/format.js');
      document.body.innerHTML = '<section id="s"><ol id="m"></ol></section><div id="t"></div>';
      const view = await import('/chat-view.js');
      const log = new view.Log(document.getElementById('m'), document.getElementById('s'), document.getElementById('t'));
      log.message('bot', 'hi', new Date(2026, 0, 2, 13, 5, 9));
      return [f.clockText(new Date(2026, 0, 2, 13, 5, 9)), f.clockText(new Date(2026, 0, 2, 0, 0, 0)),
              document.querySelector('time.stamp').textContent];
    }""")
    assert texts == ["13:05:09", "00:00:00", "13:05:09"]


def test_web_view_pages_format_times_in_one_place() -> None:
    """The kind, not the example: no page script formats a time by itself."""
    for script in WEB.glob("*.js"):
        if script.name != "format.js":
            assert "toLocaleTimeString" not in script.read_text(), script.name


@pytest.mark.parametrize(("n", "one", "shown"), [(1, "start-up failure", "1 start-up failure"),
                                                 (2, "start-up failure", "2 start-up failures"),
                                                 (0, "server error", "0 server errors"),
                                                 (1200, "request", "1,200 requests"), (1, "character", "1 character")])
def test_web_view_counts_agree_with_their_noun(page: Any, web_url: str, n: int, one: str, shown: str) -> None:
    page.goto(f"{web_url}/format.js")
    assert page.evaluate("async ([n, one]) => (await import('/format.js')).counted(n, one)", [n, one]) == shown


@pytest.mark.parametrize(("path", "says"), [("/index.html", "This chat needs JavaScript"),
                                            ("/dashboard.html", "The dashboard needs JavaScript")])
def test_web_view_without_javascript_says_the_page_needs_it(new_page: Any, web_url: str, path: str, says: str) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(web_url + path)
    note = page.locator(".noscript-note")
    assert note.is_visible() and says in note.inner_text() and "reload" in note.inner_text()


# A conversation's log as the chat page has it (a polite log), the recorder of what it announces
# installed first (tests/live_regions.py); a message proposing `film` is drawn into it.
PROPOSE = """async ([text, film]) => {
  document.body.innerHTML = '<section id="s"><div role="log" aria-live="polite" aria-relevant="additions">'
    + '<ol id="m"></ol></div></section><div id="t"></div>';
  const view = await import('/chat-view.js');
  const log = new view.Log(document.getElementById('m'), document.getElementById('s'), document.getElementById('t'));
  log.message('bot', text, new Date(), film);
  await new Promise((ok) => setTimeout(ok, 50));
  return {said: window.__liveSaid.map((s) => s.text), genres: [...document.querySelectorAll('.film-card .chip')].map((c) => c.textContent),
          cards: document.querySelectorAll('#m > li .film-card').length, items: document.querySelectorAll('#m > li').length};
}"""


@pytest.mark.parametrize(("film", "card"), [
    ({"id": 1, "title": "Heat", "year": 1995, "genres": ["crime", "action", "drama"], "runtime_min": 170,
      "mpaa": "R", "directors": ["Michael Mann"], "cast": ["Al Pacino"]},
     "Film card: Heat, 1995, crime, action, drama, 170 minutes."),
    ({"id": 2, "title": "The Lion King", "year": 1994, "genres": ["animation", "family", "adventure", "drama", "musical"],
      "runtime_min": 88, "rating": 3.84},
     "Film card: The Lion King, 1994, animation, family, adventure, drama, musical, 88 minutes, MovieLens rating 3.8 of 5."),
    ({"id": 3, "title": "Untimed", "year": None, "genres": ["documentary"], "runtime_min": None},
     "Film card: Untimed, documentary."),
])
def test_web_view_film_card_is_announced_as_part_of_the_chatbots_message(new_page: Any, web_url: str, film: dict,
                                                                          card: str) -> None:
    """One announcement, said as the chatbot's: its text, then the card's title, year, genres (in
    the order the server sends them, which is the order the chatbot names them) and length."""
    from tests.live_regions import record

    page = new_page()
    record(page)
    page.goto(f"{web_url}/format.js")
    text = f"How about {film['title']}?"
    drawn = page.evaluate(PROPOSE, [text, film])
    assert drawn["said"] == [f"Chatbot: {text} {card}"], drawn
    assert drawn["items"] == 1 and drawn["cards"] == 1
    assert drawn["genres"] == film["genres"]  # the chips as sent, in that order

