"""The imports run one way: no circle among the project's modules, and `puma/` (the framework)
never imports the app packages (`chatbot/`, the legacy server, the load tests).

How the graph is read (every import, function-level and `TYPE_CHECKING`-only ones included):
see `tests/importgraph.py`. The detector itself is tested on small packages written to a temp dir.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests import importgraph

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("puma", "chatbot", "legacy_socket_server", "loadtests")
APPS = ("chatbot", "legacy_socket_server", "loadtests")


def _project() -> dict[str, set[str]]:
    return importgraph.graph(ROOT, PACKAGES)


def test_import_graph_has_no_circle() -> None:
    loops = importgraph.circles(_project())
    assert not loops, (
        "import circles (each a loop of modules that import each other; break it by moving what "
        "both need into a third module, or by depending on a Protocol):\n"
        + "\n".join(" -> ".join(loop) for loop in loops))


def test_import_graph_puma_never_imports_the_apps() -> None:
    edges = _project()
    crossings = [c for app in APPS for c in importgraph.crossings(edges, "puma", app)]
    assert not crossings, "puma/ imports an app package (it must only be imported by them):\n" + "\n".join(crossings)


def test_import_graph_sees_the_project_imports() -> None:
    # The checks above pass on an empty graph too: this one shows the reader finds the real edges.
    edges = _project()
    assert "puma.control" in edges["puma.supervisor"]  # module level, relative
    assert "puma.metrics" in edges["puma.status"]  # inside a method: `from . import metrics, workers`
    assert "puma.interfaces" in edges["puma.control"]  # under TYPE_CHECKING
    assert "chatbot.settings" in edges["chatbot.db.engine"]  # absolute
    assert len(edges) > 100


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return importgraph.graph(tmp_path, sorted({name.split("/")[0] for name in files}))


def test_import_graph_finds_a_module_level_circle(tmp_path: Path) -> None:
    edges = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg.b import f\n",
                                "pkg/b.py": "import pkg.c\n", "pkg/c.py": "from . import a\n"})
    assert importgraph.circles(edges) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]


def test_import_graph_finds_a_circle_through_a_function_level_import(tmp_path: Path) -> None:
    edges = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from .b import g\n",
                                "pkg/b.py": "def g():\n    from .a import f\n    return f\n"})
    assert importgraph.circles(edges) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_import_graph_counts_type_checking_imports(tmp_path: Path) -> None:
    edges = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/owner.py": "from pkg import part\n",
        "pkg/part.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from pkg.owner import Owner
            """,
    })
    assert importgraph.circles(edges) == [["pkg.owner", "pkg.part", "pkg.owner"]]


def test_import_graph_resolves_relative_imports_from_subpackages(tmp_path: Path) -> None:
    edges = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/errors.py": "from .sub.deep import thing\n",
        "pkg/sub/__init__.py": "from .deep import thing\n",  # in a package's __init__, "." is itself
        "pkg/sub/deep.py": "from ..errors import E\n",
    })
    assert edges["pkg.sub"] == {"pkg.sub.deep"}
    assert edges["pkg.sub.deep"] == {"pkg.errors"}
    assert importgraph.circles(edges) == [["pkg.errors", "pkg.sub.deep", "pkg.errors"]]


def test_import_graph_one_way_imports_are_no_circle(tmp_path: Path) -> None:
    # A chain, a diamond, a module importing its package's __init__ (which imports none of them),
    # and imports of modules outside the packages read: none is a circle.
    edges = _package(tmp_path, {
        "pkg/__init__.py": "VERSION = 1\n",
        "pkg/a.py": "import json\nfrom pkg import b, c\nfrom pkg import VERSION\n",
        "pkg/b.py": "from pkg.d import x\n",
        "pkg/c.py": "from .d import x\nimport os.path\n",
        "pkg/d.py": "from . import VERSION\n",
    })
    assert edges["pkg.a"] == {"pkg", "pkg.b", "pkg.c"}
    assert importgraph.circles(edges) == []


def test_import_graph_reports_each_group_once_with_a_loop_through_it(tmp_path: Path) -> None:
    edges = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/hub.py": "from pkg import left, right\n",
        "pkg/left.py": "from pkg import hub\n",
        "pkg/right.py": "from pkg import hub\n",
        "other/__init__.py": "",
        "other/x.py": "import other.y\n",
        "other/y.py": "import other.x\n",
    })
    assert importgraph.circles(edges) == [["other.x", "other.y", "other.x"], ["pkg.hub", "pkg.left", "pkg.hub"]]


def test_import_graph_finds_the_framework_importing_an_app(tmp_path: Path) -> None:
    edges = _package(tmp_path, {
        "fw/__init__.py": "",
        "fw/core.py": "def load():\n    import app.parts\n",
        "app/__init__.py": "from fw import core\n",
        "app/parts.py": "",
    })
    assert importgraph.crossings(edges, "fw", "app") == ["fw.core -> app.parts"]
    assert importgraph.crossings(edges, "app", "fw") == ["app -> fw.core"]
