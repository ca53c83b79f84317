"""Menus that flow modules add themselves to, so no shared file lists every flow."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MenuItem:
    # English, marked with N_(): a template shows `_(item.title)` in the reader's language.
    title: str
    endpoint: str
    hint: str = ""
    order: int = 50
    role: str = "OPERATOR"
    # Shown only when this says so (e.g. a transfer waiting at this site); None: always.
    when: Callable[[], bool] | None = None


HANDHELD_MENU: list[MenuItem] = []
DESK_MENU: list[MenuItem] = []


def add(menu: list[MenuItem], item: MenuItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in menu):
        menu.append(item)
        menu.sort(key=lambda m: (m.order, str(m.title)))


def import_submodules(package_name: str, package_path) -> None:
    """Import every module of a blueprint package so each flow's routes register themselves."""
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda i: i.name):
        importlib.import_module(f"{package_name}.{info.name}")
