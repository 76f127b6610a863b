"""A small evaluator for GitHub Actions expressions (``${{ ... }}`` and ``if:`` conditions).

It covers what Atelier's workflows use: literals, context paths (``github.event.x``,
``needs.*.result``), ``! && || == != < <= > >=``, and the functions ``contains``,
``startsWith``, ``endsWith``, ``join``, ``format``, ``always``, ``success``, ``failure`` and
``cancelled``. Anything else raises :class:`ExpressionError`, so a workflow that outgrows the
simulator fails its tests loudly instead of being misread.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

STATUS_FUNCTIONS = ("always", "success", "failure", "cancelled")
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class ExpressionError(ValueError):
    """An expression the simulator cannot read."""


class Placeholder(dict[str, Any]):
    """A context whose values are unknown statically (``vars``, ``secrets``, step outputs):
    every property reads as the text ``<prefix.name>``."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def lookup(self, name: str) -> Any:
        return f"<{self.prefix}.{name}>"


class _Projection(list[Any]):
    """The result of ``.*``: property access maps over its items (``labels.*.name``)."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot read expression at {text[pos:]!r} in {text!r}")
        pos = m.end()
        if m.group("str") is not None:
            out.append(("lit", m.group("str")[1:-1].replace("''", "'")))
        elif m.group("num") is not None:
            out.append(("lit", float(m.group("num"))))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            name = m.group("name")
            literal = {"true": True, "false": False, "null": None}
            out.append(("lit", literal[name]) if name in literal else ("name", name))
    return out


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value) if value.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def equal(a: Any, b: Any) -> bool:
    """GitHub's loose equality: strings case-insensitively, mixed types as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b):
        return bool(a == b)
    return _number(a) == _number(b)


def truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.context = context
        self.status = status

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, op: str | None = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or (op is not None and tok != ("op", op)):
            raise ExpressionError(f"expected {op or 'a value'} in {self.text!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.cmp()
            value = right if truthy(value) else value
        return value

    def cmp(self) -> Any:
        left = self.unary()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.unary()
            op = tok[1]
            if op == "==":
                return equal(left, right)
            if op == "!=":
                return not equal(left, right)
            a, b = _number(left), _number(right)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return left

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.take()
                nxt = self.take()
                if nxt == ("op", "*"):
                    value = _star(value)
                elif nxt[0] == "name":
                    value = _prop(value, nxt[1])
                else:
                    raise ExpressionError(f"bad property access in {self.text!r}")
            elif tok == ("op", "["):
                self.take()
                key = self.or_()
                self.take("]")
                value = _star(value) if key == "*" else _index(value, key)
            else:
                return value

    def primary(self) -> Any:
        tok = self.take()
        if tok[0] == "lit":
            return tok[1]
        if tok == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if tok[0] == "name":
            if self.peek() == ("op", "("):
                self.take()
                args: list[Any] = []
                if self.peek() != ("op", ")"):
                    args.append(self.or_())
                    while self.peek() == ("op", ","):
                        self.take()
                        args.append(self.or_())
                self.take(")")
                return self.call(tok[1], args)
            if tok[1] not in self.context:
                raise ExpressionError(f"unknown context {tok[1]!r} in {self.text!r}")
            return self.context[tok[1]]
        raise ExpressionError(f"unexpected {tok[1]!r} in {self.text!r}")

    def call(self, name: str, args: list[Any]) -> Any:
        lname = name.lower()
        if lname in STATUS_FUNCTIONS:
            return self.status.get(lname, lname == "always")
        functions: dict[str, Callable[..., Any]] = {
            "contains": _contains,
            "startswith": lambda s, p: to_string(s).lower().startswith(to_string(p).lower()),
            "endswith": lambda s, p: to_string(s).lower().endswith(to_string(p).lower()),
            "join": lambda xs, sep=",": to_string(sep).join(to_string(x) for x in _listify(xs)),
            "format": lambda f, *xs: re.sub(
                r"\{(\d+)\}", lambda m: to_string(xs[int(m.group(1))]), to_string(f)
            ),
        }
        if lname not in functions:
            raise ExpressionError(f"function {name}() is not supported by the simulator")
        return functions[lname](*args)


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _contains(search: Any, item: Any) -> bool:
    if isinstance(search, list):
        return any(equal(x, item) for x in search)
    return to_string(item).lower() in to_string(search).lower()


def _prop(value: Any, name: str) -> Any:
    if isinstance(value, _Projection):
        return _Projection(_prop(v, name) for v in value)
    if isinstance(value, Placeholder):
        return value.lookup(name)
    if isinstance(value, Mapping):
        for key in value:
            if isinstance(key, str) and key.lower() == name.lower():
                return value[key]
    return None


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, list) and isinstance(key, float):
        return value[int(key)] if 0 <= int(key) < len(value) else None
    return _prop(value, to_string(key))


def _star(value: Any) -> _Projection:
    if isinstance(value, Mapping):
        return _Projection(value.values())
    if isinstance(value, list):
        return _Projection(value)
    return _Projection()


def evaluate(
    expression: str, context: Mapping[str, Any], status: Mapping[str, bool] | None = None
) -> Any:
    """Evaluate a bare expression (no ``${{ }}``)."""
    return _Parser(expression, context, status or {}).parse()


def uses_status_function(expression: str) -> bool:
    return any(
        name == "name" and str(v).lower() in STATUS_FUNCTIONS for name, v in _tokens(expression)
    )


def condition(
    text: str | bool | None, context: Mapping[str, Any], status: Mapping[str, bool]
) -> bool:
    """An ``if:``: implicit ``success() &&`` unless it calls a status function itself."""
    if text is None:
        return status.get("success", True)
    if isinstance(text, bool):
        return text and status.get("success", True)
    expr = text.strip()
    whole = _TEMPLATE.fullmatch(expr)
    if whole:
        expr = whole.group(1)
    value = truthy(evaluate(expr, context, status))
    if uses_status_function(expr):
        return value
    return value and status.get("success", True)


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Resolve ``${{ }}`` in a string (a lone template keeps the value's type)."""
    if not isinstance(value, str):
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        return evaluate(whole.group(1), context)
    return _TEMPLATE.sub(lambda m: to_string(evaluate(m.group(1), context)), value)
