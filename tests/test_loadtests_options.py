"""The load test's length and ports, as a newcomer on a shared machine chooses them: `--ports
LEGACY,PUMA` pins where the two deployments listen (else free ports), `--drain-seconds` bounds the
wait for the last conversations; bad values are refused with the fix."""

from __future__ import annotations

import dataclasses

import pytest

from loadtests import deployments
from loadtests.__main__ import _parser, _profile


@dataclasses.dataclass(frozen=True)
class _Profile:  # the fields _profile sets, without importing Locust (loadtests.runner)
    steps: tuple[int, ...] = (1, 4, 16, 64)
    step_s: float = 40.0
    settle_s: float = 8.0
    drain_s: float = 20.0
    think_min_s: float = 0.2
    think_max_s: float = 1.0

    @classmethod
    def quick(cls) -> _Profile:
        return cls(step_s=6.0, settle_s=1.0, drain_s=10.0)


@pytest.mark.parametrize(("given", "ports"), [("19510,19520", {"legacy": 19510, "puma": 19520}),
                                               ("18651,18652", {"legacy": 18651, "puma": 18652})])
def test_loadtests_options_ports_pin_where_each_deployment_listens(given: str, ports: dict[str, int]) -> None:
    args = _parser().parse_args(["compare", "--out", "/tmp/x", "--ports", given])
    assert args.ports == ports
    for name, port in ports.items():
        cmd = deployments.command(name, "sqlite:///x.sqlite3", port=port)
        assert cmd[cmd.index("--port") + 1] == str(port), cmd
    assert _parser().parse_args(["compare", "--out", "/tmp/x"]).ports is None  # free ports by default
    assert "0" == (cmd := deployments.command("puma", "sqlite:///x"))[cmd.index("--port") + 1]


@pytest.mark.parametrize("bad", ["19510", "19510,19510", "abc,1", "0,19520", "19510,70000", "1,2,3"])
def test_loadtests_options_refuse_ports_that_cannot_be_used(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["compare", "--out", "/tmp/x", "--ports", bad])
    err = capsys.readouterr().err
    assert repr(bad) in err and ("e.g. 19510,19520" in err or "two different ports" in err), err


def test_loadtests_options_drain_seconds_shorten_the_run() -> None:
    args = _parser().parse_args(["compare", "--out", "/tmp/x", "--steps", "1,4", "--step-seconds", "5",
                                 "--drain-seconds", "2"])
    profile = _profile(_Profile, args)
    assert (profile.steps, profile.step_s, profile.drain_s) == ((1, 4), 5.0, 2.0)
    assert _profile(_Profile, _parser().parse_args(["compare", "--out", "/tmp/x"])).drain_s == 20.0
