"""An argument the caller cannot send is named on the caller's side, before anything leaves: the
call (service and method), the parameter, where inside it, and the fix, as a
`puma.PumaArgumentError` (both a TypeError and a ValueError, as `json.dumps` raises either) --
never "returned ...", a bare TypeError or a UnicodeDecodeError. The mesh URL points at a closed
port: a call that got as far as sending would raise PumaCallError instead."""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import dataclass
from typing import Any

import pytest

import puma
from tests.helpers import free_port


@dataclass
class Line:
    sku: str
    note: Any = None


class Shelf:
    def search(self, word: str, limit: int = 10) -> list[str]:
        return [word][:limit]

    def order(self, lines: list[Line]) -> int:
        return len(lines)


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUMA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PUMA_SERVICES", '{"shelf": "/shelf"}')


@pytest.mark.parametrize(("send", "parameter", "where", "why"), [
    (lambda shelf: shelf.search(object()), "word", "", "object, which JSON cannot hold"),
    (lambda shelf: shelf.search(word=threading.Lock()), "word", "", "lock, which JSON cannot hold"),
    (lambda shelf: shelf.search(...), "word", "", "ellipsis, which JSON cannot hold"),
    (lambda shelf: shelf.search("tea", limit=math.nan), "limit", "", "nan, which is not a JSON number"),
    (lambda shelf: shelf.order([Line("a"), Line("b", {"when": object()})]), "lines", "at lines[1], ",
     "Line, which JSON cannot hold"),
], ids=["object", "lock-by-keyword", "ellipsis", "nan", "nested-in-a-dataclass"])
def test_remote_arguments_an_unsendable_argument_names_the_call_parameter_and_path(
        send: Any, parameter: str, where: str, why: str) -> None:
    with pytest.raises(puma.PumaArgumentError) as caught:
        send(puma.remote("shelf", Shelf))
    message = str(caught.value)
    method = "order" if parameter == "lines" else "search"
    assert message.startswith(f"puma.remote('shelf').{method}: argument {parameter!r} cannot be sent: {where}{why}")
    assert "dataclasses, pydantic models" in message  # the fix: what can be sent
    assert "returned" not in message
    assert caught.value.parameter == parameter


def test_remote_arguments_the_error_is_a_type_and_a_value_error_of_pumas_own() -> None:
    with pytest.raises(TypeError):
        puma.remote("shelf", Shelf).search(object())
    with pytest.raises(ValueError, match="not a JSON number"):
        puma.remote("shelf", Shelf).search("tea", limit=math.inf)
    assert issubclass(puma.PumaArgumentError, puma.PumaError)
    assert not issubclass(puma.PumaArgumentError, puma.PumaCallError)


def test_remote_arguments_a_cached_or_unspecified_proxy_names_them_too() -> None:
    with pytest.raises(puma.PumaArgumentError, match=r"puma.remote\('shelf'\).search: argument 'word'"):
        puma.remote("shelf", Shelf, cache=8).search(object())
    with pytest.raises(puma.PumaArgumentError, match=r"puma.remote\('shelf'\).search: argument 'word'"):
        puma.remote("shelf").search(word={"deep": [object()]})


@pytest.mark.parametrize(("payload", "named"), [
    ({"word": object()}, "argument 'word' cannot be sent: object"),
    ({"word": "tea", "extra": {"k": [1, threading.Lock()]}}, "argument 'extra' cannot be sent: at extra.k[1], lock"),
    ({"limit": math.inf}, "argument 'limit' cannot be sent: inf"),
    ([1, object()], "the payload cannot be sent: at $[1], object"),
], ids=["object", "nested-bytes", "infinity", "a-list-payload"])
def test_remote_arguments_puma_call_names_the_call_and_the_field(payload: Any, named: str) -> None:
    with pytest.raises(puma.PumaArgumentError) as caught:
        puma.call("/shelf/search", payload)
    assert str(caught.value).startswith(f"puma.call('/shelf/search'): {named}")
    with pytest.raises(puma.PumaArgumentError, match=r"puma.call\('shelf', path='/search'\)"):
        puma.call("shelf", payload, path="/search")


def test_remote_arguments_the_async_forms_name_them_too() -> None:
    async def both() -> None:
        with pytest.raises(puma.PumaArgumentError, match=r"puma.acall\('/shelf/search'\): argument 'word'"):
            await puma.acall("/shelf/search", {"word": object()})
        with pytest.raises(puma.PumaArgumentError, match=r"puma.aremote\('shelf'\).search: argument 'word'"):
            await puma.aremote("shelf", Shelf).search(object())

    asyncio.run(both())
