"""The core's ``__all__`` lists every public name its modules define, so that a new function is
exported (or deliberately kept internal) rather than forgotten."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import ratings.core

#: Internals of the NE solver's continuation, and names that would shadow a submodule.
INTERNAL = {
    "ratings.core.equilibrium.ne_branch",
    "ratings.core.equilibrium.ne_polish",
}
NOT_AT_TOP = {("ratings.core.judges", "agreement")}  # ratings.core.agreement is the module


def _public(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and len(name) > 1  # type variables
        and getattr(value, "__module__", None) == module_name
    ]


@pytest.mark.parametrize(
    "info",
    [
        m
        for m in pkgutil.walk_packages(ratings.core.__path__, "ratings.core.")
        if not m.ispkg and m.name not in INTERNAL
    ],
    ids=lambda m: m.name,
)
def test_every_public_name_is_exported(info: pkgutil.ModuleInfo) -> None:
    package = info.name.rsplit(".", 1)[0]
    exported = set(importlib.import_module(package).__all__)
    missing = [
        name
        for name in _public(info.name)
        if name not in exported and (info.name, name) not in NOT_AT_TOP
    ]
    assert missing == [], f"{info.name} defines {missing}, absent from {package}.__all__"
