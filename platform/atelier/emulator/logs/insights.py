"""CloudWatch Logs Insights queries, evaluated over log events (CloudWatch Logs User Guide,
"CloudWatch Logs Insights language query syntax"): ``fields``, ``filter``, ``parse``, ``stats``
(count, sum, avg, min, max, pct ... ``by`` fields and ``bin(5m)``), ``sort``, ``limit``.

JSON messages expose their fields (``a.b`` for nested ones), as Insights discovers them.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]
DEFAULT_LIMIT = 10_000
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TOKEN = re.compile(
    r'\s*(?:(?P<re>/(?:[^/\\]|\\.)*/i?)|(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')'
    r"|(?P<op>!=|>=|<=|=|>|<|\(|\)|,|\[|\])|(?P<word>[@\w.$*-]+))"
)


class QueryError(ValueError):
    """A query Insights would refuse: MalformedQueryException."""


def _flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.update(_flatten(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = doc
    return out


def record(timestamp_ms: int, message: str, stream: str = "", group: str = "") -> Row:
    row: Row = {
        "@timestamp": timestamp_ms,
        "@message": message,
        "@logStream": stream,
        "@log": group,
    }
    text = message.strip()
    if text.startswith("{"):
        with contextlib.suppress(ValueError):
            row.update(_flatten(json.loads(text)))
    return row


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text) and text[pos:].strip():
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"unexpected character at {text[pos : pos + 15]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return raw[1:-1]
    try:
        return float(raw)
    except ValueError:
        return raw


class _Expr:
    """filter expressions: comparisons, like, in, and/or/not, parentheses."""

    def __init__(self, text: str) -> None:
        self.t, self.i = _tokens(text), 0

    def parse(self) -> Callable[[Row], bool]:
        if not self.t:
            raise QueryError("empty filter")
        pred = self._or()
        if self.i != len(self.t):
            raise QueryError(f"unexpected {self.t[self.i][1]!r} in filter")
        return pred

    def _peek(self) -> str:
        return self.t[self.i][1].lower() if self.i < len(self.t) else ""

    def _take(self) -> tuple[str, str]:
        if self.i >= len(self.t):
            raise QueryError("filter ends too early")
        self.i += 1
        return self.t[self.i - 1]

    def _or(self) -> Callable[[Row], bool]:
        parts = [self._and()]
        while self._peek() == "or":
            self._take()
            parts.append(self._and())
        return lambda r: any(p(r) for p in parts)

    def _and(self) -> Callable[[Row], bool]:
        parts = [self._not()]
        while self._peek() == "and":
            self._take()
            parts.append(self._not())
        return lambda r: all(p(r) for p in parts)

    def _not(self) -> Callable[[Row], bool]:
        if self._peek() == "not":
            self._take()
            inner = self._not()
            return lambda r: not inner(r)
        if self._peek() == "(":
            self._take()
            inner = self._or()
            if self._take()[1] != ")":
                raise QueryError("missing ')'")
            return inner
        return self._comparison()

    def _comparison(self) -> Callable[[Row], bool]:
        kind, field = self._take()
        if kind != "word":
            raise QueryError(f"expected a field, got {field!r}")
        op = self._take()[1].lower()
        if op == "like":
            vkind, raw = self._take()
            if vkind == "re":
                flags = re.I if raw.endswith("i") else 0
                rx = re.compile(raw[1 : raw.rindex("/")], flags)
                return lambda r: rx.search(str(r.get(field, ""))) is not None
            sub = str(_literal(vkind, raw))
            return lambda r: sub in str(r.get(field, ""))
        if op == "in":
            if self._take()[1] != "[":
                raise QueryError("expected '[' after in")
            values = []
            while True:
                vkind, raw = self._take()
                values.append(_literal(vkind, raw))
                sep = self._take()[1]
                if sep == "]":
                    break
            return lambda r: _coerce(r.get(field)) in values or r.get(field) in values
        if op not in ("=", "!=", "<", ">", "<=", ">="):
            raise QueryError(f"unknown operator {op!r}")
        vkind, raw = self._take()
        value = _literal(vkind, raw)
        return lambda r: _compare(r.get(field), op, value)


def _coerce(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _compare(got: Any, op: str, want: Any) -> bool:
    if got is None:
        return op == "!="
    a = _coerce(got) if isinstance(want, float) else str(got)
    if isinstance(want, float) and not isinstance(a, float):
        return op == "!="
    if op == "=":
        return bool(a == want)
    if op == "!=":
        return bool(a != want)
    try:
        return bool({"<": a < want, ">": a > want, "<=": a <= want, ">=": a >= want}[op])
    except TypeError:
        return False


def _split_commas(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _alias(item: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)\s+as\s+([@\w.]+)$", item.strip(), re.I)
    return (m.group(1).strip(), m.group(2)) if m else (item.strip(), item.strip())


def _bin_key(expr: str) -> Callable[[Row], Any] | None:
    m = re.match(r"^bin\(\s*(\d+)\s*([smhd])\s*\)$", expr, re.I)
    if not m:
        return None
    width = int(m.group(1)) * _UNITS[m.group(2).lower()] * 1000

    def key(r: Row) -> str:
        start = int(r["@timestamp"]) // width * width
        return datetime.fromtimestamp(start / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.000")

    return key


def _aggregate(func: str, rows: list[Row]) -> Any:
    m = re.match(r"^(\w+)\((.*)\)$", func.strip())
    if not m:
        raise QueryError(f"unknown aggregation {func!r}")
    name, args = m.group(1).lower(), [a.strip() for a in _split_commas(m.group(2))]
    if name == "count":
        if not args or args == ["*"] or args == [""]:
            return len(rows)
        return sum(1 for r in rows if r.get(args[0]) is not None)
    values = [v for v in (_coerce(r.get(args[0])) for r in rows) if isinstance(v, float)]
    if name == "sum":
        return sum(values)
    if not values:
        return None
    if name == "avg":
        return sum(values) / len(values)
    if name == "min":
        return min(values)
    if name == "max":
        return max(values)
    if name in ("pct", "percentile"):
        ordered = sorted(values)
        rank = max(1, math.ceil(float(args[1]) / 100 * len(ordered)))
        return ordered[rank - 1]
    raise QueryError(f"unknown aggregation {name!r}")


def _field_key(field: str) -> Callable[[Row], Any]:
    return lambda r: r.get(field)


def _stats(arg: str, rows: list[Row]) -> list[Row]:
    m = re.match(r"^(.*?)(?:\s+by\s+(.*))?$", arg, re.I | re.S)
    assert m is not None
    aggs = [_alias(a) for a in _split_commas(m.group(1))]
    groups = [_alias(g) for g in _split_commas(m.group(2) or "")]
    keys = [(alias, _bin_key(expr) or _field_key(expr)) for expr, alias in groups]
    buckets: dict[tuple[Any, ...], list[Row]] = {}
    for r in rows:
        buckets.setdefault(tuple(k(r) for _, k in keys), []).append(r)
    out = []
    for key, members in buckets.items():
        row = {alias: value for (alias, _), value in zip(keys, key, strict=True)}
        row.update({alias: _aggregate(expr, members) for expr, alias in aggs})
        out.append(row)
    return out


def _parse(arg: str, rows: list[Row]) -> None:
    m = re.match(r'^([@\w.]+)\s+(".*"|/.*/)\s*(?:as\s+(.*))?$', arg.strip(), re.S)
    if not m:
        raise QueryError(f"cannot read parse {arg!r}")
    field, pattern, names = m.group(1), m.group(2), m.group(3)
    if pattern.startswith("/"):
        rx = re.compile(re.sub(r"\(\?<(\w+)>", r"(?P<\1>", pattern[1:-1]))
        for r in rows:
            hit = rx.search(str(r.get(field, "")))
            if hit:
                r.update(hit.groupdict())
        return
    aliases = [n.strip() for n in (names or "").split(",") if n.strip()]
    pieces = [re.escape(p) for p in pattern[1:-1].split("*")]
    body = "(.*?)".join(pieces)
    if pattern[1:-1].endswith("*"):
        body = body[: -len("(.*?)")] + "(.*)"
    rx = re.compile(body)
    if rx.groups != len(aliases):
        raise QueryError("parse: one name per '*' is needed")
    for r in rows:
        hit = rx.search(str(r.get(field, "")))
        if hit:
            r.update(dict(zip(aliases, hit.groups(), strict=True)))


def run(query: str, rows: list[Row]) -> list[Row]:
    """The result rows, each a field -> value dict, in Insights' order."""
    if not query.strip():
        raise QueryError("empty query")
    rows = [dict(r) for r in sorted(rows, key=lambda r: r["@timestamp"], reverse=True)]
    shown: list[str] | None = None
    limit = DEFAULT_LIMIT
    for stage in (s.strip() for s in query.split("|")):
        command, _, arg = stage.partition(" ")
        command = command.lower()
        if command == "fields":
            exprs = [_alias(f) for f in _split_commas(arg)]
            shown = (shown or []) + [alias for _, alias in exprs]
            for r in rows:
                r.update({alias: r.get(expr) for expr, alias in exprs if expr != alias})
        elif command == "filter":
            pred = _Expr(arg).parse()
            rows = [r for r in rows if pred(r)]
        elif command == "parse":
            _parse(arg, rows)
        elif command == "stats":
            rows = _stats(arg, rows)
            shown = list(rows[0]) if rows else []
        elif command == "sort":
            m = re.match(r"^([@\w.]+)(?:\s+(asc|desc))?$", arg.strip(), re.I)
            if not m:
                raise QueryError(f"cannot read sort {arg!r}")
            field, desc = m.group(1), (m.group(2) or "desc").lower() == "desc"
            present = [r for r in rows if r.get(field) is not None]
            present.sort(
                key=lambda r: (
                    _coerce(r[field]) if isinstance(_coerce(r[field]), float) else str(r[field])
                ),
                reverse=desc,
            )
            rows = present + [r for r in rows if r.get(field) is None]
        elif command == "limit":
            if not arg.strip().isdigit():
                raise QueryError(f"limit needs a number, got {arg!r}")
            limit = int(arg)
        elif command == "display":
            shown = [f.strip() for f in arg.split(",")]
        else:
            raise QueryError(f"unknown command {command!r}")
    rows = rows[:limit]
    if shown is None:
        shown = ["@timestamp", "@message"]
    return [{f: _show(r.get(f), f) for f in shown} for r in rows]


def _show(value: Any, field: str) -> Any:
    if field == "@timestamp" and isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
