"""Services named by a module: its public functions together as one service, each class with
methods as its own.

`puma_service("shop.parts")` (or `puma_service(__name__)` in the app's own script, or a module
object) serves what the module defines:

* its public functions **together**, as one service named after the module (`parts`), each at
  `POST /parts/<function>` as an object's methods are (`puma.modulefunctions`): one zygote, one
  import and one instance process for the lot. A function named in `puma_services` (to give it
  its own `instances`, `autoscale`...) is its own service at `/<function>`, and config
  `"module_functions": "apart"` makes every function its own service, as before;
* each public class it defines that has a public method or `__call__` and can be built without
  arguments, at `/<its name in snake case>`;
* a module with `__all__` serves exactly the names listed there (each must be a function, or a
  class that can be built without arguments: else a `PumaConfigError` naming it);
* a public function taking `*args` is a `PumaConfigError` naming it and the fix (a list, or a
  leading `_` for a helper), never left out in silence; so is a function (or a served class's
  method) with a parameter no request can carry: a `Callable`, a file, a lock, an object of a
  class JSON cannot build (`puma.signatures.unsendable_parameter`).

Data classes with no methods (a `Film` dataclass that a method returns), classes that need
arguments (a warning names each, with the factory to write), exceptions, enums, pydantic models and `typing.Protocol`s are types, not services, and
are left out, as is a function named `main` (a monolith's entry point, which starts its own
server). Name a helper with a leading `_` to keep it out, or list `__all__`. A factory
(`"mod:make_db()"`) is never guessed: name it in a dict. Example::

    discover("examples.parts_app").services()  # {"catalogue": "...:Catalogue", "parts_app": "examples.parts_app:*"}
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
import logging
import re
import sys
import types
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from . import targets, warmup
from .endpoints import has_methods
from .errors import PumaConfigError
from .modulefunctions import ALL_FUNCTIONS, ENTRY_POINT, defined_function, group_name, star_args
from .signatures import unsendable_parameter

log = logging.getLogger(__name__)

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class ModuleServices:
    """What a named module serves: its functions (name -> import path), served together unless
    told apart, and its classes (service name -> import path), each its own service."""

    module: str  # the module part of its import paths: "shop.parts", or "/abs/app.py" for a script
    functions: dict[str, str]
    classes: dict[str, str]

    @property
    def group(self) -> str:
        """The service name of the functions served together: "parts" for "shop.parts"."""
        return group_name(self.module)

    def services(self, *, apart: bool = False, own: Collection[str] = ()) -> dict[str, str]:
        """Service name -> target: the functions together (or each its own with `apart`, and those
        named in `own`, which config names as services), then the classes.
        Example: ``discover("shop.parts").services()`` -> ``{"parts": "shop.parts:*", "cart": ...}``."""
        split = {n: p for n, p in self.functions.items() if apart or (n in own and n != self.group)}
        together = [n for n in self.functions if n not in split]
        grouped = {self.group: f"{self.module}:{ALL_FUNCTIONS}"} if together else {}
        clash = sorted(set(grouped) & (set(self.classes) | set(split)))
        if clash:
            raise PumaConfigError([(f"puma_service({self.module!r})", f"its functions would be served together as "
                                    f"{clash[0]!r}, the name of one of its classes or functions too; rename one, "
                                    "set \"module_functions\": \"apart\" in puma_config, or name the services in "
                                    "a dict")])
        return {**grouped, **split, **self.classes}


def discover(module: str | types.ModuleType) -> ModuleServices:
    """What `module` (a name or a module object) serves, its functions and classes apart; see the
    module doc. `PumaConfigError` when it cannot be imported, serves nothing, or names clash."""
    found = _module(module)
    every = services_of(found)
    functions = {n: p for n, p in every.items() if inspect.isfunction(_attribute(found, p))}
    classes = {n: p for n, p in every.items() if n not in functions}
    module_part = next(iter(functions.values())).rpartition(":")[0] if functions else found.__name__
    return ModuleServices(module_part, functions, classes)


def _attribute(module: types.ModuleType, path: str) -> Any:
    return getattr(module, path.rpartition(":")[2].partition(".")[0], None)


def services_of(module: str | types.ModuleType) -> dict[str, str]:
    """Service name -> import path for what `module` (a name or a module object) serves, each
    function its own service (`"module_functions": "apart"`); see the module doc.
    `PumaConfigError` when it cannot be imported, serves nothing, or names clash."""
    found = _module(module)
    listed = getattr(found, "__all__", None)
    members: list[tuple[str, Any]] = [(name, getattr(found, name, None)) for name in listed] if listed is not None else \
        [(name, value) for name, value in vars(found).items() if _defined_here(name, value, found)]
    services: dict[str, str] = {}
    for attr, value in members:
        where = f"puma_service({found.__name__!r}).{attr}"
        star = star_args(value)
        if star:  # refused here, before anything starts: skipped, its calls would be 404s saying nothing of why
            keep_out = "take it out of __all__" if listed is not None else \
                f"if it is a helper, not a service, name it _{attr} (or list what the module serves in __all__)"
            raise PumaConfigError([(where, f"function {attr!r} takes *{star}, which a request cannot give (its "
                                           f"fields have names, not positions); to serve it, take a list "
                                           f"({star}: list[...]); {keep_out}")])
        if _servable(value) and (why := unsendable(value)):  # refused here too, as *args is
            raise PumaConfigError([(where, why)])
        if listed is not None and not _servable(value):
            raise PumaConfigError([(where, f"{type(value).__name__} {attr!r} is in __all__ but is not a function or a "
                                           "class built without arguments; take it out of __all__, or name its "
                                           "factory: puma_service({'name': 'module:make_it()'})")])
        if listed is None and not _servable(value):
            if _needs_arguments(value):  # a part that needs a factory, or a type: said where `python app.py` shows it
                log.warning("puma_service(%r): %s is not served: it is a class with methods that cannot be built "
                            "without arguments, so /%s answers 404; to serve it, name a factory: puma_service({%r: "
                            "'module:make_it()'}); if it is a type, not a service, name it _%s or list what the "
                            "module serves in __all__", found.__name__, attr, service_name(value),
                            service_name(value), attr)
            continue
        name = service_name(value)
        if name in services:
            raise PumaConfigError([(where, f"two of its members would both be served as {name!r}; rename one, "
                                           "or name the services in a dict")])
        services[name] = targets.import_path(value, where=where)
    if not services:
        raise PumaConfigError([(f"puma_service({found.__name__!r})", "the module defines no public function or "
                                "class with methods to serve (yet: call puma_service after the definitions); "
                                "define one, or name the services in a dict")])
    return services


def names_of(module: str | types.ModuleType) -> set[str]:
    """The service names `module` could serve (its group's, its public functions' and classes'),
    for a module `discover` refused: a config naming one of them is not also "no function
    registered" (the refusal says what is wrong). Never raises; empty when it cannot be read."""
    found = module if isinstance(module, types.ModuleType) else sys.modules.get(module)
    if found is None:
        return {group_name(module)} if isinstance(module, str) and ":" not in module else set()
    file = getattr(found, "__file__", None)
    names = {group_name(file if found.__name__ == "__main__" and file else found.__name__)}
    for attr, value in list(vars(found).items()):
        if not attr.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value)):
            names.add(service_name(value))
    return names


