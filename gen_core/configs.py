"""Config dataclasses from plain values, as JSON files and command lines give them.

Every model and training setting is a dataclass field; these turn stored or typed-in values
into the field's type (refusing what does not fit), so a sidecar, run.json, the CLI and the
app all rebuild configs the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, ClassVar, Literal, Protocol, TypeVar


class Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T", bound=Dataclass)


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The fields' types of a config class, resolved once: the string annotations are
    evaluated afresh on each ``typing.get_type_hints`` call, and the run queue reads every
    run's request twice a second."""
    return typing.get_type_hints(cls)


def from_dict(cls: type[T], values: dict[str, Any]) -> T:
    """Rebuild a config dataclass from stored values, refusing unknown keys (a foreign file)."""
    unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
    hints = field_types(cls)
    coerced = {}
    for name, value in values.items():
        try:
            coerced[name] = coerce(hints[name], value)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}: {err}") from None
    return cls(**coerced)


def build(cls: type[T], given: dict[str, Any], base: dict[str, Any] | None = None) -> T:
    """An instance of ``cls``: its defaults, overridden by ``base`` (e.g. a checkpoint's), then by
    ``given``; keys that are not fields of ``cls`` are left to other configs."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in (base or {}).items() if k in names}
    values.update({k: v for k, v in given.items() if k in names})
    return from_dict(cls, values)


def coerce(hint: Any, value: Any) -> Any:
    """Turn a JSON or command-line value into the field's type (tuples come back as lists)."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ValueError(f"not a list: {value!r}")
        return tuple(coerce(typing.get_args(hint)[0], v) for v in items)
    if origin is Literal:
        if value not in typing.get_args(hint):
            raise ValueError(
                f"{value!r} is not one of {', '.join(map(str, typing.get_args(hint)))}"
            )
        return value
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in typing.get_args(hint):
            return None
        for inner in (a for a in typing.get_args(hint) if a is not type(None)):
            try:
                return coerce(inner, value)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"not {expected(hint)}: {value!r}")
    if hint is bool and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ValueError(f"not a yes/no value: {value!r}")
        return value.lower() in ("true", "1", "yes", "on")
    if hint in (int, float, str, bool):
        if not isinstance(value, (int, float, str, bool)):
            raise ValueError(f"not {expected(hint)}: {value!r}")
        if hint is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"not a whole number: {value!r}")
        return hint(value)
    return value


_EXPECTED = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def expected(hint: Any) -> str:
    """What a field's type asks for, in words: "a number", "whole numbers separated by commas"."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        inner = expected(typing.get_args(hint)[0]).removeprefix("a ")
        return f"{inner}s separated by commas"
    if origin is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(hint)))
    if origin in (types.UnionType, typing.Union):
        words = [expected(a) for a in typing.get_args(hint) if a is not type(None)]
        return " or ".join(w.removeprefix("one of ") for w in words)
    return _EXPECTED.get(hint, "a value")
