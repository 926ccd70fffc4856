"""``python -m chatbot`` runs the ``chatbot`` command line."""

from __future__ import annotations

from chatbot.cli import main

raise SystemExit(main())
