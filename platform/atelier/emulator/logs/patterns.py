"""CloudWatch Logs filter patterns (CloudWatch Logs User Guide, "Filter pattern syntax for metric
filters"): terms, quoted phrases, ``-term`` exclusion, ``?term`` OR, and JSON patterns
``{ $.a = "x" && ($.b > 3 || $.c NOT EXISTS) }``. Terms are case-sensitive, as on AWS.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Matcher = Callable[[str], "Match | None"]
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>&&|\|\||!=|>=|<=|=|>|<|\(|\))|(?P<word>[^\s()=!<>&|"]+))'
)
_SELECTOR = re.compile(r"^\$((?:\.[A-Za-z_@][\w@-]*|\[\d+\]|\.\*)*)$")
_MISSING = object()


class PatternError(ValueError):
    """An unparseable pattern: AWS answers InvalidParameterException."""


@dataclass(frozen=True)
class Match:
    document: Any  # the parsed JSON event, or None for a text event

    def field(self, selector: str) -> Any:
        return select(self.document, selector) if self.document is not None else _MISSING


def select(doc: Any, selector: str) -> Any:
    m = _SELECTOR.match(selector.strip())
    if not m:
        raise PatternError(f"Invalid selector {selector!r}")
    cur = doc
    for part in re.findall(r"\.[A-Za-z_@][\w@-]*|\[\d+\]", m.group(1)):
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(cur, list) or idx >= len(cur):
                return _MISSING
            cur = cur[idx]
        else:
            if not isinstance(cur, dict) or part[1:] not in cur:
                return _MISSING
            cur = cur[part[1:]]
    return cur


def is_missing(value: Any) -> bool:
    return value is _MISSING


def compile_pattern(pattern: str) -> Matcher:
    text = (pattern or "").strip()
    if not text:
        return lambda message: Match(_json_or_none(message))
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("Invalid metric filter pattern: unbalanced '{'")
        predicate = _JsonParser(text[1:-1]).parse()

        def match_json(message: str) -> Match | None:
            doc = _json_or_none(message)
            return Match(doc) if doc is not None and predicate(doc) else None

        return match_json
    if text.startswith("["):
        raise PatternError("space-delimited patterns ([...]) are not supported by the runtime")
    return _terms(text)


def _json_or_none(message: str) -> Any:
    s = message.strip()
    if not s.startswith("{"):
        return None
    try:
        return json.loads(s)
    except ValueError:
        return None


def _terms(text: str) -> Matcher:
    tokens = re.findall(r'-?\??"(?:[^"\\]|\\.)*"|\S+', text)
    must: list[str] = []
    must_not: list[str] = []
    any_of: list[str] = []
    for tok in tokens:
        target = must
        if tok.startswith("?"):
            target, tok = any_of, tok[1:]
        elif tok.startswith("-"):
            target, tok = must_not, tok[1:]
        if tok.startswith('"'):
            if len(tok) < 2 or not tok.endswith('"'):
                raise PatternError(f"Invalid metric filter pattern: unterminated quote in {tok!r}")
            tok = tok[1:-1]
        if not tok:
            raise PatternError("Invalid metric filter pattern: empty term")
        target.append(tok)

    def match(message: str) -> Match | None:
        if any_of and not any(t in message for t in any_of):
            return None
        if any(t not in message for t in must) or any(t in message for t in must_not):
            return None
        return Match(_json_or_none(message))

    return match


Predicate = Callable[[Any], bool]


class _JsonParser:
    def __init__(self, body: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(body):
            if body[pos:].strip() == "":
                break
            m = _TOKEN.match(body, pos)
            if not m or m.end() == pos:
                raise PatternError(f"Invalid metric filter pattern near {body[pos : pos + 20]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def parse(self) -> Predicate:
        if not self.tokens:
            raise PatternError("Invalid metric filter pattern: empty JSON pattern")
        pred = self._or()
        if self.i != len(self.tokens):
            raise PatternError(
                f"Invalid metric filter pattern: unexpected {self.tokens[self.i][1]!r}"
            )
        return pred

    def _peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def _next(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise PatternError("Invalid metric filter pattern: unexpected end")
        self.i += 1
        return self.tokens[self.i - 1]

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek() == "||":
            self._next()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda d: any(p(d) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._peek() == "&&":
            self._next()
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else (lambda d: all(p(d) for p in parts))

    def _unary(self) -> Predicate:
        if self._peek() == "(":
            self._next()
            inner = self._or()
            if self._next()[1] != ")":
                raise PatternError("Invalid metric filter pattern: missing ')'")
            return inner
        kind, selector = self._next()
        if kind != "word" or not _SELECTOR.match(selector):
            raise PatternError(
                f"Invalid metric filter pattern: expected a $.selector, got {selector!r}"
            )
        kind, op = self._next()
        if kind == "word" and op.upper() in ("IS", "NOT"):
            word = self._next()[1].upper()
            if op.upper() == "NOT" and word == "EXISTS":
                return lambda d: is_missing(select(d, selector))
            if op.upper() == "IS" and word in ("NULL", "TRUE", "FALSE"):
                want = {"NULL": None, "TRUE": True, "FALSE": False}[word]
                return lambda d: select(d, selector) is want
            raise PatternError(f"Invalid metric filter pattern: {op} {word}")
        if kind != "op" or op in ("(", ")", "&&", "||"):
            raise PatternError(f"Invalid metric filter pattern: expected an operator, got {op!r}")
        vkind, raw = self._next()
        if vkind == "op":
            raise PatternError(f"Invalid metric filter pattern: expected a value, got {raw!r}")
        return _comparison(selector, op, raw, quoted=vkind == "str")


def _comparison(selector: str, op: str, raw: str, quoted: bool) -> Predicate:
    number: float | None = None
    if not quoted:
        try:
            number = float(raw)
        except ValueError:
            number = None
    text = json.loads(raw) if quoted else raw
    if number is None and op not in ("=", "!="):
        raise PatternError(f"Invalid metric filter pattern: {op} needs a number, got {raw!r}")

    def compare(doc: Any) -> bool:
        value = select(doc, selector)
        if is_missing(value):
            return False
        if number is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            v = float(value)
            return {
                "=": v == number,
                "!=": v != number,
                ">": v > number,
                "<": v < number,
                ">=": v >= number,
                "<=": v <= number,
            }[op]
        if number is not None and op not in ("=", "!="):
            return False
        equal = isinstance(value, str) and fnmatch.fnmatchcase(value, text)
        return equal if op == "=" else not equal

    return compare
