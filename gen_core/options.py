"""Config dataclasses as command-line options: every field becomes ``--field-name``.

The help text of an option is the comment written beside its field, so a config class is
documented once, where it is declared.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from collections.abc import Callable
from typing import Any

from gen_core.configs import coerce, expected, field_types

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
    hints = field_types(cls)
    comments = field_comments(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        default = f.default
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        extra: dict[str, Any] = {"nargs": "?", "const": True} if hint is bool else {}
        group.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            default=argparse.SUPPRESS,
            type=_parser(hint),
            metavar=f.name.upper(),
            help=f"{comments.get(f.name, '')} (default: {shown})".strip(),
            **extra,
        )


def _parser(hint: Any) -> Callable[[str], Any]:
    """The argparse ``type`` of a field: its value, or an error that says what was expected."""

    def parse(text: str) -> Any:
        try:
            return coerce(hint, text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected(hint)}") from None

    return parse


def to_args(values: dict[str, Any]) -> list[str]:
    """The options that give these field values: ``{"lr_g": 1e-4}`` -> ``["--lr-g", "0.0001"]``."""
    args: list[str] = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        args += [
            "--" + key.replace("_", "-"),
            str(value).lower() if isinstance(value, bool) else str(value),
        ]
    return args
