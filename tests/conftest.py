"""Shared pytest set-up: each area's fixtures live in a plugin module under tests/plugins/."""

pytest_plugins = [
    "tests.plugins.processes",
    "tests.plugins.chatbot_db",
    "tests.plugins.postgres",
    "tests.plugins.dialog_suite",
    "tests.plugins.web",
    "tests.plugins.docker_engine",
    "tests.plugins.backends",
    "tests.plugins.meshes",
    "tests.plugins.parallel",
]
