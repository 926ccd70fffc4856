"""The functions the map benchmark distributes; importable, so workers load them by path."""

from __future__ import annotations


def factorial(n: int) -> int:
    """The paper's iterative factorial (Figure 7's workload)."""
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


def factorial_sum(task: tuple[int, int]) -> int:
    """`(k, count)` -> the sum of `count` factorial(k): one process's share of the forked-sums series."""
    k, count = task
    return sum(factorial(k) for _ in range(count))
