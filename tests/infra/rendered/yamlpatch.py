"""Copilot's YAML patch overrides (internal/pkg/override/patch.go), applied to a template as a
dictionary: `add`, `remove` and `replace` with RFC 6901 paths, and nothing else.

Copilot's rules, which a patch file must follow to deploy:
- the path starts with "/" (the first segment names the document itself);
- `replace` and `remove` need the target to exist; `add` needs its parent to exist;
- `add` on an existing map key replaces the value; on a sequence it inserts at an index from 0 to
  the length, or appends with "-"; `replace`/`remove` take an index from 0 to length - 1;
- `add` and `replace` need a value.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from devstack import templates

OPERATIONS = ("add", "remove", "replace")


class PatchError(Exception):
    """The patch cannot be applied: Copilot would refuse the deployment with this reason."""


def load(path: Path) -> list[dict[str, Any]]:
    patches = templates.load(path) if path.is_file() else []
    if not isinstance(patches, list):
        raise PatchError(f"{path}: a YAML patch file is a list of operations")
    return patches


def _segments(path: str) -> list[str]:
    if not path.startswith("/"):
        raise PatchError(f"path {path!r} does not start with /")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(key: str, upper: int, path: str) -> int:
    if not key.isdigit():
        raise PatchError(f"{path}: expected an index in a sequence, got {key!r}")
    index = int(key)
    if index > upper:
        raise PatchError(f"{path}: index {index} out of bounds")
    return index


def _walk(node: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                raise PatchError(f"{path}: {part!r} not found")
            node = node[part]
        elif isinstance(node, list):
            node = node[_index(part, len(node) - 1, path)]
        else:
            raise PatchError(f"{path}: {part!r} is inside a scalar")
    return node


def apply(template: dict[str, Any], patches: list[dict[str, Any]]) -> dict[str, Any]:
    """The template with the patches applied in order; the input is left unchanged."""
    result = copy.deepcopy(template)
    for number, patch in enumerate(patches):
        op, path = patch.get("op"), patch.get("path", "")
        if op not in OPERATIONS:
            raise PatchError(f"patch {number}: unsupported operation {op!r}")
        if op in ("add", "replace") and patch.get("value") is None:
            raise PatchError(f"patch {number} ({path}): value required")
        *parents, last = _segments(path)
        parent = _walk(result, parents, path)
        value = copy.deepcopy(patch.get("value"))
        if isinstance(parent, dict):
            if op != "add" and last not in parent:
                raise PatchError(f"patch {number}: {path} not found")
            if op == "remove":
                del parent[last]
            else:
                parent[last] = value
        elif isinstance(parent, list):
            if op == "add":
                index = len(parent) if last == "-" else _index(last, len(parent), path)
                parent.insert(index, value)
            else:
                index = _index(last, len(parent) - 1, path)
                if op == "remove":
                    del parent[index]
                else:
                    parent[index] = value
        else:
            raise PatchError(f"patch {number}: the parent of {path} is a scalar")
    return result
