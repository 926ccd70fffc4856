"""The fitted recommender, cached on disk, keyed by what it was fitted from.

Fitting takes about 2 s of CPU (reading 100,000 ratings, TruncatedSVD, TF-IDF) plus ~1 s to
import pandas and scikit-learn, and every process that recommends (the db service's zygote,
the legacy server, ``chatbot chat``) used to pay it at each start. The result depends only on:

- the database's data: the ``dataset_loads`` record that ``chatbot db load`` writes with each
  load (data versions, row count, load time; a reload, ``--force`` included, changes it),
- the model's ``Params``, and the code that fits it (``recommender.py``, ``catalog.py``),
- the versions of numpy, scipy and scikit-learn;

so the arrays are stored under a hash of all of these, as a ``.npz`` file read with
``allow_pickle=False`` (plain arrays; nothing in it is executed). The cache lives beside a
SQLite database (``var/cache/`` for the default one), else in ``settings.cache_dir()``; files
are replaced atomically, so processes starting together are safe; a file that cannot be read
is fitted again and rewritten. Editing the film or rating tables by hand, without a load, is
not seen: run ``chatbot db load --force`` after such a change. Example::

    model = Recommender.load(url)      # goes through recommender(url, params, fit) below
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)

FORMAT = 1
KEEP_FILES = 4  # per cache directory: a few databases (tests, PostgreSQL and SQLite) side by side
_HERE = Path(__file__).resolve().parent
_CODE = ("recommender.py", "catalog.py")


class Model(Protocol):
    """A fitted model that is plain arrays (``chatbot.recommender.Recommender``)."""

    def to_arrays(self) -> dict[str, np.ndarray]: ...


M = TypeVar("M", bound=Model)


def recommender(url: str | None, params: DataclassInstance, fit: Callable[[], M],
                read: Callable[[dict[str, np.ndarray]], M]) -> M:
    """The model ``fit()`` would return for the database at ``url``, from the cache if there
    (``read(arrays)`` rebuilds it from what ``model.to_arrays()`` stored)."""
    path = cache_path(url, params)
    if path is not None and path.exists():
        started = time.perf_counter()
        try:
            with np.load(path, allow_pickle=False) as arrays:
                model = read({k: arrays[k] for k in arrays.files})
            log.info("recommender read from %s in %.2f s", path, time.perf_counter() - started)
            return model
        except (OSError, ValueError, KeyError) as error:
            log.warning("recommender cache %s unreadable (%s); fitting again", path, error)
    model = fit()
    if path is not None:
        _save(path, model)
    return model


def cache_path(url: str | None, params: DataclassInstance) -> Path | None:
    """Where the model fitted from ``url``'s current data with ``params`` is cached; None when
    the database has no record of a load (nothing to key on: never cached)."""
    from sqlalchemy.engine import make_url

    from chatbot.settings import cache_dir, database_url

    url = url or database_url()
    record = _load_record(url)
    if record is None:
        return None
    parsed = make_url(url)
    where = (Path(parsed.database).resolve().parent / "cache"
             if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
             else cache_dir())
    key = {"format": FORMAT, "url": parsed.render_as_string(hide_password=True), "load": record,
           "params": dataclasses.asdict(params), "code": _code_digest(), "libraries": _libraries()}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return where / f"recommender-{digest}.npz"


def _load_record(url: str) -> list[str] | None:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from chatbot.db.engine import make_engine
    from chatbot.db.models import DatasetLoad

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(DatasetLoad.name, DatasetLoad.version, DatasetLoad.rows,
                                      DatasetLoad.loaded_at).order_by(DatasetLoad.name)).first()
    except SQLAlchemyError:
        return None  # not prepared: the fit itself will say so
    finally:
        engine.dispose()
    return None if row is None else [str(value) for value in row]


def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((_HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def _libraries() -> dict[str, str]:
    found = {}
    for name in ("numpy", "scipy", "scikit-learn"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "none"
    return found


def _save(path: Path, model: Model) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = model.to_arrays()  # Any: numpy's stub types savez's keywords as its options
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError as error:
        log.warning("recommender not cached at %s: %s", path, error)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return
    log.info("recommender cached at %s", path)
    _prune(path.parent, keep=path)


def _prune(directory: Path, keep: Path) -> None:
    older = sorted((p for p in directory.glob("recommender-*.npz") if p != keep), key=_mtime, reverse=True)
    for stale in older[KEEP_FILES - 1:]:
        stale.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by another process pruning at the same time
        return 0.0
