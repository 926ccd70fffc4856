"""The memory of a `puma.remote(..., cache=N)` proxy: answers by method and arguments, least
recently used out first, each recall a fresh copy (see `puma.remotes`' module doc).

Split from `puma.remotes` (which builds the proxy and makes its calls); `Memo` is re-exported
there, the path it is imported from.
"""

from __future__ import annotations

import copy
import hashlib
import json
import marshal
import math
import threading
from collections import OrderedDict
from typing import Any

from . import arguments
from .sharedcache import SharedAnswers

MISSING = object()  # what `Memo.recall` returns when no answer is remembered


class Memo:
    """A bounded, thread-safe memory of answers by key, least recently used out first: `cache=N`.
    Example: `memo = Memo(2); memo.remember("k", 1); memo.recall("k")` -> 1.

    Each recall is a fresh copy. Answers are kept in the form that copies fastest (`_frozen`): a
    list of plain values as a tuple (a search's 5,000 ids: ~15 us a copy, where `copy.deepcopy`
    took ~900 us), other JSON as its text (decoded per recall: 3-4x faster than `deepcopy`).
    With `shared` (in a deployment: `puma.sharedcache`), what this memory lacks is looked up in
    what the host's other instances were told before the service is asked, and each answer
    given is written there too.
    """

    def __init__(self, max_entries: int, shared: SharedAnswers | None = None) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
            raise ValueError(f"cache: {max_entries!r} is not a number of answers to remember; give a whole "
                             "number >= 0 (0 remembers nothing)")
        self.max_entries = max_entries
        self.shared = shared  # what this host's other instances were told (puma.sharedcache)
        self.hits = self.misses = 0
        self.shared_hits = 0  # of the hits, those another instance had asked for
        self._answers: OrderedDict[bytes, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def recall(self, key: bytes) -> Any:
        """A copy of the answer remembered for `key`, or `MISSING`."""
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self.hits += 1
                self._answers.move_to_end(key)
        if found is not None:
            return _thawed(found)
        answer = self._shared_answer(key)
        if answer is MISSING:
            with self._lock:
                self.misses += 1
            return MISSING
        self._keep(key, _frozen(answer))  # a copy: `answer` is the caller's own
        with self._lock:
            self.hits += 1
            self.shared_hits += 1
        return answer

    def _shared_answer(self, key: bytes) -> Any:
        text = self.shared.get(key) if self.shared is not None else None
        if text is None:
            return MISSING
        try:
            return json.loads(text)
        except ValueError:  # not what `remember` writes: asked again, and written over
            return MISSING

    def remember(self, key: bytes, answer: Any) -> None:
        kept = _frozen(answer)  # a copy: the caller may change its own
        self._keep(key, kept)
        if self.shared is not None:
            try:
                text = json.dumps(answer, allow_nan=False, separators=(",", ":"))
            except (TypeError, ValueError):  # not JSON (an answer rebuilt by hand): this process keeps it alone
                return
            self.shared.put(key, text)

    def _keep(self, key: bytes, kept: tuple[str, Any]) -> None:
        with self._lock:
            self._answers[key] = kept
            while len(self._answers) > self.max_entries:
                self._answers.popitem(last=False)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _frozen(answer: Any) -> tuple[str, Any]:
    """`answer` as `_thawed` copies it fastest: a plain value as it is, a list of plain values as
    a tuple, other JSON as its text, anything else as a deep copy."""
    kind = type(answer)
    if kind in _PLAIN:
        return "plain", answer
    if kind is list and all(type(item) in _PLAIN for item in answer):
        return "list", tuple(answer)
    if _json_only(answer):
        return "json", json.dumps(answer)
    return "object", copy.deepcopy(answer)


def _thawed(kept: tuple[str, Any]) -> Any:
    kind, value = kept
    if kind == "plain":
        return value
    if kind == "list":
        return list(value)
    if kind == "json":
        return json.loads(value)
    return copy.deepcopy(value)


def _json_only(value: Any, depth: int = 0) -> bool:
    """Whether `value` comes back from a JSON round trip equal and with the same types: dicts
    with string keys, lists and plain values (no tuples, NaN or other objects)."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind in _PLAIN:
        return True
    if depth > 100:
        return False
    if kind is list:
        return all(_json_only(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(key) is str and _json_only(item, depth + 1) for key, item in value.items())
    return False


def memo_key(path: str, fields: dict[str, Any], call: str) -> bytes:
    # A digest keeps the memory small whatever the arguments' size (a dialog state, a long text).
    # Flat arguments (no dict in them) are encoded by `marshal`, which writes numbers in binary:
    # a `rank` of 5,000 ids costs ~60-100 us where their JSON text took ~1.1 ms. Other plain JSON
    # is encoded as it is (in C, its dicts' keys sorted); anything else through `to_json` first.
    flat = _flat_bytes(path, fields)
    if flat is not None:
        return hashlib.blake2b(flat, digest_size=16, person=b"puma.marshal").digest()
    try:
        canonical = json.dumps([path, fields], sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        canonical = json.dumps([path, arguments.jsonable(call, fields)], sort_keys=True, separators=(",", ":"),
                               default=repr)
    return hashlib.blake2b(canonical.encode(), digest_size=16).digest()



_FLAT_CONTAINERS = frozenset({list, tuple})


def _flat_bytes(path: str, fields: dict[str, Any]) -> bytes | None:
    """`(path, fields sorted by name)` as `marshal` version 2 writes it, when no field is a dict
    nor a list or tuple starting with one; else None. Version 2 writes each value by its exact
    type and content only (no shared references, no interned strings), so equal arguments give
    equal bytes in every process of one Python, and `True`, `1` and `1.0` differ; it refuses any
    other type (a subclass, an enum) with ValueError. A dict's bytes follow its insertion order,
    so dicts go to the sorted JSON text instead: two equal states built in other orders must not
    be asked for twice. A dict deeper in a list is still written faithfully (a miss, never a
    wrong answer, if its order differs)."""
    for value in fields.values():
        kind = type(value)
        if kind is dict or (kind in _FLAT_CONTAINERS and value and type(value[0]) not in _PLAIN):
            return None
    try:
        return marshal.dumps((path, sorted(fields.items())), 2)
    except ValueError:  # a type marshal does not write: the JSON key, as before
        return None
