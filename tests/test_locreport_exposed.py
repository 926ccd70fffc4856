"""`puma loc-report --whole`: the port's own code is only what was written or changed for the port.

A domain module the port serves unchanged holds functions the old front never called; the new
deployment reaches them, but nobody wrote them for the port: they count on their own row
("unchanged code the new deployment now exposes"), and what PUMA refuses to serve (`*args`, a class
that needs constructor arguments) is not reached at all. Each case is a small monolith and its port.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puma import cli
from puma.locreport import whole_report
from puma.reach import whole
from puma.reachdiff import whole_trees

OWN = "the port's own code"
EXPOSED = "unchanged code the new deployment now exposes"

# A clinic desk: the monolith's front admits and discharges; `history` and `Ward.transfer` exist
# in the domain module but the old front never calls them.
RECORDS = '''from dataclasses import dataclass


@dataclass
class Patient:
    name: str
    ward: str


def admit(patient: Patient) -> str:
    return f"{patient.name} admitted to {patient.ward}"


def discharge(patient: Patient) -> str:
    return f"{patient.name} discharged"


def history(name: str) -> list[str]:
    visits = [name + ": check-up"]
    visits.append(name + ": x-ray")
    return visits


class Ward:
    def beds(self) -> int:
        return 12

    def transfer(self, name: str, to: str) -> str:
        note = f"{name} -> {to}"
        return note
'''

FRONT = '''import sys

from clinic.records import Patient, Ward, admit, discharge


def main() -> None:
    patient = Patient(sys.argv[1], "east")
    print(admit(patient), Ward().beds())
    print(discharge(patient))


if __name__ == "__main__":
    main()
'''

CLINIC_PORT = '''from puma import puma_service, puma_start


def ping() -> str:
    return "ok"


puma_service(__name__)
puma_service("clinic.records")

if __name__ == "__main__":
    puma_start()
'''


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _doc(lines: list) -> dict:
    return whole_report(lines, "old", "new")


def _owners(doc: dict, group: str) -> dict[str, int]:
    return {d["definition"]: d["lines"] for d in doc["added_definitions"] if d["group"] == group}


def _clinic(tmp_path: Path) -> Path:
    return _write(tmp_path, {"clinic/__init__.py": "", "clinic/records.py": RECORDS, "front.py": FRONT,
                             "puma_app.py": CLINIC_PORT})


def test_locreport_exposed_unserved_before_functions_are_not_the_ports_own_code(tmp_path: Path) -> None:
    root = _clinic(tmp_path)
    doc = _doc(whole(root, old=root / "front.py", new=root / "puma_app.py"))
    assert set(_owners(doc, EXPOSED)) == {"clinic.records:history", "clinic.records:Ward.transfer"}
    assert doc["added_by_group"][EXPOSED] == 4 + 3  # history: def and 3 lines; transfer: def and 2 lines
    assert all(d.startswith("puma_app:") for d in _owners(doc, OWN)), doc["added_definitions"]
    assert doc["added_by_group"][OWN] == 7  # the port's file: import, ping (2), 2 puma_service, guard, call
    assert doc["added"] == sum(doc["added_by_group"].values())


def test_locreport_exposed_shows_its_own_row_in_the_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = _clinic(tmp_path)
    monkeypatch.chdir(root)
    cli.main(["loc-report", "--whole", "front.py", "puma_app.py"])
    out = capsys.readouterr().out
    assert f"| {OWN} | 7 |" in out and f"| {EXPOSED} | 7 |" in out, out
    cli.main(["loc-report", "--whole", "front.py", "puma_app.py", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["exposed"] == 7 and doc["added_by_group"][OWN] == 7
    assert next(f for f in doc["files"] if f["path"] == "clinic/records.py")["exposed"] == 7


# What PUMA refuses to serve of a module is not reached through its service: it is neither the
# port's own code nor exposed code.
REFUSED = {
    "a function taking *args": ("def tag_every(*codes: str) -> int:\n    total = len(codes)\n    return total\n",
                                "tag_every"),
    "a class that needs an argument": ("class Printer:\n    def __init__(self, device: str) -> None:\n"
                                       "        self.device = device\n\n    def label(self) -> str:\n"
                                       "        return self.device\n", "Printer"),
    "a dataclass with a field and no default": ("@dataclass\nclass Slot:\n    room: str\n\n"
                                                "    def describe(self) -> str:\n        return self.room\n", "Slot"),
    "an exception with a method": ("class Overbooked(RuntimeError):\n    def hint(self) -> str:\n"
                                   "        return 'try later'\n", "Overbooked"),
    "a class without public methods": ("class Counter:\n    def _bump(self) -> int:\n        return 1\n", "Counter"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_locreport_exposed_what_puma_refuses_to_serve_is_not_reached(tmp_path: Path, case: str) -> None:
    source, name = REFUSED[case]
    root = _write(tmp_path, {"clinic/__init__.py": "", "clinic/records.py": RECORDS + "\n\n" + source,
                             "front.py": FRONT, "puma_app.py": CLINIC_PORT})
    lines = whole(root, old=root / "front.py", new=root / "puma_app.py")
    refused = [line for line in lines if line.owner.startswith(f"clinic.records:{name}")]
    assert refused and not any(line.new for line in refused), case
    assert _doc(lines)["added_by_group"][EXPOSED] == 7  # history and Ward.transfer only


# A weather monolith whose port calls, from its own code, a function the old front never used.
WEATHER = '''import math


def today(city: str) -> float:
    return 18.5


def week(city: str) -> list[float]:
    base = today(city)
    return [round(base + math.sin(d), 1) for d in range(7)]
'''

WEATHER_FRONT = '''from weather import today

print(today("Oslo"))
'''

WEATHER_PORT = '''import weather
from puma import puma_service


def outlook(city: str) -> dict:
    return {"now": weather.today(city), "week": weather.week(city)}


puma_service({"outlook": "puma_app:outlook"})
'''


def test_locreport_exposed_an_old_function_the_ports_code_calls_is_not_written_by_it(tmp_path: Path) -> None:
    root = _write(tmp_path, {"weather.py": WEATHER, "front.py": WEATHER_FRONT, "puma_app.py": WEATHER_PORT})
    doc = _doc(whole(root, old=root / "front.py", new=root / "puma_app.py"))
    assert _owners(doc, EXPOSED) == {"weather:week": 3, "weather:<import line 1>": 1}  # and `import math`, for week
    assert doc["added_by_group"][OWN] == 5  # the port's file: 2 imports, outlook (2), the registration


def test_locreport_exposed_a_definition_added_to_a_shared_module_that_names_puma_is_the_ports(tmp_path: Path) -> None:
    helper = "\n\ndef week_remote(city: str) -> list[float]:\n    return puma.remote('weather').week(city)\n"
    port = WEATHER_PORT.replace("weather.week(city)", "weather.week_remote(city)")
    root = _write(tmp_path, {"weather.py": "import puma\n" + WEATHER + helper, "front.py": WEATHER_FRONT,
                             "puma_app.py": port})
    doc = _doc(whole(root, old=root / "front.py", new=root / "puma_app.py"))
    own = _owners(doc, OWN)
    assert own.get("weather:week_remote") == 2 and "weather:week_remote" not in _owners(doc, EXPOSED), doc
    assert own.get("weather:<import line 1>") == 1  # `import puma`: a monolith runs without it


# The port made on a copy (--old-root): a library's loans module, `renew` never called by the old
# front, `fine` edited by the port in one line and otherwise left as it was.
LOANS = '''def lend(book: str) -> str:
    return f"lent {book}"


def renew(book: str, days: int = 14) -> str:
    until = days * 2
    return f"renewed {book} for {until}"


def fine(days_late: int) -> float:
    rate = 0.25
    return days_late * rate
'''

LIBRARY_FRONT = '''from loans import lend

print(lend("Dune"))
'''

LIBRARY_PORT = '''from puma import puma_service

puma_service("loans")
'''


def test_locreport_exposed_with_old_root_unchanged_lines_are_never_the_ports(tmp_path: Path) -> None:
    old = _write(tmp_path / "old", {"loans.py": LOANS, "front.py": LIBRARY_FRONT})
    new = _write(tmp_path / "new", {"loans.py": LOANS.replace("rate = 0.25", "rate = 0.30"),
                                    "front.py": LIBRARY_FRONT, "puma_app.py": LIBRARY_PORT})
    lines = whole_trees(new, old, old=old / "front.py", new=new / "puma_app.py")
    doc = _doc(lines)
    assert _owners(doc, EXPOSED) == {"loans:renew": 3, "loans:fine": 2}  # fine's def and return, as they were
    assert _owners(doc, OWN) == {"loans:fine": 1, "puma_app:<import line 1>": 1, "puma_app:<line 3>": 1}
    assert doc["removed"] == 2  # the monolith's front: its import and print


def test_locreport_exposed_a_file_only_the_port_imports_is_its_own(tmp_path: Path) -> None:
    extra = "def forecast_alert(city: str) -> str:\n    return city + ': storm'\n"
    port = WEATHER_PORT.replace("import weather\n", "import weather\nimport alerts\n").replace(
        '"week": weather.week(city)}', '"alert": alerts.forecast_alert(city)}')
    root = _write(tmp_path, {"weather.py": WEATHER, "alerts.py": extra, "front.py": WEATHER_FRONT, "puma_app.py": port})
    doc = _doc(whole(root, old=root / "front.py", new=root / "puma_app.py"))
    assert _owners(doc, OWN).get("alerts:forecast_alert") == 2 and doc["added_by_group"][EXPOSED] == 0


def test_locreport_exposed_with_old_root_a_module_the_monolith_never_imported_is_not_the_ports(tmp_path: Path) -> None:
    extra = "def overdue(days: int) -> bool:\n    limit = 21\n    return days > limit\n"
    port = LIBRARY_PORT + 'puma_service("reminders")\n'
    old = _write(tmp_path / "old", {"loans.py": LOANS, "reminders.py": extra, "front.py": LIBRARY_FRONT})
    new = _write(tmp_path / "new", {"loans.py": LOANS, "reminders.py": extra, "puma_app.py": port})
    doc = _doc(whole_trees(new, old, old=old / "front.py", new=new / "puma_app.py"))
    assert _owners(doc, EXPOSED)["reminders:overdue"] == 3 and "reminders:overdue" not in _owners(doc, OWN)
    assert doc["added_by_group"][OWN] == 3  # the port's file: import and two puma_service


def test_locreport_exposed_with_old_root_a_module_the_port_moved_keeps_its_old_lines(tmp_path: Path) -> None:
    front = LIBRARY_FRONT.replace("from loans import", "from loans import fine,").replace(
        'print(lend("Dune"))', 'print(lend("Dune"), fine(3))')
    old = _write(tmp_path / "old", {"loans.py": LOANS, "front.py": front})
    new = _write(tmp_path / "new", {"library/__init__.py": "", "library/loans.py": LOANS,
                                    "puma_app.py": LIBRARY_PORT.replace('"loans"', '"library.loans"')})
    doc = _doc(whole_trees(new, old, old=old / "front.py", new=new / "puma_app.py"))
    assert _owners(doc, EXPOSED) == {"library.loans:renew": 3}  # the monolith never renewed
    assert doc["retained"] == 2 + 3  # lend and fine, which both reach, moved as they were
    assert doc["added_by_group"][OWN] == 2
