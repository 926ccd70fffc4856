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


# A deployment's status as GET /_puma/status gives it (puma/status.py), with what makes a page
# wide or long: many services, a long name, a long reason, many instances, long events.
def _status(now: float) -> dict[str, Any]:
    def service(prefix: str, ready: int, count: int, not_ready: list[str] | None = None) -> dict[str, Any]:
        return {"prefix": prefix, "ready": ready, "in_flight": 1, "requests_per_s": 12.5, "p50_ms": 9.5, "p99_ms": 120.0,
                "requests_total": 123456, "errors_5xx": 3, "startup_failures": 2, "refused_not_ready": 1,
                "min_instances": 1, "max_instances": 8, "autoscaled": True, "not_ready": not_ready or [],
                "instances": [{"id": i, "pid": 40000 + i, "state": "ready", "healthy": True, "rss_mib": 41.5}
                              for i in range(count)]}
    services = {"web": service("/", 2, 2), "agent": service("/agent", 8, 8), "policy": service("/policy", 2, 2),
                "listener": service("/listener", 1, 1), "survey": service("/survey", 1, 1),
                "legacy": service("/legacy", 0, 1, ["the legacy socket server is unreachable: nothing accepts "
                                                    "connections on 127.0.0.1:5005 (start it: make legacy)"]),
                "recommendation_engine_with_a_rather_long_name": service("/recommendation_engine_with_a_rather_long_name", 1, 1)}
    events = [{"time": now - i, "service": "agent", "kind": "scale", "from": 1 + i, "to": 2 + i, "message": f"{1 + i} -> {2 + i}",
               "reason": "in-flight 9.5/instance > target 4 " * 3} for i in range(5)]
    return {"time": now, "services": services, "events": events, "envoy": {"pid": 4242}, "waiting_for": []}


def _dashboard(new_page: Any, web_url: str, width: int, height: int, status: Any = None) -> Any:
    import json
    import time

    page = new_page(viewport={"width": width, "height": height})
    page.route("**/_puma/status", lambda route: route.fulfill(status=200, content_type="application/json",
                                                             body=json.dumps((status or _status)(time.time()))))
    page.goto(f"{web_url}/dashboard.html?interval=250")
    page.wait_for_selector("article.service[data-service='legacy'] .service-not-ready:not([hidden])")
    return page


NO_SIDEWAYS = """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
  && ![...document.querySelectorAll('main *')].some((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
       && !e.closest('.visually-hidden') && e.getClientRects().length)"""


