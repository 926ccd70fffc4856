"""`puma.<name>` is the public object whatever was imported before: no submodule shadows it.

Importing a submodule sets an attribute of its package (`import puma.service` sets
`puma.service` to the module), so a public name spelt like a submodule would become the module
once anything imported that submodule. Each check runs in a fresh interpreter, since the order of
imports is what matters.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types

import puma

_CHECK = """
import importlib, inspect, json, pkgutil, sys, types
import puma

def import_submodules():
    for info in pkgutil.walk_packages(puma.__path__, "puma."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)

def public_names():
    return {name: getattr(puma, name) for name in puma.__all__}

order = sys.argv[1]
if order == "submodules-first":
    import_submodules()
    found = public_names()
else:
    public_names()
    import_submodules()
    found = public_names()
print(json.dumps({name: type(value).__name__ for name, value in found.items()
                  if isinstance(value, types.ModuleType)}))
"""


def _modules_among_public_names(order: str) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", _CHECK, order], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_public_names_stay_objects_after_every_submodule_was_imported_first() -> None:
    assert _modules_among_public_names("submodules-first") == {}


def test_public_names_stay_objects_when_submodules_are_imported_after_them() -> None:
    assert _modules_among_public_names("names-first") == {}


def test_public_names_never_share_a_name_with_a_submodule() -> None:
    import pkgutil

    submodules = {info.name for info in pkgutil.iter_modules(puma.__path__)}
    assert submodules.isdisjoint(puma.__all__), sorted(submodules & set(puma.__all__))


def test_service_is_the_decorator_and_remote_the_proxy_factory_after_all_imports() -> None:
    code = ("import importlib, pkgutil, puma\n"
            "[importlib.import_module(i.name) for i in pkgutil.walk_packages(puma.__path__, 'puma.')"
            " if not i.name.endswith('__main__')]\n"
            "import puma.app, puma.remotes\n"
            "assert puma.service is puma.app.service, puma.service\n"
            "assert puma.remote is puma.remotes.remote, puma.remote\n"
            "assert callable(puma.service('/x'))\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert not isinstance(puma.service, types.ModuleType)
