"""A module that lists its services in `__all__` (tests/test_discovery.py)."""

from __future__ import annotations


def shown(n: int) -> int:
    return n


def not_listed(n: int) -> int:
    return n


__all__ = ["shown"]
