"""Dotted-path overrides of scenario data: ``staff.front.agents.headcount``, ``staff.front[0]``."""

from __future__ import annotations

import re
from typing import Any

from servsim.scenario.errors import ScenarioError, unknown_name

__all__ = ["differing_paths", "set_path"]


def set_path(data: Any, path: str, value: Any) -> None:
    """Set ``value`` at a dotted path in plain data; list items by index or by ``name``."""
    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    if not parts:
        raise ScenarioError("overrides", [f"empty path '{path}'"])
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, path)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    node[part] = {}
                node = node[part]
        else:
            raise ScenarioError("overrides", [f"{path}: '{part}' is below a plain value"])


def _list_index(node: list[Any], part: str, path: str) -> int:
    if part.isdigit():
        index = int(part)
        if index >= len(node):
            raise ScenarioError(
                "overrides", [f"{path}: index {index} out of range ({len(node)} items)"]
            )
        return index
    names = [item.get("name") for item in node if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    allowed = [str(n) for n in names]
    raise ScenarioError("overrides", [f"{path}: {unknown_name('item', part, allowed)}"])


def differing_paths(
    a: Any, b: Any, ignore: frozenset[str] = frozenset(), prefix: str = ""
) -> list[tuple[str, Any, Any]]:
    """Every dotted path where two plain-data trees differ, with both values (None: absent).

    Lists of named items (pools, touchpoints, segments) are matched by name, so a reordering
    is no difference and a path reads ``staff.front.agents.headcount``; other lists by index.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in dict.fromkeys([*a, *b]):
            path = f"{prefix}.{key}" if prefix else str(key)
            if path in ignore:
                continue
            out += differing_paths(a.get(key), b.get(key), ignore, path)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if _named(a) and _named(b):
            by_name_a = {item["name"]: item for item in a}
            by_name_b = {item["name"]: item for item in b}
            return differing_paths(by_name_a, by_name_b, ignore, prefix)
        if len(a) == len(b):
            return [
                found
                for i, (x, y) in enumerate(zip(a, b, strict=True))
                for found in differing_paths(x, y, ignore, f"{prefix}[{i}]")
            ]
    return [] if a == b else [(prefix, a, b)]


def _named(items: list[Any]) -> bool:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    return (
        len(names) == len(items)
        and all(isinstance(n, str) for n in names)
        and (len(set(names)) == len(names))
    )
