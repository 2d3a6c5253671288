"""Routing one of moto's methods to the local runtime while it runs, and back afterwards."""

from __future__ import annotations

import importlib
import threading
from typing import Any, Generic, TypeVar

Owner = TypeVar("Owner")


class MotoPatch(Generic[Owner]):
    """Replaces method `name` of moto's class `target` ("module:Class", imported on first
    install: moto stays unimported until a cloud starts), or the function `name` of a module
    (`target` "module"), with `replacement` while an owner is installed.

    The original method is kept in `original` so the replacement can fall back to it; installing
    again swaps the owner, and only the current owner's uninstall restores moto.
    """

    def __init__(self, target: str, name: str, replacement: Any) -> None:
        self._target = target
        self._name = name
        self.replacement = replacement
        self._lock = threading.Lock()
        self.owner: Owner | None = None
        self.original: Any = None
        self._defined: Any = None

    def _load_class(self) -> Any:
        module, _, cls = self._target.partition(":")
        imported = importlib.import_module(module)
        return getattr(imported, cls) if cls else imported

    def install(self, owner: Owner) -> None:
        cls = self._load_class()
        with self._lock:
            if self.original is None:
                self.original = getattr(cls, self._name)
                # As defined (a staticmethod stays one when restored).
                self._defined = vars(cls)[self._name]
                setattr(cls, self._name, self.replacement)
            self.owner = owner

    def uninstall(self, owner: Owner | None = None) -> None:
        cls = self._load_class()
        with self._lock:
            if owner is not None and self.owner is not owner:
                return
            self.owner = None
            if self.original is not None:
                setattr(cls, self._name, self._defined)
                self.original = None
