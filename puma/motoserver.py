"""`python -m puma.motoserver PORT`: moto's DynamoDB stand-in, serving one request at a time.

moto's threaded server is not atomic: a cancelled transaction restores a snapshot of the whole
table and can undo another client's write, so concurrent conditional writes could both "win".
Served serially, every request sees and leaves a consistent table — what DynamoDB guarantees.
"""

from __future__ import annotations

import sys


def main(port: int) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(int(sys.argv[1]))