def test_web_view_dashboard_reflows_at_400_percent_zoom(new_page: Any, web_url: str) -> None:
    """WCAG 1.4.10: at 320 CSS px wide (400 % zoom of 1280 px) nothing scrolls sideways; the first
    service's state is in the first screen and one Tab after the top bar's; each service's
    figures and charts start folded (this page was 27 screens long), open from the service's link,
    and shrink to the width when opened."""
    page = _dashboard(new_page, web_url, 320, 256)
    assert page.evaluate(NO_SIDEWAYS)
    first = page.locator(".index-link").first
    box = first.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 256, box
    assert first.inner_text() == "web: ready (2 of 2)"
    assert "legacy: not ready: the legacy socket server is unreachable (0 of 1 ready)" in page.locator(".index-link").all_inner_texts()
    page.evaluate("() => document.activeElement.blur()")
    for _ in range(4):  # past the skip link and the top bar's link: the first service's state
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('index-link')"):
            break
    assert page.evaluate("document.activeElement.textContent") == "web: ready (2 of 2)"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 10 * 256, f"the page is {height / 256:.1f} screens long at 320x256 (it was 27)"
    assert page.locator(".service-more[open]").count() == 0
    policy = page.locator(".index-link[data-service='policy']")
    policy.focus()
    page.keyboard.press("Enter")  # to its card, opened
    page.wait_for_function("() => document.querySelector(\"article[data-service='policy'] .service-more\").open")
    card = page.locator("article[data-service='policy']").bounding_box()
    assert card and card["y"] < 256 and card["y"] + 40 > 0, card  # its heading in view
    page.wait_for_function("() => document.querySelector(\"article[data-service='policy'] svg.chart-plot path.series\")")
    page.evaluate("() => document.querySelectorAll('.service-more').forEach((d) => { d.open = true; })")
    page.wait_for_timeout(100)
    assert page.evaluate(NO_SIDEWAYS)  # the charts shrink to the width
    widths = page.eval_on_selector_all("svg.chart-plot", "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and max(widths) <= 320 - 2 * 10


@pytest.mark.parametrize(("width", "height"), [(320, 256), (1280, 800)])
def test_web_view_dashboard_links_puma_status_page_saying_what_each_is_for(new_page: Any, web_url: str, width: int,
                                                                         height: int) -> None:
    """The two dashboards link each other: this one says what it is and what the other holds."""
    page = _dashboard(new_page, web_url, width, height)
    link = page.get_by_role("link", name="PUMA's status page")
    assert link.get_attribute("href") == "/_puma/dashboard"
    said = page.locator("main p", has=link).inner_text()
    assert "instances and events" in said and "charts" in said, said
    assert page.get_by_role("link", name="Chat").get_attribute("href") == "/"
    assert page.evaluate(NO_SIDEWAYS)


def _a_while_later(now: float) -> dict[str, Any]:
    """The chatbot's 8 services after a while: 20 events, scaling decisions and instances' long lines."""
    status = _status(now)
    status["services"]["transcripts"] = {**status["services"]["survey"], "prefix": "/transcripts"}
    status["events"] = [{"time": now - 30 + i, "service": ["agent", "legacy", "web"][i % 3],
                         **({"kind": "scale", "from": 2, "to": 3, "message": "2 -> 3", "reason": "in-flight 9.5/instance > target 4"}
                            if i % 4 == 0 else {"message": f"instance {i} up on port {41000 + i} after a warm-up of 4.2 s"})}
                        for i in range(20)]
    return status


@pytest.mark.parametrize(("width", "height"), [(320, 256), (320, 568)])
def test_web_view_dashboard_on_a_narrow_screen_is_under_ten_screens_with_events_folded(
        new_page: Any, web_url: str, width: int, height: int) -> None:
    """README's figure: at 320 px the chatbot's page, after a while, is under 10 screens (it was
    12.3 at 320x256, the events alone 5): the events fold like each service's figures, and open
    from the keyboard; opened once, a poll does not fold them again."""
    page = _dashboard(new_page, web_url, width, height, _a_while_later)
    page.wait_for_selector("#events li", state="attached")
    screens = page.evaluate("document.documentElement.scrollHeight") / 256
    assert screens < 10 and page.evaluate(NO_SIDEWAYS), f"{screens:.1f} screens of 320x256"
    events = page.locator("details", has=page.locator("#events"))
    summary = events.locator("summary")
    assert not events.evaluate("d => d.open") and "The last 15, newest first" in summary.inner_text()
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#events li").first.is_visible()
    page.wait_for_timeout(600)  # two polls at 250 ms
    assert events.evaluate("d => d.open")


def test_web_view_dashboard_wide_shows_every_service_open(new_page: Any, web_url: str) -> None:
    page = _dashboard(new_page, web_url, 1280, 1024)
    assert page.locator(".service-more:not([open])").count() == 0
    assert page.locator("details:has(#events)[open]").count() == 1  # the events too: room enough
    assert page.locator(".index-link").count() == 7
    assert page.evaluate(NO_SIDEWAYS)


def test_web_view_dashboard_says_ready_only_of_an_instance_that_serves(new_page: Any, web_url: str) -> None:
    """"Ready" means its readiness check passes (and Envoy routes to it): an instance that runs but
    is not ready, or not yet checked by Envoy, is "up", never "ready, not ..." (newcomer 61)."""
    import json
    import time

    status = _status(time.time())
    status["services"]["legacy"]["instances"] = [
        {"id": 1, "pid": 41001, "state": "ready", "healthy": True, "rss_mib": 40.0},
        {"id": 2, "pid": 41002, "state": "ready", "healthy": False},
        {"id": 3, "pid": 41003, "state": "ready", "healthy": False, "not_ready": "the legacy server is unreachable"},
        {"id": 4, "pid": 41004, "state": "starting", "healthy": None}]
    page = new_page()
    page.route("**/_puma/status", lambda route: route.fulfill(status=200, content_type="application/json",
                                                             body=json.dumps(status)))
    page.goto(f"{web_url}/dashboard.html?interval=250")
    page.wait_for_selector("article.service[data-service='legacy'] .instance-details li", state="attached")
    lines = page.locator("article[data-service='legacy'] .instance-details li").all_text_contents()
    assert lines == ["#1 (pid 41001): ready, healthy, 40 MiB resident", "#2 (pid 41002): up, not yet healthy",
                     "#3 (pid 41003): up, not ready: the legacy server is unreachable", "#4 (pid 41004): starting"], lines


def test_web_view_dashboard_says_a_degraded_service_and_why_a_count_is_below_its_target(
        new_page: Any, web_url: str) -> None:
    """A service whose store fails every request, and one with fewer ready than wanted, say why in
    words on their cards (the operator's view), not as a bare count."""
    import json
    import time

    status = _status(time.time())
    full = "the chatbot's database (conversations, surveys) is full: instance 1: every request for 40 s answered 507"
    status["services"]["survey"]["degraded"] = full
    status["services"]["agent"].update(ready=7, wanted=8, short=["instance 9: starting (3 s)"])
    page = new_page(viewport={"width": 1280, "height": 900})
    page.route("**/_puma/status", lambda route: route.fulfill(status=200, content_type="application/json",
                                                             body=json.dumps(status)))
    page.goto(f"{web_url}/dashboard.html?interval=250")
    for name in ("survey", "agent"):
        page.wait_for_selector(f"article.service[data-service='{name}'] .service-not-ready:not([hidden])")
    said = {name: page.locator(f"article.service[data-service='{name}'] .service-not-ready").inner_text()
            for name in ("survey", "agent", "policy")}
    assert said["survey"] == f"Degraded: {full}", said
    assert said["agent"] == "Below its count: instance 9: starting (3 s)", said
    assert said["policy"] == "", said
