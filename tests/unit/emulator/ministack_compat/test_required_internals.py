"""Each ``ministack_compat`` module's ``REQUIRED_INTERNALS`` is what its code touches, exactly.

The list is derived from the source: every attribute chain read from a ``ministack`` module
(``ecs._tasks._data``, ``Worker._drain_stderr_bounded``, ``getattr(m, "x")``, a name imported
from a module, ``self.<x>`` inside a method written for a MiniStack class). A name used but not
listed, or listed but not used, fails here; every listed name must exist in the pinned
MiniStack. Only ``ministack_compat`` may import MiniStack at all.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import atelier
from atelier.emulator import ministack_compat

Touched = dict[str, set[str]]
COMPAT_MODULES = sorted(
    f"{ministack_compat.__name__}.{m.name}" for m in pkgutil.iter_modules(ministack_compat.__path__)
)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


class _Scan(ast.NodeVisitor):
    """Collects ``{ministack module: {dotted names}}`` touched by one source file."""

    def __init__(self) -> None:
        self.touched: Touched = {}
        # local name -> (module, attribute path inside it; "" for the module itself)
        self.scopes: list[dict[str, tuple[str, str]]] = [{}]

    def _bind(self, local: str, target: tuple[str, str]) -> None:
        self.scopes[-1][local] = target

    def _lookup(self, local: str) -> tuple[str, str] | None:
        for scope in reversed(self.scopes):
            if local in scope:
                return scope[local]
        return None

    def _add(self, module: str, path: str) -> None:
        if path:
            self.touched.setdefault(module, set()).add(path)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("ministack"):
                self._bind(alias.asname or alias.name, (alias.name, ""))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if not base.startswith("ministack"):
            return
        for alias in node.names:
            local = alias.asname or alias.name
            if _is_module(f"{base}.{alias.name}"):
                self._bind(local, (f"{base}.{alias.name}", ""))
            else:
                self._bind(local, (base, alias.name))
                self._add(base, alias.name)

    def _root(self, node: ast.expr) -> tuple[str, str] | None:
        if isinstance(node, ast.Name):
            return self._lookup(node.id)
        if (  # importlib.import_module("ministack....")
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("ministack")
        ):
            return (str(node.args[0].value), "")
        return None

    def _chain(self, node: ast.expr) -> tuple[ast.expr, list[str]]:
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.insert(0, node.attr)
            node = node.value
        return node, attrs

    def _record(self, node: ast.expr, extra: list[str]) -> bool:
        base, attrs = self._chain(node)
        root = self._root(base)
        if root is None:
            return False
        module, prefix = root
        self._add(module, ".".join(p for p in (prefix, *attrs, *extra) if p))
        return True

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base, _ = self._chain(node)
        if not self._record(node, []):
            self.visit(base)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and self._record(node.args[0], [str(node.args[1].value)])
        ):
            for arg in node.args[2:]:
                self.visit(arg)
            return
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        scope: dict[str, tuple[str, str]] = {}
        args = node.args.posonlyargs + node.args.args
        if args and isinstance(args[0].annotation, ast.Constant | ast.Name | ast.Attribute):
            annotation = args[0].annotation
            text = annotation.value if isinstance(annotation, ast.Constant) else None
            target = (
                self._root(ast.parse(str(text), mode="eval").body) if text else None
            ) or self._chain_target(annotation)
            if target is not None:  # a method written for a MiniStack class
                scope[args[0].arg] = target
        self.scopes.append(scope)
        self.generic_visit(node)
        self.scopes.pop()

    def _chain_target(self, node: ast.expr) -> tuple[str, str] | None:
        base, attrs = self._chain(node)
        root = self._root(base)
        if root is None:
            return None
        return root[0], ".".join(p for p in (root[1], *attrs) if p)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function


def touched_names(source: str) -> Touched:
    scan = _Scan()
    scan.visit(ast.parse(source))
    return scan.touched


def listed_names(module: ModuleType) -> Touched:
    listed = getattr(module, "REQUIRED_INTERNALS", {})
    return {name: set(names) for name, names in listed.items()}


def differences(touched: Touched, listed: Touched) -> list[str]:
    out = []
    for module in sorted(set(touched) | set(listed)):
        used, named = touched.get(module, set()), listed.get(module, set())
        if used - named:
            out.append(f"{module}: used but not listed: {sorted(used - named)}")
        if named - used:
            out.append(f"{module}: listed but not used: {sorted(named - used)}")
    return out


def _exists(module: str, dotted: str) -> bool:
    obj: Any = importlib.import_module(module)
    for part in dotted.split("."):
        if not hasattr(obj, part):
            # an instance attribute the class sets counts; nothing else does
            return inspect.isclass(obj) and bool(
                re.search(rf"self\.{part}\b", inspect.getsource(obj))
            )
        obj = getattr(obj, part)
    return True


@pytest.mark.parametrize("name", COMPAT_MODULES)
def test_required_internals_are_exactly_what_the_module_touches(name: str) -> None:
    module = importlib.import_module(name)
    source = Path(str(module.__file__)).read_text()
    problems = differences(touched_names(source), listed_names(module))
    assert not problems, f"{name}.REQUIRED_INTERNALS is out of date:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", COMPAT_MODULES)
def test_every_required_internal_exists_in_the_pinned_ministack(name: str) -> None:
    listed = listed_names(importlib.import_module(name))
    missing = [
        f"{m}.{d}" for m, names in listed.items() for d in sorted(names) if not _exists(m, d)
    ]
    assert not missing, f"MiniStack no longer has {missing}: update {name}"


def test_only_ministack_compat_imports_ministack() -> None:
    root = Path(atelier.__file__).parent
    compat = Path(ministack_compat.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if compat not in path.parents
        and re.search(r"^\s*(from|import) ministack\b", path.read_text(), re.M)
    ]
    assert not offenders, f"MiniStack internals outside ministack_compat: {offenders}"


# ---- the check catches what it claims: a broken list or a new use ---------------------------

ECS_LIKE = """
from ministack.services import ecs
from ministack.core.responses import request_scope

