"""One test body, both backends: a small app started as forked processes or as containers
(`puma run --backend docker`), and what a test does to one of its instances the way its backend
allows it (stop it: SIGSTOP or `docker pause`; tell whether it is gone; who answered).

A test takes the `on_backend` fixture (tests/plugins/backends.py: parametrised "process", "docker";
the Docker case needs an engine and the image: tests/plugins/docker_engine.py says when it skips) and calls
`on_backend.start(services, functions)`, `functions` naming handlers of tests/apps/basic.py and
tests/apps/held.py (`{"hold": "basic:hold_interpreter"}`). A container mounts only the app's
directory, so those two modules are copied beside the generated app script; replies name who
answered by host and pid (`by`), as a container's pid is the same in every container.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import puma
from puma.containers import ContainerSpec
from puma.instances import Instance
from tests.helpers import process_alive
from tests.plugins.docker_engine import APP_IMAGE

IMAGE = APP_IMAGE  # PUMA and its dependencies (this checkout's own tag); the app's directory is mounted
HANDLERS = Path(__file__).parent / "apps"
SCRIPT = """import json
import puma
import basic, held

puma.puma_config(json.loads({config!r}))
puma.puma_service({{name: getattr({{"basic": basic, "held": held}}[m], f) for name, (m, f) in json.loads({functions!r}).items()}})
"""


@dataclass
class Backend:
    """Starts deployments of a test app on one backend; stops every one it started."""

    name: str
    workdir: Path
    docker_cli: str | None = None
    started: list[puma.Deployment] = field(default_factory=list)

    def start(self, services: dict[str, Any], functions: dict[str, str], **config: Any) -> puma.Deployment:
        """`services`: puma_services; `functions`: service name -> "basic:name" or "held:name"."""
        full = {"puma_services": services, **config}
        if self.docker_cli is None:
            app = puma.App()
            app.configure(full)
            app.add_services({name: _handler(ref) for name, ref in functions.items()})
            mesh = app.start(listener={"port": 0})
        else:
            mesh = self._start_containers(full, functions)
        self.started.append(mesh)
        return mesh

    def _start_containers(self, full: dict[str, Any], functions: dict[str, str]) -> puma.Deployment:
        appdir = self.workdir / f"app{len(self.started)}"
        appdir.mkdir()
        for module in ("basic", "held"):
            shutil.copy(HANDLERS / f"{module}.py", appdir / f"{module}.py")
        script = appdir / "app.py"
        refs = {name: ref.split(":") for name, ref in functions.items()}
        script.write_text(SCRIPT.format(config=json.dumps(full), functions=json.dumps(refs)))
        app = puma.App.load(script)
        config = app.resolved_config(check_imports=False, listener={"port": 0})
        mesh = puma.Deployment(config, import_paths=app.import_paths, containers=ContainerSpec(IMAGE, script),
                               startup_timeout_s=240)
        mesh.start()
        return mesh

    def stop_instance(self, instance: Instance, how: str = "signal") -> None:
        """Stop it so that it answers nothing until resumed: SIGSTOP to its service's process (`how`
        "signal"; in a container, the child of its init), or `docker pause` to its container ("pause")."""
        if how == "pause":
            assert self.docker_cli is not None and instance.container is not None, "only a container pauses"
            _docker(self.docker_cli, "pause", instance.container)
            return
        os.kill(self.service_pid(instance), signal.SIGSTOP)

    def service_pid(self, instance: Instance) -> int:
        """The pid, on this machine, of the process that serves `instance`."""
        if self.docker_cli is None:
            assert instance.pid is not None
            return instance.pid
        assert instance.container is not None
        init = int(_docker(self.docker_cli, "inspect", "-f", "{{.State.Pid}}", instance.container))
        (child,) = [int(p) for task in Path(f"/proc/{init}/task").iterdir() for p in (task / "children").read_text().split()]
        return child

    def gone(self, instance: Instance) -> bool:
        """Whether the instance's process (or container) no longer exists."""
        if self.docker_cli is None:
            assert instance.pid is not None
            return not process_alive(instance.pid)
        assert instance.container is not None
        return not _docker(self.docker_cli, "ps", "-aq", "--no-trunc", "--filter", f"id={instance.container}").strip()

    @staticmethod
    def who(instance: Instance, path: str, body: dict[str, Any] | None = None) -> str:
        """Who the instance says it is (its replies' "by"), asked directly, not through Envoy."""
        by: str = httpx.post(f"http://{instance.address}{path}", json={"s": 0} if body is None else body,
                             timeout=10).json()["by"]
        return by

    def close(self) -> None:
        for mesh in self.started:
            mesh.stop()
        if self.docker_cli is not None:
            for mesh in self.started:
                left = _docker(self.docker_cli, "ps", "-aq", "--filter", f"label=io.puma.run={mesh.run_dir}").split()
                assert not left, f"containers left after the stop: {left}"


def _handler(ref: str) -> Any:
    from tests.apps import basic, held

    module, name = ref.split(":")
    return getattr({"basic": basic, "held": held}[module], name)


def _docker(binary: str, *args: str) -> str:
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])} failed ({done.returncode}): {done.stderr[-1000:]}")
    return done.stdout
