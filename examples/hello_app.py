"""A two-service PUMA app: `puma run examples/hello_app.py`, then

    curl -s localhost:8080/greet -d '{"name": "Ada"}' -H 'content-type: application/json'
    curl -s localhost:8080/shout -d '{"text": "hi"}' -H 'content-type: application/json'
"""

import puma
from puma import puma_config, puma_service, puma_start


def greet(request: puma.Request) -> dict:
    name = request.data.get("name", "world")
    # One service calling another through the mesh (through Envoy), not in-process.
    loud = puma.call("shout", {"text": f"hello, {name}"})
    return {"greeting": loud["text"], "served_by": "greet"}


def shout(request: puma.Request) -> dict:
    text = request.data.get("text")
    if not isinstance(text, str):
        raise puma.HTTPError(400, "'text' must be a string")
    return {"text": text.upper() + "!"}


puma_config({"puma_services": {"greet": {"prefix": "/greet", "instances": 2}, "shout": "/shout"}})
puma_service({"greet": greet, "shout": shout})

if __name__ == "__main__":
    puma_start()
