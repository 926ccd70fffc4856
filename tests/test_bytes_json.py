"""Binary values inside JSON have one encoding, base64, that both directions decode (newcomer 67
M2: a `bytes` argument that was not UTF-8 could not be sent, and the base64 the error advised
arrived undecoded). A `bytes` parameter decodes base64 text; a reply's bytes inside JSON are
base64; `puma.remote` encodes arguments and rebuilds results the same way; a body whose text is
not base64 is a 400 saying how to send bytes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import puma
from puma.arguments import encoded
from puma.remotes import _adapter
from puma.serving import build_app

SAMPLES = [b"\x00\x01\xffabc", bytes(range(256)), b"", "café".encode("latin-1"), b"\xfb\xff\xbf?>"]


@dataclass
class Scan:
    code: str
    raw: bytes


def digest(data: bytes) -> dict:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def stored(scan: Scan) -> Scan:
    return Scan(scan.code.upper(), scan.raw[::-1])


def flipped(data: bytes) -> bytes:
    return data[::-1]


def pieces(data: bytes) -> dict[str, Any]:
    return {"head": data[:2], "rest": [data[2:]]}


def call(fn: Any, body: Any) -> Any:
    return build_app("lab", fn, max_body_bytes=100_000).test_client().post("/", json=body)


@pytest.mark.parametrize("data", SAMPLES)
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode,
                                    lambda d: base64.b64encode(d).rstrip(b"=")], ids=["standard", "url-safe", "unpadded"])
def test_bytes_json_a_bytes_parameter_decodes_base64(data: bytes, encode: Any) -> None:
    reply = call(digest, {"data": encode(data).decode()})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json() == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("text", ["hello world!", "caf\u00e9", "%%%%"])
def test_bytes_json_text_that_is_not_base64_is_a_400_saying_how_to_send_bytes(text: str) -> None:
    body = call(digest, {"data": text}).get_json()
    assert body["status"] == 400, body
    message = body["problems"][0]["message"]
    assert message.startswith("data: ") and "base64" in message and "base64.b64encode(data).decode()" in message


@pytest.mark.parametrize("data", SAMPLES)
def test_bytes_json_bytes_inside_a_reply_are_base64_and_a_dataclass_round_trips(data: bytes) -> None:
    reply = call(pieces, {"data": base64.b64encode(data).decode()})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    body = reply.get_json()
    assert base64.urlsafe_b64decode(body["head"]) == data[:2]
    assert base64.urlsafe_b64decode(body["rest"][0]) == data[2:]
    reply = call(stored, {"scan": {"code": "a1", "raw": base64.b64encode(data).decode()}})
    adapter = _adapter(Scan)  # what puma.remote rebuilds a `-> Scan` result with
    assert adapter is not None and adapter.validate_python((reply.get_json(),))[0] == Scan("A1", data[::-1])


@pytest.mark.parametrize("data", SAMPLES)
def test_bytes_json_a_caller_sends_any_bytes_as_base64(data: bytes) -> None:
    sent = encoded("puma.remote('lab').digest", {"data": data, "scans": [Scan("x", data)]})
    assert b"cannot be sent" not in sent
    import json

    fields = json.loads(sent)
    assert base64.urlsafe_b64decode(fields["data"]) == data
    assert call(digest, {"data": fields["data"]}).get_json()["size"] == len(data)


def test_bytes_json_through_the_mesh_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    app = puma.App()
    app.add_services({"flipped": f"{__name__}:flipped", "stored": f"{__name__}:stored"})
    with app.start(listener={"port": 0}) as mesh:
        monkeypatch.setenv("PUMA_URL", mesh.url)
        for data in SAMPLES:
            assert puma.remote("flipped", flipped)(data) == data[::-1]
            assert puma.remote("stored", stored)(Scan("b2", data)) == Scan("B2", data[::-1])
        reply = httpx.post(f"{mesh.url}/flipped", json={"data": base64.b64encode(b"\x00\xff").decode()}, timeout=10)
        assert reply.content == b"\xff\x00"
