"""Each PUMA process reads in `ps` as its part, its service and its deployment, so that deployments
of one app on one machine are told apart (newcomer 73: five deployments' instances all read
`puma.worker --service agent`)."""

from __future__ import annotations

import os
from pathlib import Path

import puma
from puma.titles import deployment_label
from tests.apps import basic


def _title(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def test_deployment_label_names_the_port_or_else_the_supervisor():
    assert deployment_label(18730, 4242) == ":18730"
    assert deployment_label(0, 4242) == "supervisor pid 4242"  # a free port chosen at start: not known yet


def test_titles_name_the_service_the_instance_and_the_deployment():
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": 2},
                                     "a_service_with_a_rather_long_name": {"prefix": "/long"}}})
    app.add_services({"echo": basic.echo, "a_service_with_a_rather_long_name": basic.echo})
    with app.start(listener={"port": 0}) as mesh:
        ours = f"[puma supervisor pid {os.getpid()}]"
        assert mesh.fork_server is not None
        assert _title(mesh.fork_server.proc.pid) == f"puma.forkserver {ours}"
        for service in ("echo", "a_service_with_a_rather_long_name"):
            zygote = mesh.pools[service].zygote
            assert zygote is not None and zygote.pid is not None
            assert _title(zygote.pid) == f"puma.worker --service {service} {ours}"  # whole, not cut short
            for instance in mesh.instances(service):
                assert _title(instance.pid) == (f"puma.worker --service {service} instance {instance.id} port "
                                                f"{instance.port} {ours}")
            # The environment, which /proc shows, is the deployment's as it was given.
            environ = Path(f"/proc/{zygote.pid}/environ").read_bytes().split(b"\0")
            assert f"PUMA_DEPLOYMENT=supervisor pid {os.getpid()}".encode() in environ
            assert not [e for e in environ if e.startswith(b"SPT_NOENV")]