def tasks():
    with request_scope("a", "r"):
        return list(ecs._tasks._data.items())
"""


def test_a_new_use_that_is_not_listed_is_reported() -> None:
    listed = {
        "ministack.services.ecs": {"_tasks._data.items"},
        "ministack.core.responses": {"request_scope"},
    }
    assert differences(touched_names(ECS_LIKE), listed) == []
    grown = ECS_LIKE + "\ndef more():\n    return ecs._brand_new_internal\n"
    assert differences(touched_names(grown), listed) == [
        "ministack.services.ecs: used but not listed: ['_brand_new_internal']"
    ]


def test_a_listed_name_nobody_uses_is_reported() -> None:
    listed = {
        "ministack.services.ecs": {"_tasks._data.items", "_unused"},
        "ministack.core.responses": {"request_scope"},
    }
    assert differences(touched_names(ECS_LIKE), listed) == [
        "ministack.services.ecs: listed but not used: ['_unused']"
    ]


def test_getattr_setattr_import_module_and_methods_for_ministack_classes_count() -> None:
    source = """
import importlib
from ministack.core import lambda_runtime
from ministack.core.lambda_runtime import Worker

def off():
    setattr(importlib.import_module("ministack.services.rds"), "_get_docker", None)
    return getattr(lambda_runtime, "_PYTHON_WORKER_SCRIPT", "")

def drain(self: Worker) -> None:
    return self._stderr_queue
"""
    assert touched_names(source) == {
        "ministack.core.lambda_runtime": {
            "Worker",
            "Worker._stderr_queue",
            "_PYTHON_WORKER_SCRIPT",
        },
        "ministack.services.rds": {"_get_docker"},
    }


def test_a_name_missing_from_ministack_is_reported() -> None:
    assert _exists("ministack.core.lambda_runtime", "Worker._drain_stderr_bounded")
    assert _exists("ministack.core.lambda_runtime", "Worker._stderr_queue")  # set in __init__
    assert not _exists("ministack.services.ecs", "_no_such_internal")
