"""What a person reads when a config is refused: pydantic's errors as `(path, message)` problems
(an unknown key with the keys that place takes and the closest one; a wrong kind in JSON's
terms), and services configured with no function registered. No IO.

>>> unregistered_problems({"db": "app:db"})
[]
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from .suggest import did_you_mean

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from .services import Service


def problem(err: ErrorDetails, root: type[BaseModel]) -> tuple[str, str]:
    """One pydantic error of validating `root` as `(path, message)`, e.g.
    `("puma_services.db.instancs", "unknown key (value 2); did you mean 'instances'?")`."""
    path = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        known = _keys_at(root, [p for p in err["loc"][:-1] if not str(p).startswith("function-")])
        hint = did_you_mean(str(err["loc"][-1]), known) if known else ""
        return path, f"unknown key (value {value!r}){hint or '; remove it or check its spelling'}" + (
            f" (its keys: {', '.join(known)})" if known and not hint else "")
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] in {"missing"}:
        return path, "required key is missing"
    if err["type"] in {"model_type", "model_attributes_type", "dataclass_type", "dict_type"}:
        # pydantic names its own classes here ("instance of Instances"): say it in JSON's terms
        message = f"expected a JSON object {{...}} of this key's settings, not {_json_kind(value)}"
    elif err["type"] in _EXPECTED:  # pydantic's "Input should be a valid tuple": say the form in JSON's terms
        message = f"expected {_EXPECTED[err['type']]}, not {_json_kind(value)}"
    elif err["type"] in {"literal_error", "enum"}:
        message = _choice_message(value, str(err.get("ctx", {}).get("expected", "")))
    if isinstance(value, dict | list) or message.startswith(repr(value)):
        return path, message
    return path, f"{value!r}: {message}"


_EXPECTED = {
    "list_type": "a list [...]", "tuple_type": "a list [...]", "set_type": "a list [...]",
    "int_type": "a whole number (e.g. 8)", "int_parsing": "a whole number (e.g. 8)",
    "int_from_float": "a whole number (e.g. 8)", "float_type": "a number (e.g. 2.5)",
    "float_parsing": "a number (e.g. 2.5)", "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string",
}


def _choice_message(value: Any, expected: str) -> str:
    """A value outside a closed set: the set, and the choice closest to it (`"roundrobin"` ->
    "did you mean 'round_robin'?"), case and '-' for '_' forgiven in the comparison."""
    choices = re.findall(r"'([^']*)'", expected)
    if not isinstance(value, str):
        return f"expected one of {', '.join(map(repr, choices))}, not {_json_kind(value)}"
    folded = {c.lower().replace("-", "_"): c for c in choices}
    meant = folded.get(value.strip().lower().replace("-", "_").replace(" ", "_"))
    hint = f"; did you mean {meant!r}?" if meant else did_you_mean(value.lower().replace("-", "_"), choices)
    return f"not one of {', '.join(map(repr, choices))}{hint}"


def _keys_at(root: type[BaseModel], loc: list[Any]) -> list[str]:
    """The keys the config takes at `loc` (`["puma_services", "db"]` -> a service's keys); [] when
    it cannot be followed."""
    hint: Any = root
    for step in loc:
        hint = _one_choice(hint)
        if get_origin(hint) is dict:
            hint = get_args(hint)[1]
        elif isinstance(hint, type) and issubclass(hint, BaseModel):
            field = next((f for n, f in hint.model_fields.items() if step in (n, f.alias)), None)
            if field is None:
                return []
            hint = field.annotation
        else:
            return []
    hint = _one_choice(hint)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return sorted(f.alias or n for n, f in hint.model_fields.items())
    return []


def _one_choice(hint: Any) -> Any:
    """`hint` without `Annotated` and, for a union, its one choice that has keys (a model or a dict)."""
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    if get_origin(hint) in (Union, types.UnionType):
        keyed = [a for a in map(_one_choice, get_args(hint))
                 if get_origin(a) is dict or (isinstance(a, type) and issubclass(a, BaseModel))]
        return keyed[0] if len(keyed) == 1 else None
    return hint


def _json_kind(value: Any) -> str:
    kinds = [(bool, "true/false"), (int, "a number"), (float, "a number"), (str, "a string"), (list, "a list"),
             (dict, "a JSON object")]
    return next((name for kind, name in kinds if isinstance(value, kind)), "null" if value is None else "this")


def unregistered_problems(targets: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One problem per configured service with no function (`targets`: name -> its target or None),
    each suggesting the closest registered name: what `puma run`, `puma render` and `App.start`
    all refuse, in one list with the config's other problems (`App.resolved_config`). Example:
    `unregistered_problems({"linkstore": None, "link_store": "app:Store"})` -> [("puma_services.linkstore",
    "no function registered; ...; did you mean 'link_store'? (registered: link_store)")]."""
    registered = sorted(n for n, target in targets.items() if target is not None)
    return [(f"puma_services.{name}", "no function registered; pass it to puma_service({...}) or set 'target': "
             f"'module:function'{_registered_hint(name, registered)}") for name, target in targets.items()
            if target is None]


def target_conflicts(configured: Mapping[str, Mapping[str, Any]], registered: Mapping[str, str]) -> list[tuple[str, str]]:
    """One problem per service whose config names a `target` other than the function `puma_service`
    registers for it: two declarations of one service, of which neither may silently win. Example:
    `target_conflicts({"s": {"target": "m:sumarise"}}, {"s": "m:summarise"})` -> [("puma_services.s.target",
    "'m:sumarise' in the config, but puma_service registers 'm:summarise' for 's'; ...")]."""
    problems = []
    for name, spec in configured.items():
        given, fn = spec.get("target"), registered.get(name)
        if given is not None and fn is not None and _spelt(given) != _spelt(fn):
            problems.append((f"puma_services.{name}.target", f"{given!r} in the config, but puma_service registers "
                             f"{fn!r} for {name!r}: one service, two functions; remove one of the two (or give the "
                             "other its own service name)"))
    return problems


def _spelt(target: Any) -> Any:
    """`target` as compared: a script's functions are registered by absolute file ('/abs/app.py:f'),
    which the config may name relative to the current directory ('app.py:f')."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.strip().rpartition(":")
    return f"{Path(module).resolve()}:{attr}" if module.endswith(".py") else f"{module}:{attr}"


def _registered_hint(name: str, registered: list[str]) -> str:
    """"; did you mean 'sensors'? (registered: advice, sensors)" for a configured name that names no
    registered service, as when `puma_service(module)` names a class `Sensors` /sensors."""
    if not registered:
        return ""
    from rapidfuzz import fuzz, process

    close = process.extractOne(name, registered, scorer=fuzz.ratio, score_cutoff=60)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    return f"{guess} (registered: {', '.join(registered)})"


def unstartable_problems(services: Mapping[str, Service]) -> list[tuple[str, str]]:
    """What the process backend cannot run: a service with no function, or one autoscaled from zero
    (Envoy answers 503 at once where no instance is, so no request ever shows demand: it would never
    scale up). One `(path, message)` per problem; [] when every service can start."""
    problems = unregistered_problems({n: svc.target for n, svc in services.items()})
    problems += [(f"puma_services.{n}.instances", f"{_zero_written(svc)}: PUMA does "
                  "not scale from zero (a request finds no instance and gets 503); set min to 1 or more, "
                  "or add 'autoscale': {'enabled': false} to start it stopped and `puma scale` it by hand")
                 for n, svc in services.items() if svc.instances.min == 0 and svc.autoscaled]
    return problems


def _zero_written(svc: Service) -> str:
    """A service's zero minimum in the words of its config (`instances: 0` is autoscaled 0 to 1,
    a bound the user may never have written)."""
    if svc.instances.upper == 1:
        return "min 0, max 1 (instances: 0 is read as {'min': 0, 'max': 1}, autoscaled between them)"
    return f"min 0 with autoscaling (max {svc.instances.upper})"

