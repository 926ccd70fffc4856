"""A multipart body's limits are said as what they are (newcomer 43, B3): more parts than a service
reads is a 413 naming the part count and its limit, not "over the body limit"; a field as large as
the body allows is read whole (werkzeug's own 500 kB per field is not a second, hidden body limit)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import puma
from puma.serving import build_app

LIMIT = 1 << 20


def fields(request: puma.Request) -> dict:
    return {"count": len(request.form), "sizes": sorted({len(v) for v in request.form.values()})}


def _multipart(values: list[str], boundary: str = "XyZ") -> tuple[bytes, dict[str, str]]:
    parts = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="k{i}"\r\n\r\n{v}\r\n'.encode()
                     for i, v in enumerate(values))
    return parts + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def client():  # noqa: ANN201
    return build_app("form", fields, prefix="/form", max_body_bytes=LIMIT).test_client()


@pytest.mark.parametrize("count", [1001, 3000, 15_000])
def test_form_too_many_parts_is_a_413_naming_the_parts_and_the_fix(client, count: int) -> None:  # noqa: ANN001
    body, headers = _multipart(["v"] * count)
    assert len(body) < LIMIT  # well under the body limit: the count is what is over
    resp = client.post("/form", data=body, headers=headers)
    error = resp.get_json()["error"]
    assert resp.status_code == 413 and "too many form parts" in error and "1000 fields" in error, error
    assert f"it has {count}" in error and "JSON" in error and str(LIMIT) not in error


@pytest.mark.parametrize(("count", "size"), [(1000, 1), (1, 600_000), (2, 400_000)])
def test_form_within_the_parts_limit_is_read_whole_even_a_field_over_500_kb(client, count: int,  # noqa: ANN001
                                                                            size: int) -> None:
    body, headers = _multipart(["x" * size] * count)
    resp = client.post("/form", data=body, headers=headers)
    assert resp.status_code == 200 and resp.get_json() == {"count": count, "sizes": [size]}, resp.get_data()[:300]


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"form": {"prefix": "/form"}}})
    app.add_services({"form": fields})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_form_parts_limit_through_envoy(mesh: puma.Deployment) -> None:
    body, headers = _multipart(["v"] * 2500, boundary="b0undary")
    resp = httpx.post(mesh.url + "/form", content=body, headers=headers, timeout=30)
    assert resp.status_code == 413 and "too many form parts" in resp.json()["error"], resp.text[:300]
    body, headers = _multipart(["y" * 700_000])
    resp = httpx.post(mesh.url + "/form", content=body, headers=headers, timeout=30)
    assert resp.status_code == 200 and resp.json() == {"count": 1, "sizes": [700_000]}, resp.text[:300]
