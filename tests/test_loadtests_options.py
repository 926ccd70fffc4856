"""The load test's length and ports, as a newcomer on a shared machine chooses them: `--ports
LEGACY,PUMA` pins where the two deployments listen (else free ports), `--drain-seconds` bounds the
wait for the last conversations; bad values are refused with the fix."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from loadtests import deployments
from loadtests.__main__ import _parser, _profile
from loadtests.profiles import Profile  # the real one: it imports no Locust (loadtests.runner does)


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
    profile = _profile(Profile, args)
    assert (profile.steps, profile.step_s, profile.drain_s) == ((1, 4), 5.0, 2.0)
    assert _profile(Profile, _parser().parse_args(["compare", "--out", "/tmp/x"])).drain_s == Profile().drain_s


@pytest.mark.parametrize(("flags", "expected"), [([], Profile()), (["--quick"], Profile.quick())], ids=["full", "quick"])
def test_loadtests_options_left_unset_give_the_profiles_own_defaults(flags: list[str], expected: Profile) -> None:
    assert _profile(Profile, _parser().parse_args(["compare", "--out", "/tmp/x", *flags])) == expected


def test_loadtests_options_one_option_changes_only_its_own_fields() -> None:
    args = _parser().parse_args(["compare", "--out", "/tmp/x", "--quick", "--think", "0.1,0.3"])
    assert _profile(Profile, args) == dataclasses.replace(Profile.quick(), think_min_s=0.1, think_max_s=0.3)


def test_loadtests_options_help_says_the_profiles_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["compare", "--help"])
    said = " ".join(capsys.readouterr().out.split())  # argparse wraps its lines
    full, quick = Profile(), Profile.quick()
    assert f"(default {','.join(map(str, full.steps))})" in said, said
    assert f"(default {full.step_s:g}; quick {quick.step_s:g})" in said, said
    assert f"(default {full.drain_s:g}; quick {quick.drain_s:g})" in said, said
    assert f"(default {full.think_min_s:g},{full.think_max_s:g}; quick {quick.think_min_s:g},{quick.think_max_s:g})" in said
    assert f"steps {','.join(map(str, quick.steps))} of {quick.step_s:g} s" in said, said


def test_loadtests_options_and_profile_import_no_locust() -> None:
    # Why the test can read the real Profile: the command line and the profile never import Locust,
    # which patches the standard library for gevent on import (in a child: this process may have it).
    code = "import sys, loadtests.__main__, loadtests.profiles; sys.exit('locust' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
