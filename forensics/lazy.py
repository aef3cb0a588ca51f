"""Regular expressions and modules made the first time they are used, not when the module naming them is imported.

A capture imports the analysis, the redaction and the fleet rules to summarise one process, and much of them never
runs on it: a celery worker's patterns on a plain daemon, a C call's names on a frame that has kernel state, ``ast``
when no source file can be read (a target in a container). Compiling and importing them all cost every capture
about 25 M instructions.

* ``compile(pattern, flags)`` stands in for ``re.compile``: the first method called compiles it, and from then on
  its methods are the compiled pattern's own (bound on the instance: no indirection left).
* ``module(name, globals())`` stands in for ``import name``: the first attribute used imports it and rebinds the
  caller's global to the module itself.
"""
from __future__ import annotations

import re

_METHODS = ("match", "fullmatch", "search", "sub", "subn", "findall", "finditer", "split")


class compile:  # it stands in for re.compile (a name of this module only: re is imported whole)
    """``re.compile(pattern, flags)``, compiled on first use."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str):
        compiled = re.compile(*self.__dict__["_args"])
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


class module:
    """``import name`` into ``owner`` (a module's ``globals()``) on first use, under the same global name."""

    def __init__(self, name: str, owner: dict) -> None:
        self._name, self._owner = name, owner

    def __getattr__(self, attr: str):
        import importlib

        name = self.__dict__["_name"]
        real = importlib.import_module(name)
        self.__dict__["_owner"][name] = real
        return getattr(real, attr)
