"""A lending desk whose own exception classes say why a loan is refused (tests/test_app_errors.py)."""

from __future__ import annotations

import json


class NotOnShelf(LookupError):
    """No copy of that book is here."""


class NoSuchMember(KeyError):
    """A KeyError of the app's: its message is said without the quotes str() adds."""


class CardExpired(ValueError):
    pass


class CardLongExpired(CardExpired):
    """A subclass of a subclass: still the app's ValueError."""


class WrongMedium(TypeError):
    pass


class Withdrawn(NotOnShelf):
    status_code = 410  # says its own status: wins over the 404 of a LookupError


class Unreadable(CardExpired):
    def __init__(self, shelf: int) -> None:  # an __init__ a caller cannot call with the message alone
        super().__init__(f"shelf {shelf} is unreadable")
        self.shelf = shelf


class Silent(ValueError):
    pass


def _lookup_bug(isbn: str) -> str:
    return {"978-0": "Dune"}[isbn]  # the interpreter's KeyError: a bug


def lend(isbn: str, why: str) -> str:
    """Lend the book `isbn`, or refuse it as `why` says (each kind of refusal, and each kind of bug)."""
    app_errors: dict[str, Exception] = {
        "not-on-shelf": NotOnShelf(f"isbn {isbn} is not on the shelf"), "member": NoSuchMember("member 7 is unknown"),
        "expired": CardExpired("card expired on 2024-01-31"), "long-expired": CardLongExpired("card expired in 1999"),
        "medium": WrongMedium("a vinyl record cannot be lent here"), "withdrawn": Withdrawn(f"isbn {isbn} was withdrawn"),
        "unreadable": Unreadable(4), "silent": Silent()}
    if why in app_errors:
        raise app_errors[why]
    if why == "key-bug":
        return _lookup_bug(isbn)
    if why == "value-bug":
        return str(int("secret-dsn-postgres"))
    if why == "type-bug":
        return str(len(None))  # type: ignore[arg-type]
    if why == "json-bug":
        return str(json.loads("{secret"))
    if why == "unicode-bug":
        return b"\xff secret".decode()
    return f"lent {isbn}"
