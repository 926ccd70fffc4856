"""`puma loc-report --whole` on web-framework monoliths: a handler the framework registers by
decorator (Flask, FastAPI, Bottle, flask-restx...) is called by the framework, never named by the
app, yet what it calls is the monolith's code too — shared parts must not count as the port's."""

from __future__ import annotations

from pathlib import Path

import pytest

from puma.reach import whole

PARTS = '''def summarise(values):
    total = sum(values)
    count = len(values)
    return {"mean": total / count, "count": count}


def spectrum(values):
    return [v * 2 for v in values]
'''

PORT = '''from puma import puma_service

puma_service({"summarise": "hub.parts:summarise", "spectrum": "hub.parts:spectrum"})
'''

# Each monolith reaches hub.parts only through its framework-registered handlers.
MONOLITHS = {
    "flask_get": '''from flask import Flask
from hub import parts

app = Flask(__name__)


@app.get("/stats/<sensor>")
def stats(sensor):
    return parts.summarise([1, 2])


@app.post("/spectrum")
def spectrum():
    return {"s": parts.spectrum([1])}
''',
    "flask_route_and_hooks": '''import flask
from hub.parts import spectrum, summarise

app = flask.Flask(__name__)


@app.route("/stats", methods=["GET"])
def stats():
    return summarise([3])


@app.errorhandler(404)
def missing(error):
    return {"s": spectrum([0])}, 404
''',
    "fastapi_router": '''from fastapi import APIRouter, FastAPI
from hub import parts

router = APIRouter()
app = FastAPI()


@router.get("/stats")
async def stats():
    return parts.summarise([1])


@router.put("/spectrum/{n}")
async def spectrum(n: int):
    return parts.spectrum([n])


app.include_router(router)
''',
    "bottle_bare": '''from bottle import get, post, run
from hub import parts


@get("/stats")
def stats():
    return parts.summarise([1])


@post("/spectrum")
def spectrum():
    return parts.spectrum([1])
''',
    "restx_class": '''from flask_restx import Namespace, Resource
from hub import parts

ns = Namespace("sensors")


@ns.route("/stats")
class Stats(Resource):
    def get(self):
        return parts.summarise([1])

    def post(self):
        return parts.spectrum([1])
''',
}


@pytest.fixture(params=sorted(MONOLITHS))
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    files = {"hub/__init__.py": "", "hub/parts.py": PARTS, "mono/__init__.py": "", "port.py": PORT,
             "mono/web.py": MONOLITHS[request.param]}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_reach_routes_parts_a_registered_handler_calls_are_retained_not_the_ports(tree: Path) -> None:
    lines = whole(tree, old=tree / "mono/web.py", new=tree / "port.py")
    parts = [line for line in lines if line.path == "hub/parts.py"]
    assert parts and all(line.old and line.new for line in parts), [(line.row, line.old, line.new) for line in parts]
    handlers = [line for line in lines if line.path == "mono/web.py" and line.owner != "mono.web:<import line 1>"]
    assert any(line.old for line in handlers) and not any(line.new for line in handlers)


def test_reach_routes_a_blueprint_module_the_app_registers_is_reached(tmp_path: Path) -> None:
    files = {"hub/__init__.py": "", "hub/parts.py": PARTS, "port.py": PORT,
             "mono/__init__.py": "", "mono/views.py": "from flask import Blueprint\nfrom hub import parts\n\n"
             "bp = Blueprint('api', __name__)\n\n\n@bp.post('/x')\ndef x():\n    return parts.summarise([1]), parts.spectrum([1])\n",
             "mono/web.py": "from flask import Flask\nfrom mono.views import bp\n\napp = Flask(__name__)\n"
             "app.register_blueprint(bp)\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    lines = whole(tmp_path, old=tmp_path / "mono/web.py", new=tmp_path / "port.py")
    assert all(line.old and line.new for line in lines if line.path == "hub/parts.py")
    assert all(line.old for line in lines if line.path == "mono/views.py")


def test_reach_routes_add_url_rule_and_an_undecorated_helper(tmp_path: Path) -> None:
    web = ("from flask import Flask\nfrom hub import parts\n\n\ndef stats():\n    return parts.summarise([1])\n\n\n"
           "def never_used():\n    return parts.spectrum([1])\n\n\n"
           "def create_app():\n    app = Flask(__name__)\n    app.add_url_rule('/stats', view_func=stats)\n    return app\n\n\n"
           "app = create_app()\n")
    files = {"hub/__init__.py": "", "hub/parts.py": PARTS, "mono/__init__.py": "", "mono/web.py": web,
             "port.py": "from puma import puma_service\n\npuma_service({'summarise': 'hub.parts:summarise'})\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    lines = whole(tmp_path, old=tmp_path / "mono/web.py", new=tmp_path / "port.py")
    owners = {line.owner: (line.old, line.new) for line in lines}
    assert owners["hub.parts:summarise"] == (True, True)
    assert owners["mono.web:never_used"] == (False, False)  # a plain helper nothing calls stays unreached
