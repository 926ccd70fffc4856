"""Exceptions the application defined, told from the interpreter's, on both sides of a call.

A `LookupError`, `ValueError` or `TypeError` the interpreter raises from a bug (`{}["x"]`,
`int("x")`) must not look like the client's fault; a class the app wrote for the purpose
(`class NotOnShelf(LookupError)`, `class Expired(ValueError)`) is the app saying something to its
caller. A service answers the app's classes 404 (`LookupError`) or 400 (`ValueError`,
`TypeError`) with their message and the class's name (`error_class`, `"module:qualname"`); a
class's integer `status_code` wins over either. Builtins, the standard library's classes, the
installed libraries' (site-packages) and PUMA's own stay a 500 with their text kept back.

A class is the app's when its module was loaded from a file outside the standard library and
site-packages, or from the package of a service PUMA serves (`note_app_module`: an app installed
into site-packages still counts).

On the caller's side, `error_class` names the class again: when the caller has that module
imported already (never imported because a reply named it), the error raised is both the
`PumaClientError` subclass for the status and the app's class, so `except NotOnShelf` and
`except puma.PumaNotFound` both catch it.

>>> class Expired(ValueError): ...
>>> answer_status(Expired("the offer ended"))
400
"""

from __future__ import annotations

import functools
import site
import sys
import sysconfig
from pathlib import Path
from typing import Any

_STATUS_BY_BASE: tuple[tuple[type[BaseException], int], ...] = ((LookupError, 404), (ValueError, 400),
                                                                (TypeError, 400))
_FRAMEWORK = ("puma",)
FILE_MODULE_PREFIX = "puma_app_"  # how puma.targets names an app file it loads by path
_app_packages: set[str] = set()
_known: dict[type, bool] = {}  # class -> app-defined, found once
_combinations: dict[tuple[type, type], type[BaseException]] = {}


def note_app_module(module: str | None) -> None:
    """Count the package of `module` (a served target's) as the app's, wherever it is installed."""
    if module and module.split(".")[0] not in _FRAMEWORK and module != "builtins":
        _app_packages.add(module.split(".")[0])
        _known.clear()


def class_name(cls: type) -> str:
    """`module:qualname`, e.g. `"lending:NotOnShelf"`, as the caller imports the module: a class of an
    app file PUMA loaded by path (`puma run shop.py` loads it as `puma_app_shop`) is `"shop:..."`,
    the name its callers import it by (`import shop`)."""
    return f"{importable_module(cls.__module__)}:{cls.__qualname__}"


def importable_module(module: str) -> str:
    """The name a caller imports `module` by: `"shop"` for `"puma_app_shop"` (see `class_name`)."""
    return module.removeprefix(FILE_MODULE_PREFIX) or module


def answer_status(exc: BaseException) -> int | None:
    """404 or 400 for an app-defined `LookupError`, `ValueError` or `TypeError` (its first such base
    in method resolution order); None for anything else."""
    cls = type(exc)
    if not app_defined(cls):
        return None
    for base in cls.__mro__:
        for kind, status in _STATUS_BY_BASE:
            if base is kind:
                return status
    return None


