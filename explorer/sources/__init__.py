"""Source steps: one module per producer source, each with a YAML side file beside it.

`discover()` finds every module here that defines `run` and has a side file, so adding a source
is adding two files; nothing else needs editing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from explorer import paths

FRAMEWORK = ("base", "readers")


def discover() -> dict[str, ModuleType]:
    steps: dict[str, ModuleType] = {}
    for py in sorted(paths.SOURCES_DIR.glob("*.py")):
        name = py.stem
        if name.startswith("_") or name in FRAMEWORK or not py.with_suffix(".yaml").exists():
            continue
        module = importlib.import_module(f"explorer.sources.{name}")
        if hasattr(module, "run") and hasattr(module, "META"):
            steps[module.META["id"]] = module
    return steps
