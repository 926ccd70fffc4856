"""An exception the remote function raised reaches its caller as the function raised it: its
class's name and its message, then where — the service and the instance (its id, pid and port) —
once, with no "call to service ... failed with HTTP 404:" prefix before the function's words."""

from __future__ import annotations

import traceback

import pytest

import puma
import tests.apps.lending_errors as lending
from puma.errors import PumaCallError

MESSAGES = {"not-on-shelf": ("NotOnShelf", "isbn 978-1 is not on the shelf", 404),
            "expired": ("CardExpired", "card expired on 2024-01-31", 400),
            "withdrawn": ("Withdrawn", "isbn 978-1 was withdrawn", 410),
            "medium": ("WrongMedium", "a vinyl record cannot be lent here", 400),
            "member": ("NoSuchMember", "member 7 is unknown", 404)}


@pytest.fixture(scope="module")
def desk() -> object:
    app = puma.App()
    app.add_services({"desk": "tests.apps.lending_errors:lend"})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _raised(call: object) -> PumaCallError:
    with pytest.raises(PumaCallError) as caught:
        call()  # type: ignore[operator]
    return caught.value


@pytest.mark.parametrize("why", sorted(MESSAGES))
def test_remote_raised_shows_the_function_s_words_then_where_once(desk, why: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUMA_URL", desk.url)
    cls, message, status = MESSAGES[why]
    exc = _raised(lambda: puma.remote("desk", lending.lend)("978-1", why))
    (instance,) = desk.instances("desk")
    text = str(exc)
    assert text.startswith(message + " (raised in service 'desk', instance "), text
    assert f"pid {instance.pid}, port {instance.port}" in text and f"HTTP {status}" in text
    assert text.count("desk") == 1 and "call to service" not in text and "failed with" not in text
    # Python's own report of it names the class once, as for a local raise.
    assert traceback.format_exception_only(exc)[-1].startswith(f"tests.apps.lending_errors.{cls}: {message} (")
    assert isinstance(exc, getattr(lending, cls)) and (exc.raised, exc.status) == (cls, status)


def test_remote_raised_through_puma_call_reads_the_same(desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUMA_URL", desk.url)
    exc = _raised(lambda: puma.call("/desk", {"isbn": "978-1", "why": "expired"}))
    assert str(exc).startswith("card expired on 2024-01-31 (raised in service 'desk', instance ")


@pytest.mark.parametrize("why", ["value-bug", "key-bug", "json-bug"])
def test_remote_raised_bug_names_its_class_and_where_but_keeps_its_text(desk, why: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUMA_URL", desk.url)
    exc = _raised(lambda: puma.remote("desk", lending.lend)("978-1", why))
    text = str(exc)
    assert text.split(":")[0] in ("ValueError", "KeyError", "JSONDecodeError"), text
    assert "raised in service 'desk', instance " in text and "HTTP 500" in text
    assert "secret" not in text and text.count("desk") == 1


@pytest.mark.parametrize(("status", "kind"), [(404, puma.PumaNotFound), (400, puma.PumaBadRequest),
                                              (409, puma.PumaClientError)])
def test_remote_raised_without_the_class_here_names_it_first(status: int, kind: type) -> None:
    exc = PumaCallError.of("desk", status, "isbn 7 is out", raised="OnLoan",
                           raised_at="service 'desk', instance 2 (pid 99, port 4100)",
                           error_class="a_module_not_imported_here:OnLoan")
    assert isinstance(exc, kind)
    assert str(exc) == f"OnLoan: isbn 7 is out (raised in service 'desk', instance 2 (pid 99, port 4100); HTTP {status})"


def test_remote_raised_leaves_puma_s_own_refusals_as_they_were() -> None:
    exc = PumaCallError.of("desk", 400, "lend(isbn: str, why: str): why: missing")
    assert str(exc) == "call to service 'desk' failed with HTTP 400: lend(isbn: str, why: str): why: missing"