def service_name(value: Any) -> str:
    """A function's name as it is; a class's in snake case: `LocalDb` -> "local_db"."""
    name: str = value.__name__
    return _WORD_BOUNDARY.sub("_", name).lower() if inspect.isclass(value) else name


def _module(module: str | types.ModuleType) -> types.ModuleType:
    if isinstance(module, types.ModuleType):
        return module
    where = f"puma_service({module!r})"
    if ":" in module:
        name = module.rpartition(":")[2].removesuffix("()") or "name"
        raise PumaConfigError([(where, f"{module!r} is an import path, not a module; name the service it "
                                       f"serves in a dict: puma_service({{{name!r}: {module!r}}})")])
    if module.endswith(".py"):
        name = module.removesuffix(".py").replace("\\", "/").rsplit("/", 1)[-1]
        raise PumaConfigError([(where, f"{module!r} is a file; give its module's import name, e.g. {name!r} for a "
                                       "file beside the app script (its directory is importable)")])
    loaded = sys.modules.get(module)  # the app's own script, run as __main__, is already there
    if loaded is not None:
        return loaded
    try:
        with warmup.announced(f"puma_service({module!r}): importing {module} to find the services it defines",
                              warmup.own_packages(module), done=functools.partial(_imported_slowly, module)):
            return importlib.import_module(module)
    except SyntaxError as exc:
        raise PumaConfigError([(where, f"cannot import it: {exc.filename}, line {exc.lineno}: SyntaxError: "
                                       f"{exc.msg}; fix the line (python -m py_compile shows it)")]) from None
    except (ImportError, ValueError, TypeError) as exc:  # ValueError, TypeError: an empty or relative name
        raise PumaConfigError([(where, f"cannot import it ({exc or type(exc).__name__}); give a module's import "
                                "name such as 'shop.parts', or a dict of service name -> function")]) from None


def _imported_slowly(module: str, took_s: float) -> None:
    log.info("puma_service(%r): importing %s took %.1f s here, and its zygote imports it again to serve it: "
             "move slow loading (a model, a table) into a warm-up function named by the service's \"warmup\" "
             "key, or name its services in a dict (puma_service({'name': '%s:function'})), which is not "
             "imported here", module, module, took_s, module)


def _defined_here(name: str, value: Any, module: types.ModuleType) -> bool:
    return defined_function(name, value, module) or (not name.startswith("_") and inspect.isclass(value) and
                                                     getattr(value, "__module__", None) == module.__name__)


def unsendable(value: Any) -> str | None:
    """Why a parameter of function `value`, or of a public method of class `value`, can never come in
    a request (`puma.signatures.unsendable_parameter`), or None (for anything else too)."""
    if inspect.isfunction(value):
        return unsendable_parameter(value, value.__qualname__)
    if not inspect.isclass(value):
        return None
    for name, method in inspect.getmembers(value, inspect.isfunction):
        if (not name.startswith("_") or name == "__call__") and \
                (why := unsendable_parameter(method, f"{value.__name__}.{name}", skip_first=True)):
            return why
    return None


def _servable(value: Any) -> bool:
    if inspect.isfunction(value):
        return True
    if not inspect.isclass(value) or issubclass(value, BaseException | enum.Enum | BaseModel):
        return False
    if getattr(value, "_is_protocol", False) or not has_methods(value):
        return False
    return not _needs_arguments(value)


def _needs_arguments(cls: Any) -> bool:
    """A class with methods that cannot be built without arguments (a type, or a part that needs a
    factory); False for anything else."""
    if not inspect.isclass(cls) or issubclass(cls, BaseException | enum.Enum | BaseModel) or \
            getattr(cls, "_is_protocol", False) or not has_methods(cls):
        return False
    try:
        inspect.signature(cls).bind()
    except TypeError:
        return True
    except ValueError:
        pass  # no signature to read: try to build it
    return False


__all__ = ["ENTRY_POINT", "ModuleServices", "discover", "names_of", "service_name", "services_of", "unsendable"]
