"""A config value that names something (a service, a page's route, a method, a function) is checked
against what exists: a misspelt one used to be accepted and silently turn its feature off (a rate
limit naming no service limited nothing; newcomer 63, finding 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import puma
from puma import PumaConfigError, parse_config

SERVICES = {"summarise": "/summarise", "store": {"prefix": "/store", "visibility": "internal"},
            "web": {"prefix": "/ui"}, "ingest": "/api/ingest"}


def _problems(conf: dict) -> dict[str, str]:
    with pytest.raises(PumaConfigError) as caught:
        parse_config({"puma_services": SERVICES, **conf})
    return dict(caught.value.problems)


@pytest.mark.parametrize(("name", "meant"), [("sumarise", "summarise"), ("Summarise", "summarise"),
                                             ("stor", "store"), ("ingest_svc", "ingest")])
def test_config_rate_limit_naming_no_service_is_refused_with_the_nearest(name: str, meant: str) -> None:
    message = _problems({"rate_limit": {"requests_per_s": 5, "cluster_name": name}})["rate_limit.cluster_name"]
    assert f"{name!r} names no service" in message and f"did you mean {meant!r}?" in message, message


def test_config_rate_limit_naming_nothing_alike_lists_the_services() -> None:
    message = _problems({"rate_limit": {"cluster_name": "payments"}})["rate_limit.cluster_name"]
    assert "did you mean" not in message and "services: ingest, store, summarise, web" in message, message


def test_config_rate_limit_naming_a_service_is_accepted() -> None:
    for name in SERVICES:
        assert parse_config({"puma_services": SERVICES, "rate_limit": {"cluster_name": name}}).rate_limit


@pytest.mark.parametrize(("page", "meant"), [("/iu", "/ui"), ("/store", None), ("/api/ingets", "/api/ingest"),
                                             ("/dashboard", None)])
def test_config_page_link_no_public_service_serves_is_refused(page: str, meant: str | None) -> None:
    message = _problems({"listener": {"pages": {page: "a page"}}})[f"listener.pages.{page}"]
    assert "served by no public service" in message, message
    assert (f"did you mean {meant!r}?" in message) if meant else "did you mean" not in message


def test_config_page_links_under_public_prefixes_are_accepted() -> None:
    pages = {"/ui": "the app", "/ui/help": "help", "/api/ingest": "upload"}
    assert parse_config({"puma_services": SERVICES, "listener": {"pages": pages}}).listener.pages == pages


def test_app_rate_limit_may_name_a_service_puma_service_registers_later() -> None:
    app = puma.App()
    app.configure({"rate_limit": {"cluster_name": "summarise"}})  # not refused: registered next
    app.add_services({"summarise": "tests.apps.startup:answer"})
    limit = app.resolved_config().rate_limit
    assert limit is not None and limit.cluster_name == "summarise"
    app.configure({"rate_limit": {"cluster_name": "sumarise"}})
    with pytest.raises(PumaConfigError, match="did you mean 'summarise'"):
        app.resolved_config()


APP = """from puma import puma_config, puma_service, puma_start
puma_config({CONFIG})
puma_service({{"shelf": "tests.apps.startup:Shelf", "answer": "tests.apps.startup:answer"}})
if __name__ == "__main__":
    puma_start()
"""


@pytest.mark.parametrize(("config", "path", "said"), [
    ('{"rate_limit": {"cluster_name": "shelff"}}', "rate_limit.cluster_name", "did you mean 'shelf'?"),
    ('{"puma_services": {"shelf": {"idempotent": ["serch"]}}}', "puma_services.shelf.idempotent",
     "did you mean ['search']?"),
    ('{"puma_services": {"answer": {"warmup": "tests.apps.startup:brokn_warmup"}}}', "puma_services.answer.warmup",
     "did you mean 'broken_warmup'?"),
    ('{"puma_services": {"answer": {"readiness": "tests.apps.startup:answr"}}}', "puma_services.answer.readiness.check",
     "did you mean 'answer'?"),
], ids=["rate-limit", "idempotent-method", "warmup", "readiness"])
def test_cli_render_refuses_a_reference_to_nothing(tmp_path: Path, config: str, path: str, said: str) -> None:
    app = tmp_path / "shelf_app.py"
    app.write_text(APP.format(CONFIG=config))
    result = subprocess.run([sys.executable, "-m", "puma.cli", "render", str(app)], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).parent.parent)
    assert result.returncode == 1 and path in result.stderr and said in result.stderr, result.stderr[-1500:]
    assert "static_resources" not in result.stdout