def said_status(exc: BaseException) -> int | None:
    """The status an exception says it answers: its integer `status_code` (400-599), else 404/400
    for an app's own `LookupError`/`ValueError`/`TypeError`; None for a bug (a 500)."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599:
        return status
    return answer_status(exc)


def message_of(exc: BaseException) -> str:
    """The text an app's error says: a `KeyError`'s key without the quotes `str()` adds; the class's
    name when it says nothing."""
    if type(exc).__str__ is KeyError.__str__ and len(exc.args) == 1 and isinstance(exc.args[0], str):
        text = exc.args[0]
    else:
        try:
            text = str(exc)
        except Exception:  # noqa: BLE001 - an app's __str__ that fails: its name still says something
            text = ""
    return text or type(exc).__name__


def app_defined(cls: type) -> bool:
    """Whether exception class `cls` was written by the application (see the module doc)."""
    found = _known.get(cls)
    if found is None:
        found = _known[cls] = _defined_by_app(cls)
    return found


def _defined_by_app(cls: type) -> bool:
    module = cls.__module__ or ""
    top = module.split(".")[0]
    if top in _FRAMEWORK or module == "builtins":
        return False
    if top in _app_packages or module == "__main__":
        return True
    file = getattr(sys.modules.get(module), "__file__", None)
    if not file:  # built in, frozen, or gone
        return False
    path = Path(file).resolve()
    return not any(root in path.parents for root in _library_roots())


def raised_in_app(exc: BaseException) -> str | None:
    """``file:line`` where `exc` was raised, when that is the application's own code (not the
    standard library's, an installed library's or PUMA's); None otherwise."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return None
    path = Path(tb.tb_frame.f_code.co_filename)
    return f"{path.name}:{tb.tb_lineno}" if _app_file(path) else None


def _app_file(path: Path) -> bool:
    if not path.is_absolute() or not path.exists():
        return False
    path = path.resolve()
    return not any(root in path.parents for root in (*_library_roots(), Path(__file__).resolve().parent))


def library_roots() -> tuple[Path, ...]:
    """The standard library's and installed libraries' directories (resolved)."""
    return _library_roots()


@functools.cache
def _library_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    found = [paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        found += [*site.getsitepackages(), site.getusersitepackages()]
    except AttributeError:  # an interpreter without them (some virtualenvs)
        pass
    return tuple({Path(p).resolve() for p in found if p})


def rebuilt(kind: type[BaseException], name: object) -> type[BaseException]:
    """The class a caller raises for a reply naming app class `name` (`module:qualname`): `kind`
    combined with that class when this process has its module imported and it is an app-defined
    exception; else `kind` itself. Nothing is imported because of a reply."""
    found = _resolved(name) if isinstance(name, str) else None
    if found is None or issubclass(kind, found):
        return kind
    return _combined(kind, found)


def _resolved(name: str) -> type[BaseException] | None:
    module_name, sep, qualname = name.partition(":")
    for module in _modules_named(module_name) if sep else ():
        value: Any = module
        for part in qualname.split("."):
            value = getattr(value, part, None)
        if isinstance(value, type) and issubclass(value, Exception) and app_defined(value):
            return value
    return None


def _modules_named(name: str) -> list[Any]:
    """The modules of this process that `name` (the service's) may be: itself; for an app file PUMA
    loaded by path (`puma run shop.py` loads it as `puma_app_shop`, see `puma.targets`; replies name
    it `shop`), the same file loaded so here, imported here as `shop`, or run here as the script."""
    stem = importable_module(name)
    main = sys.modules.get("__main__")
    found = [sys.modules.get(name), sys.modules.get(stem), sys.modules.get(FILE_MODULE_PREFIX + stem),
             main if Path(getattr(main, "__file__", None) or "").stem == stem else None]
    return list({id(m): m for m in found if m is not None}.values())


def _combined(kind: type[BaseException], found: type[BaseException]) -> type[BaseException]:
    combined = _combinations.get((kind, found))
    if combined is None:
        combined = _combinations[(kind, found)] = _combine(kind, found)
    return combined


def _combine(kind: type[BaseException], found: type[BaseException]) -> type[BaseException]:
    try:
        # The message is PUMA's (`BaseException.__str__` of its args): the app's own __init__ and
        # __str__ expect attributes a rebuilt error does not have.
        return type(found.__name__, (kind, found), {"__str__": BaseException.__str__, "__module__": found.__module__,
                                                    "__qualname__": found.__qualname__})
    except Exception:  # noqa: BLE001 - layouts that cannot be combined (an OSError subclass), a refusing
        return kind    # __init_subclass__: PUMA's class alone, which still carries the name


__all__ = ["answer_status", "app_defined", "class_name", "message_of", "note_app_module", "rebuilt", "said_status"]
