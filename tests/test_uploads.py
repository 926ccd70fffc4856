"""File uploads reach services (newcomer 67 S1): a multipart/form-data body with file parts — what a
browser's `<input type=file>` and `curl -F f=@file` send — binds a file part to a `bytes`
parameter (its bytes as sent), a `puma.Upload` one (with its filename and type) or a text
parameter (its UTF-8 text), and a handler of the whole request finds it in `request.files`.
Limits still apply, and every refusal names the field.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import httpx
import pytest

import puma
from puma.arguments import encoded
from puma.serving import build_app

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def checksum(label: str, scan: bytes) -> dict:
    return {"label": label, "size": len(scan), "sha256": hashlib.sha256(scan).hexdigest()}


def keep(photo: puma.Upload, caption: str = "") -> dict:
    return {"filename": photo.filename, "type": photo.content_type, "size": len(photo.data), "caption": caption}


def album(pages: list[bytes]) -> list[int]:
    return [len(p) for p in pages]


def notes(text: str, copies: int = 1) -> str:
    return text * copies


def two_scans(front: bytes, back: bytes) -> int:
    return len(front) + len(back)


def maybe(scan: bytes | None = None) -> int:
    return -1 if scan is None else len(scan)


def inbox(request: puma.Request) -> dict:
    listed = {name: f if isinstance(f, list) else [f] for name, f in request.files.items()}
    return {"fields": request.form, "files": {n: [(u.filename, len(u.data)) for u in us] for n, us in listed.items()}}


def post(fn: Any, data: dict[str, Any], *, limit: int = 100_000) -> Any:
    client = build_app("desk", fn, max_body_bytes=limit).test_client()
    return client.post("/", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("content", [PNG, b"", b"plain words", bytes(range(256)) * 3])
def test_uploads_a_bytes_parameter_takes_the_file_part_as_sent(content: bytes) -> None:
    reply = post(checksum, {"label": "A1", "scan": (io.BytesIO(content), "scan.bin")})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json() == {"label": "A1", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}


def test_uploads_a_puma_upload_parameter_keeps_the_filename_and_type() -> None:
    reply = post(keep, {"photo": (io.BytesIO(PNG), "holiday.png", "image/png"), "caption": "sea"})
    assert reply.get_json() == {"filename": "holiday.png", "type": "image/png", "size": len(PNG), "caption": "sea"}


def test_uploads_several_files_under_one_name_fill_a_list() -> None:
    reply = post(album, {"pages": [(io.BytesIO(b"one"), "1.txt"), (io.BytesIO(b"three"), "3.txt")]})
    assert reply.get_json() == [3, 5]
    assert post(album, {"pages": (io.BytesIO(b"alone"), "1.txt")}).get_json() == [5]


def test_uploads_a_text_parameter_takes_a_text_file_and_an_optional_one_may_be_left_out() -> None:
    reply = post(notes, {"text": (io.BytesIO("tea, café\n".encode()), "list.txt"), "copies": "2"})
    assert reply.get_json() == "tea, café\ntea, café\n"
    assert post(maybe, {"scan": (io.BytesIO(b"\x00\x01"), "a.bin")}).get_json() == 2
    assert post(maybe, {"other": "x"}).status_code == 400  # unknown field, named


def test_uploads_a_handler_of_the_whole_request_sees_the_files() -> None:
    reply = post(inbox, {"who": "lab", "file": (io.BytesIO(PNG), "scan.png"),
                         "more": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"bc"), "b.txt")]})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json() == {"fields": {"who": "lab"},
                                "files": {"file": [["scan.png", len(PNG)]], "more": [["a.txt", 1], ["b.txt", 2]]}}


@pytest.mark.parametrize(("fn", "data", "field", "needle"), [
    (notes, {"text": (io.BytesIO(b"\xff\xfe\x00"), "blob.bin")}, "text", "text: bytes"),
    (checksum, {"scan": (io.BytesIO(b"x"), "x.bin")}, "label", "missing"),
    (checksum, {"label": "A", "scan": (io.BytesIO(b"x"), "x.bin"), "scam": (io.BytesIO(b"y"), "y.bin")}, "scam",
     "is not a parameter"),
    (keep, {"photo": "not a file"}, "photo", "expected Upload"),
])
def test_uploads_a_part_that_does_not_fit_is_a_400_naming_its_field(fn: Any, data: dict[str, Any], field: str,
                                                                    needle: str) -> None:
    reply = post(fn, data)
    body = reply.get_json()
    assert reply.status_code == 400, body
    problem = next(p for p in body["problems"] if p["parameter"] == field)
    assert needle in problem["message"], problem


def test_uploads_the_body_limit_still_applies_to_files() -> None:
    reply = post(checksum, {"label": "A", "scan": (io.BytesIO(b"x" * 5_000), "big.bin")}, limit=1_000)
    assert reply.status_code == 413 and "max_body_bytes" in reply.get_json()["error"]


@pytest.mark.parametrize("upload", [puma.Upload("a.png", PNG, "image/png"), puma.Upload("empty.txt", b""),
                                    puma.Upload("n\u00e9.bin", bytes(range(256)))])
def test_uploads_a_caller_sends_an_upload_as_json_and_it_binds_alike(upload: puma.Upload) -> None:
    body = json.loads(encoded("puma.remote('desk').keep", {"photo": upload}))
    reply = build_app("desk", keep, max_body_bytes=100_000).test_client().post("/", json=body)
    assert reply.get_json() == {"filename": upload.filename, "type": upload.content_type, "size": len(upload.data),
                                "caption": ""}


def test_uploads_through_envoy_as_a_browser_sends_them() -> None:
    app = puma.App()
    app.add_services({"checksum": f"{__name__}:checksum", "inbox": f"{__name__}:inbox"})
    with app.start(listener={"port": 0}) as mesh:
        reply = httpx.post(f"{mesh.url}/checksum", data={"label": "B7"}, files={"scan": ("scan.png", PNG, "image/png")},
                           timeout=10)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"label": "B7", "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}
        reply = httpx.post(f"{mesh.url}/inbox", files={"file": ("a.bin", b"\x00" * 70_000)}, timeout=10)
        assert reply.json()["files"] == {"file": [["a.bin", 70_000]]}, reply.text


# A browser's form with a file input left empty sends the part with filename="" and nothing in it
# (the HTML form encoding): no file was chosen, which is not a file of 0 bytes (newcomer 69 M2).


def no_file_chosen() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b""), ""


@pytest.mark.parametrize(("fn", "data", "status", "said"), [
    (checksum, {"label": "A1", "scan": no_file_chosen()}, 400, "scan"),
    (keep, {"photo": no_file_chosen(), "caption": "my cat"}, 400, "photo"),
    (maybe, {"scan": no_file_chosen()}, 200, -1),
    (album, {"pages": no_file_chosen()}, 400, "pages"),
], ids=["bytes-required", "upload-required", "optional-keeps-default", "list-required"])
def test_uploads_a_file_input_left_empty_is_no_file_not_an_empty_one(fn: Any, data: dict[str, Any], status: int,
                                                                     said: Any) -> None:
    reply = post(fn, data)
    assert reply.status_code == status, reply.get_data(as_text=True)
    body = reply.get_json()
    if status == 200:
        assert body == said
    else:
        assert f"{said}: the file field was sent empty (no file chosen" in body["error"], body
        assert f"choose a file for it in the form, or send one as a file part (curl -F {said}=@FILE)" in body["error"]
        assert body["problems"][0]["parameter"] == said and body["problems"][0]["value"] is None, body


@pytest.mark.parametrize(("fn", "data", "sent_empty", "missing"), [
    (checksum, {"scan": no_file_chosen()}, ["scan"], ["label"]),              # beside a text field not sent
    (checksum, {"label": "A1", "scan": no_file_chosen(), "colour": "red"}, ["scan"], []),  # beside an unknown one
    (keep, {"photo": no_file_chosen(), "caption": "hi"}, ["photo"], []),
    (two_scans, {"front": no_file_chosen(), "back": no_file_chosen()}, ["front", "back"], []),
], ids=["with-a-missing-field", "with-an-unknown-field", "upload", "two-inputs-empty"])
def test_uploads_an_empty_file_input_is_told_apart_from_a_field_never_sent(
        fn: Any, data: dict[str, Any], sent_empty: list[str], missing: list[str]) -> None:
    reply = post(fn, data)
    assert reply.status_code == 400, reply.get_data(as_text=True)
    said = reply.get_json()["error"]
    for name in sent_empty:
        assert f"{name}: the file field was sent empty (no file chosen" in said and f"{name}: missing" not in said, said
    for name in missing:
        assert f"{name}: missing" in said, said


def test_uploads_an_empty_file_input_sent_with_a_file_of_the_same_name_is_that_file() -> None:
    reply = post(album, {"pages": [no_file_chosen(), (io.BytesIO(PNG), "p1.png")]})
    assert reply.status_code == 200 and reply.get_json() == [len(PNG)], reply.get_data(as_text=True)


def test_uploads_a_handler_does_not_find_a_file_input_left_empty() -> None:
    reply = post(inbox, {"note": "hello", "photo": no_file_chosen(), "scan": (io.BytesIO(b""), "empty.txt")})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["files"] == {"scan": [["empty.txt", 0]]}  # a chosen empty file stays


@pytest.mark.parametrize(("fn", "field", "expected"), [
    (checksum, "scan", "list[bytes]"),
    (keep, "photo", "list[Upload]"),
])
@pytest.mark.parametrize("count", [2, 3])
def test_uploads_several_files_for_one_file_parameter_say_it_takes_one_or_a_list(
        fn: Any, field: str, expected: str, count: int) -> None:
    files = [(io.BytesIO(PNG), f"shot{i}.png") for i in range(count)]
    reply = post(fn, {"label": "A1", field: files})
    assert reply.status_code == 400, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert f"given {count} files" in error and expected in error, error
    assert "curl -F name=@FILE" not in error  # not the advice to send what was sent


def test_uploads_a_plain_field_for_an_upload_parameter_says_to_send_a_file_part() -> None:
    reply = post(keep, {"photo": "name,year", "caption": "c"})
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert "curl -F photo=@FILE" in reply.get_json()["error"], reply.get_json()
