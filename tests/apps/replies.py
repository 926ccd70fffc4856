"""Services whose replies a test sizes: a large one (cut off by its timeout when sent too slowly)."""

from __future__ import annotations


def big(n: int) -> str:
    """A JSON string of `n` 'x's (n + 2 bytes)."""
    return "x" * n


def small() -> dict:
    return {"ok": True}
