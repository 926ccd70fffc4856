"""Session-level load tests: the legacy socket server and the PUMA deployment, side by side.

``python -m loadtests compare --out DIR [--quick]`` (see ``loadtests.__main__``). Modules:
``personas`` (who the users are), ``checks`` (per-conversation correctness), ``conversation``
(one conversation over any transport), ``socket_client`` and ``users`` (Locust), ``deployments``
(start/stop), ``samplers`` (instances, CPU), ``runner`` (the stepped profile), ``report``.
Only ``socket_client``, ``users`` and ``runner`` need Locust; importing ``users`` or
``runner`` patches the standard library for gevent.
"""
