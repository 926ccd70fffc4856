"""The one JSON decoder of request bodies and the one encoder of replies (puma/codec.py)."""

from __future__ import annotations

import json

import pytest

from puma.codec import MAX_DEPTH, JSONBodyError, NonFiniteNumberError, decode_json, encode_json


@pytest.mark.parametrize(("body", "needle"), [
    (b"[" * 20_000 + b"]" * 20_000, "nested deeper"),          # RecursionError in json
    (b'{"a": ' * 5_000 + b"1" + b"}" * 5_000, "nested deeper"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested deeper"),  # parses, but too deep to use
    (b'{"n": ' + b"7" * 5_000 + b"}", "more digits"),           # CPython's int-string limit
    (b'{"turn_no": 1e999}', "out of range"),                     # float('inf') in disguise
    (b"[-2.5E+400]", "out of range"),
    (b"[" + b"9" * 400 + b".0]", "out of range"),
    (b'{"x": Infinity}', "Infinity is not a JSON number"),
    (b"[-Infinity]", "-Infinity is not a JSON number"),
    (b'{"x": NaN}', "NaN is not a JSON number"),
    (b'{"x": "\xff\xfe\xfd"}', "not UTF-8"),
    (b'{"x": ', "Expecting value"),
    (b"", "Expecting value"),
])
def test_decode_json_refuses_every_kind_of_bad_body_with_one_error(body, needle):
    with pytest.raises(JSONBodyError, match=needle) as caught:
        decode_json(body)
    assert isinstance(caught.value, ValueError)  # callers may catch either


@pytest.mark.parametrize("body", [
    b"[" * MAX_DEPTH + b"]" * MAX_DEPTH,
    b'{"n": ' + b"7" * 4_000 + b"}",
    b"[1.7976931348623157e308, -1e-400, 0.5e+300]",
    b'{"text": "caf\xc3\xa9 \\ud800"}',       # a lone surrogate escape is JSON; stores replace it
    "\ufeff{\"bom\": true}".encode(),           # UTF-8 with a byte-order mark
    json.dumps({"u": "utf-16"}).encode("utf-16"),
    b'{"text": "e1000 is a word, not a number"}',
])
def test_decode_json_accepts_what_is_valid(body):
    assert decode_json(body) == json.loads(body)


def test_encode_json_refuses_non_finite_numbers_naming_where():
    for value in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(NonFiniteNumberError, match=r"\$\.results\[2\]\.score") as caught:
            encode_json({"results": [1, 2, {"score": value}]})
        assert isinstance(caught.value, ValueError)


def test_encode_json_is_json_dumps_for_finite_values():
    value = {"a": [1, 2.5, None, "x\u00e9"], "b": {"c": True}}
    assert encode_json(value) == json.dumps(value)
    with pytest.raises(TypeError):
        encode_json({"a": {1, 2}})


def test_encode_json_sends_a_lone_surrogate_as_the_replacement_character():
    text = encode_json({"name": "Ada\ud800", "emoji": "\U0001f600", "key\udfff": ["\udc00"]})
    assert json.loads(text) == {"name": "Ada\ufffd", "emoji": "\U0001f600", "key\ufffd": ["\ufffd"]}
    text.encode("ascii")  # still pure ASCII, as json.dumps writes it
