"""The app image the Docker tests build and run is this checkout's own (tests.plugins.docker_engine):
a tag derived from the checkout and from the sources it packages, so a run of another checkout on
the same engine never rebuilds it under this one ("the image holds another PUMA than this one"), and
this checkout's older test tags are removed after a build, never another checkout's. No engine needed."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from tests.plugins import docker_engine
from tests.plugins.docker_engine import (
    PACKAGED,
    checkout_tag_prefix,
    prune_test_tags,
    sources_digest,
)

ROOT = Path(__file__).resolve().parents[1]
TAG = re.compile(r"[a-z0-9][a-z0-9._-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # Docker's tag grammar


def _copy_packaged(to: Path) -> Path:
    for name in PACKAGED:
        source = ROOT / name
        if source.is_file():
            shutil.copy(source, to / name)
        else:
            shutil.copytree(source, to / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    return to


def test_docker_image_tag_differs_between_checkouts_and_follows_the_packaged_sources(tmp_path: Path) -> None:
    one, other = tmp_path / "one", tmp_path / "other"
    for checkout in (one, other):
        checkout.mkdir()
        _copy_packaged(checkout)
    assert sources_digest(one) == sources_digest(other) == sources_digest(ROOT)  # the same sources
    assert checkout_tag_prefix(one) != checkout_tag_prefix(other)  # two checkouts: two tags
    assert TAG.fullmatch(docker_engine.APP_IMAGE), docker_engine.APP_IMAGE
    assert docker_engine.APP_IMAGE != "puma-chatbot:latest"  # never the tag every checkout shares
    before = sources_digest(other)
    (other / "puma" / "worker.py").write_text((other / "puma" / "worker.py").read_text() + "\n# changed\n")
    assert sources_digest(other) != before  # PUMA changed: another image
    changed = sources_digest(other)
    (other / "puma" / "__pycache__").mkdir(exist_ok=True)
    (other / "puma" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert sources_digest(other) == changed  # what the image does not package (.dockerignore) does not count


def test_docker_image_prune_removes_only_this_checkouts_older_test_tags(tmp_path: Path) -> None:
    mine = checkout_tag_prefix()
    keep, older = mine + "aaaa", mine + "bbbb"
    theirs = "puma-chatbot:test-00000000-cccc"
    removed_log = tmp_path / "removed"
    fake = tmp_path / "docker"
    fake.write_text(f"""#!{sys.executable}
import sys
if sys.argv[1] == "images":
    print("\\n".join(["puma-chatbot:latest", {keep!r}, {older!r}, {theirs!r}]))
elif sys.argv[1] == "rmi":
    open({str(removed_log)!r}, "a").write(" ".join(sys.argv[2:]) + "\\n")
""")
    fake.chmod(0o755)
    assert prune_test_tags(str(fake), keep=keep) == [older]
    assert removed_log.read_text().split() == [older]  # never the current one, another checkout's or latest
