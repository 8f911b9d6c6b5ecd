"""Config dataclasses as command-line options: every field becomes ``--field-name``.

The help text of an option is the comment written beside its field, so a config class is
documented once, where it is declared.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from gen_core.models import coerce

_FIELD_COMMENT = re.compile(r"^\s*(\w+)\s*:[^#]*#\s*(.+)$")


def field_comments(cls: type) -> dict[str, str]:
    """The ``# comment`` beside each field in the class source (and its bases')."""
    comments: dict[str, str] = {}
    for klass in reversed(cls.__mro__[:-1]):
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for line in source.splitlines():
            match = _FIELD_COMMENT.match(line)
            if match:
                comments[match.group(1)] = match.group(2).strip()
    return comments


def add_options(parser: argparse.ArgumentParser | Any, cls: type, title: str) -> None:
    """Add one option per field of ``cls``; an option not given stays out of the namespace."""
    group = parser.add_argument_group(title)
    hints = typing.get_type_hints(cls)
    comments = field_comments(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        default = f.default
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        extra: dict[str, Any] = {"nargs": "?", "const": True} if hint is bool else {}
        group.add_argument(
            "--" + f.name.replace("_", "-"), dest=f.name, default=argparse.SUPPRESS,
            type=_parser(hint), metavar=f.name.upper(),
            help=f"{comments.get(f.name, '')} (default: {shown})".strip(), **extra,
        )  # fmt: skip


_EXPECTED = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def expected(hint: Any) -> str:
    """What a field's type asks for, in words: "a number", "whole numbers separated by commas"."""
    if typing.get_origin(hint) is tuple:
        inner = expected(typing.get_args(hint)[0]).removeprefix("a ")
        return f"{inner}s separated by commas"
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return expected(next(a for a in typing.get_args(hint) if a is not type(None)))
    return _EXPECTED.get(hint, "a value")


def _parser(hint: Any) -> Callable[[str], Any]:
    """The argparse ``type`` of a field: its value, or an error that says what was expected."""

    def parse(text: str) -> Any:
        try:
            return coerce(hint, text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected(hint)}") from None

    return parse


def build(cls: type, given: dict[str, Any], base: dict[str, Any] | None = None) -> Any:
    """An instance of ``cls``: its defaults, overridden by ``base`` (e.g. a checkpoint's), then by ``given``."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in (base or {}).items() if k in names}
    values.update({k: v for k, v in given.items() if k in names})
    hints = typing.get_type_hints(cls)
    return cls(**{k: coerce(hints[k], v) for k, v in values.items()})
