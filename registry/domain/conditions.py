"""Red lines (røde linjer): a tiny, safe condition language for limits on delegated decisions.

Example: ``amount <= 10000 and not deviation and citizen_category in ['a', 'b']``.

The text comes from users, so it is never handed to eval/exec/compile: a tokenizer and a
recursive-descent parser build a small AST, which is type-checked against the attributes
declared for the decision area, evaluated in Python, and translated to a Casbin matcher.
Size, depth and node limits keep hostile input cheap to reject.
"""

from __future__ import annotations

import keyword
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal as _Lit

AttrType = _Lit["number", "boolean", "string"]

MAX_TEXT, MAX_DEPTH, MAX_NODES, MAX_IDENT, MAX_STRING = 2000, 32, 200, 64, 200
_TYPES = ("number", "boolean", "string")
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
# Attribute names that compile here but break in pycasbin: simpleeval refuses attributes starting
# with '_' or 'func_' and a few method names, Python keywords are syntax errors after 'r_attrs.',
# and when the request carries a dict, getattr() finds dict methods before the key fallback.
_CASBIN_UNSAFE = {"format", "format_map", "mro", "exec", "tb_frame", "gi_frame", "ag_frame",
                  "cr_frame", *(n for n in dir(dict) if not n.startswith("_"))}
# Letters and digits of any script (æøå), plus a few harmless marks. Excluded on purpose: quotes
# and backslashes (no escaping needed), '!', '&', '|' (pycasbin rewrites them textually, even
# inside strings), ',', '#', brackets and parentheses (casbin's CSV policy loaders split on them).
_STRING_PUNCT = set(" -_.:/+@%")
# pycasbin rewrites 'p.' / 'r1.' at a word boundary anywhere in a policy rule (strings included).
_CASBIN_ESCAPED = re.compile(r"\b[pr]\d*\.")
_TOKEN = re.compile(r"\s*(?:(?P<num>-?[0-9]+(?:\.[0-9]+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|"
                    r"(?P<op>==|!=|<=|>=|<|>)|(?P<punct>[()\[\],])|(?P<quote>['\"]))")


class ConditionError(ValueError):
    """A condition (or a value given to it) is invalid. ``position`` is a 0-based offset or None."""

    def __init__(self, message: str, position: int | None = None):
        self.message, self.position = message, position
        super().__init__(message if position is None else f"{message} at position {position}")


# --- AST: frozen nodes; positions are excluded from equality so parse(" a") == parse("a"). ---
@dataclass(frozen=True, slots=True)
class Lit:
    value: int | float | bool | str
    raw: str  # canonical spelling, e.g. "7.50" for 007.50, "'x'" for "x"
    type: AttrType
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Attr:
    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Lit | Attr
    right: Lit | Attr
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Member:
    subject: Lit | Attr
    items: tuple[Lit, ...]
    negated: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"; n-ary so that a and (b and c) prints canonically as a and b and c
    operands: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


Node = Lit | Attr | Compare | Member | Not | BoolOp


# --- Tokenizer and parser ---
def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, i = [], 0
    while True:
        m = _TOKEN.match(text, i)
        if m is None:
            j = len(text) - len(text[i:].lstrip())
            if j == len(text):
                return tokens + [("end", "", j)]
            hint = " (use '==' for equality)" if text[j] == "=" else ""
            raise ConditionError(f"unexpected character {text[j]!r}{hint}", j)
        kind, value, start, i = m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup), m.end()
        if kind == "word":
            if not _IDENT.fullmatch(value):
                raise ConditionError(f"invalid name {value!r}: use lowercase letters, digits and '_'", start)
            if len(value) > MAX_IDENT:
                raise ConditionError(f"name longer than {MAX_IDENT} characters", start)
            kind = "kw" if value in _KEYWORDS else "ident"
        elif kind == "quote":
            end = text.find(value, i)
            if end < 0:
                raise ConditionError("unterminated string", start)
            value, i = text[i:end], end + 1
            _check_string(value, start)
            kind = "str"
        tokens.append((kind, value, start))


def check_string_value(s: str) -> None:
    """A value a condition can name as a string literal (an attribute's allowed code)."""
    if not s:
        raise ConditionError("a value may not be empty")
    _check_string(s, 0)


def _check_string(s: str, start: int) -> None:
    if len(s) > MAX_STRING:
        raise ConditionError(f"string longer than {MAX_STRING} characters", start)
    for k, ch in enumerate(s):
        if not (ch.isalnum() or ch in _STRING_PUNCT):
            raise ConditionError(f"character {ch!r} is not allowed in strings", start + 1 + k)
    if m := _CASBIN_ESCAPED.search(s):
        raise ConditionError(f"{m.group()!r} is not allowed in strings (casbin would rewrite it)",
                             start + 1 + m.start())


def _literal(kind: str, value: str, pos: int) -> Lit:
    if kind == "str":
        return Lit(value, f"'{value}'", "string", pos)
    if kind == "kw":
        return Lit(value == "true", value, "boolean", pos)
    # int and float, exactly as Python (pycasbin) reads them, so both evaluators agree; leading
    # zeros go because '007' is a syntax error in Python.
    if "." not in value:
        return Lit(int(value), str(int(value)), "number", pos)
    whole, frac = value.split(".")
    return Lit(float(value), f"{'-' * whole.startswith('-')}{int(whole.lstrip('-'))}.{frac}", "number", pos)


class _Parser:
    def __init__(self, text: str):
        self.tokens, self.i, self.nodes, self.depth = _tokenize(text), 0, 0, 0

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def accept(self, kind: str, value: str) -> bool:
        hit = self.peek()[:2] == (kind, value)
        self.i += hit
        return hit

    def fail(self, expected: str) -> ConditionError:
        kind, value, pos = self.peek()
        found = "end of input" if kind == "end" else repr(value)
        return ConditionError(f"expected {expected} but found {found}", pos)

    def node(self, n: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConditionError(f"condition too large (more than {MAX_NODES} parts)", n.pos)
        return n

    def bool_op(self, op: str) -> Node:  # precedence: not > and > or
        sub = (lambda: self.bool_op("and")) if op == "or" else self.unary
        pos, parts = self.peek()[2], [sub()]
        while self.accept("kw", op):
            parts.append(sub())
        if len(parts) == 1:
            return parts[0]
        flat = [q for p in parts for q in (p.operands if isinstance(p, BoolOp) and p.op == op else (p,))]
        return self.node(BoolOp(op, tuple(flat), pos))

    def unary(self) -> Node:
        pos = self.peek()[2]
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"condition nested deeper than {MAX_DEPTH} levels", pos)
        if self.accept("kw", "not"):
            result = self.node(Not(self.unary(), pos))
        elif self.accept("punct", "("):
            result = self.bool_op("or")
            if not self.accept("punct", ")"):
                raise self.fail("')'")
        else:
            result = self.comparison()
        self.depth -= 1
        return result

    def operand(self, expected: str = "an attribute or a value") -> Lit | Attr:
        kind, value, pos = self.peek()
        if kind == "ident":
            self.i += 1
            return self.node(Attr(value, pos))
        if kind in ("num", "str") or value in ("true", "false"):
            self.i += 1
            return self.node(_literal(kind, value, pos))
        raise self.fail(expected)

    def comparison(self) -> Node:
        left = self.operand("an attribute, a value, 'not' or '('")
        kind, value, pos = self.peek()
        negated = self.peek(1)[:2] == ("kw", "in") and self.accept("kw", "not")
        if kind == "op":
            self.i += 1
            result: Node = self.node(Compare(value, left, self.operand(), pos))
        elif self.accept("kw", "in"):
            result = self.node(Member(left, self.items(), negated, pos))
        else:
            return left
        if self.peek()[0] == "op":  # Python would chain 'a < b < c'; JS would compare a boolean
            raise ConditionError("comparisons cannot be chained; combine them with 'and'", self.peek()[2])
        return result

    def items(self) -> tuple[Lit, ...]:
        start = self.peek()[2]
        if not self.accept("punct", "["):
            raise self.fail("'[' after 'in'")
        if self.accept("punct", "]"):
            raise ConditionError("the list after 'in' must not be empty", start)
        items: list[Lit] = []
        while not items or self.accept("punct", ","):
            if isinstance(item := self.operand(), Attr):
                raise ConditionError("list items must be values, not attributes", item.pos)
            items.append(item)
        if not self.accept("punct", "]"):
            raise self.fail("',' or ']'")
        return tuple(items)


def parse(text: str) -> Node:
    """Parse text into an (untyped) AST. Raises ConditionError on syntax errors or oversize input."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ConditionError(f"a condition must be a string of at most {MAX_TEXT} characters")
    parser = _Parser(text)
    tree = parser.bool_op("or")
    if parser.peek()[0] != "end":
        raise parser.fail("'and', 'or' or end of input")
    return tree


# --- Type checking ---
def validate_attributes(attributes: Mapping[str, AttrType]) -> None:
    """Reject declarations that no condition could safely use (bad names, unknown types)."""
    for name, typ in attributes.items():
        if not _IDENT.fullmatch(str(name)) or len(name) > MAX_IDENT:
            raise ConditionError(f"invalid attribute name {name!r}: use [a-z_][a-z0-9_]*, max {MAX_IDENT}")
        if (name in _KEYWORDS or keyword.iskeyword(name) or name in _CASBIN_UNSAFE
                or name.startswith(("_", "func_"))):
            raise ConditionError(f"attribute name {name!r} is reserved")
        if typ not in _TYPES:
            raise ConditionError(f"attribute {name!r} has unknown type {typ!r} (use {', '.join(_TYPES)})")


def _check(n: Node, attrs: Mapping[str, AttrType], used: set[str]) -> AttrType:
    """Return the type of n, collecting the attributes it uses into used."""
    if isinstance(n, Lit):
        return n.type
    if isinstance(n, Attr):
        if n.name not in attrs:
            declared = ", ".join(sorted(attrs)) or "none"
            raise ConditionError(f"unknown attribute {n.name!r} (declared: {declared})", n.pos)
        used.add(n.name)
        return attrs[n.name]
    if isinstance(n, Compare):
        lt, rt = _check(n.left, attrs, used), _check(n.right, attrs, used)
        if isinstance(n.left, Lit) and isinstance(n.right, Lit):
            raise ConditionError("a comparison must involve at least one attribute", n.pos)
        if lt != rt:
            raise ConditionError(f"cannot compare {lt} with {rt}", n.pos)
        if n.op not in ("==", "!=") and lt != "number":
            raise ConditionError(f"'{n.op}' only compares numbers, not {lt}s", n.pos)
        return "boolean"
    if isinstance(n, Member):
        if not isinstance(n.subject, Attr):
            raise ConditionError("the left side of 'in' must be an attribute", n.pos)
        typ = _check(n.subject, attrs, used)
        for item in n.items:
            if item.type != typ:
                raise ConditionError(f"list item {item.raw} is a {item.type}, but "
                                     f"{n.subject.name!r} is a {typ}", item.pos)
        return "boolean"
    word = "not" if isinstance(n, Not) else n.op
    for part in (n.operand,) if isinstance(n, Not) else n.operands:
        if (t := _check(part, attrs, used)) != "boolean":
            raise ConditionError(f"'{word}' needs true/false operands, got a {t}", part.pos)
    return "boolean"


# --- Printing: canonical text and Casbin matcher text ---
def _text(n: Node) -> str:
    if isinstance(n, (Lit, Attr)):
        return n.raw if isinstance(n, Lit) else n.name
    if isinstance(n, Compare):
        return f"{_text(n.left)} {n.op} {_text(n.right)}"
    if isinstance(n, Member):
        return f"{_text(n.subject)} {'not in' if n.negated else 'in'} [{', '.join(i.raw for i in n.items)}]"
    if isinstance(n, Not):  # comparisons get parentheses too: 'not (a > 5)' reads better than 'not a > 5'
        inner = _text(n.operand)
        return f"not {inner}" if isinstance(n.operand, (Attr, Lit, Not)) else f"not ({inner})"
    # 'and' binds tighter than 'or', so only an 'or' inside an 'and' needs parentheses
    return f" {n.op} ".join(f"({_text(p)})" if isinstance(p, BoolOp) else _text(p) for p in n.operands)


# pycasbin (2.8) turns '&&' -> 'and', '||' -> 'or', '!' (not '!=') -> 'not ' with plain text
# replacement and then parses the result as Python, evaluated by simpleeval, whose names are
# only the request/policy tokens: 'true'/'false' are unknown names there, and 'True'/'False'
# are unknown in node-casbin. So booleans never appear as literals: 'x == true' becomes 'x',
# 'x == false' becomes '!x', and a bare true/false becomes '(1 == 1)' / '(1 != 1)'.
# Python's 'not' binds looser than '==' while JS's '!' binds tighter, so whatever follows '!'
# is an attribute or is parenthesised; comparisons are never chained (Python would chain them).
def _casbin(n: Node, prefix: str) -> tuple[str, int]:
    """Return (expression, precedence): 4 atom, 3 comparison, 2 '!', 1 '&&', 0 '||'."""
    if isinstance(n, Attr):
        return prefix + n.name, 4
    if isinstance(n, Lit):
        return ("(1 == 1)" if n.value else "(1 != 1)") if n.type == "boolean" else n.raw, 4
    if isinstance(n, Compare):
        for attr, lit in ((n.left, n.right), (n.right, n.left)):
            if isinstance(lit, Lit) and lit.type == "boolean":
                expr = _casbin(attr, prefix)[0]
                return (expr, 4) if lit.value == (n.op == "==") else (f"!{expr}", 2)
        return f"{_casbin(n.left, prefix)[0]} {n.op} {_casbin(n.right, prefix)[0]}", 3
    if isinstance(n, Member):
        op, join = ("!=", " && ") if n.negated else ("==", " || ")
        parts = [_casbin(Compare(op, n.subject, item), prefix) for item in n.items]
        return parts[0] if len(parts) == 1 else ("(" + join.join(s for s, _ in parts) + ")", 4)
    if isinstance(n, Not):
        inner, p = _casbin(n.operand, prefix)
        return (f"!{inner}" if p in (2, 4) else f"!({inner})"), 2
    mine = 1 if n.op == "and" else 0
    parts = [_casbin(p, prefix) for p in n.operands]
    # '&&' binds tighter than '||' in both languages; the parentheses are for human readers
    return (" && " if mine else " || ").join(f"({s})" if p <= 1 else s for s, p in parts), mine


# --- Evaluation ---
_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


def _eval(n: Node, values: Mapping[str, object]) -> object:
    if isinstance(n, Lit):
        return n.value
    if isinstance(n, Attr):
        return values[n.name]
    if isinstance(n, Compare):
        return _OPS[n.op](_eval(n.left, values), _eval(n.right, values))
    if isinstance(n, Member):
        return any(_eval(n.subject, values) == i.value for i in n.items) != n.negated
    if isinstance(n, Not):
        return not _eval(n.operand, values)
    results = (_eval(p, values) for p in n.operands)
    return all(results) if n.op == "and" else any(results)


# bool is an int subclass, but True <= 10000 is a bug, not a number; NaN compares false with
# everything, which would silently let 'not (amount > 10000)' through.
_TYPE_OK = {"boolean": lambda v: isinstance(v, bool), "string": lambda v: isinstance(v, str),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v == v}


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed, type-checked condition. Equal conditions have equal text and attribute types."""

    text: str
    attributes: frozenset[str]
    _types: tuple[tuple[str, AttrType], ...] = field(repr=False)
    _tree: Node = field(repr=False, compare=False)

    def missing(self, values: Mapping[str, object]) -> list[str]:
        """Used attributes that are absent from values (a None value counts as absent), sorted."""
        return sorted(a for a in self.attributes if values.get(a) is None)

    def evaluate(self, values: Mapping[str, object]) -> bool:
        # Check all values first: a bad value must fail even where short-circuiting would skip it.
        # One pass when every value is there and of its type (the common case, on every check);
        # otherwise the checks below say what is wrong.
        for name, typ in self._types:
            v = values.get(name)
            if v is None or not _TYPE_OK[typ](v):
                break
        else:
            return bool(_eval(self._tree, values))
        if missing := self.missing(values):
            raise ConditionError(f"missing values for: {', '.join(missing)}")
        for name, typ in self._types:
            v = values[name]
            if not _TYPE_OK[typ](v):
                raise ConditionError(f"attribute {name!r} must be a {typ}, got {type(v).__name__} {v!r:.40}")
        return bool(_eval(self._tree, values))

    def numbers(self) -> list[int | float]:
        """The number literals in the condition (for the rule that every Casbin must read them alike)."""
        found: list[int | float] = []
        stack: list[Node] = [self._tree]
        while stack:
            n = stack.pop()
            if isinstance(n, Lit):
                if n.type == "number":
                    found.append(n.value)  # type: ignore[arg-type]
            elif isinstance(n, Compare):
                stack += (n.left, n.right)
            elif isinstance(n, Member):
                stack += (n.subject, *n.items)
            elif isinstance(n, Not):
                stack.append(n.operand)
            elif isinstance(n, BoolOp):
                stack += n.operands
        return found

    def to_casbin(self, prefix: str = "r.attrs.") -> str:
        """Matcher text for pycasbin/node-casbin that evaluates like evaluate() (see _casbin)."""
        if prefix and not re.fullmatch(r"(?:[A-Za-z_][A-Za-z0-9_]*\.)+", prefix):
            raise ConditionError(f"invalid casbin prefix {prefix!r}")
        return _casbin(self._tree, prefix)[0]


def compile_condition(text: str, attributes: Mapping[str, AttrType]) -> Condition:
    """Parse and type-check text against the declared attributes of a decision area."""
    validate_attributes(attributes)
    tree, used = parse(text), set()
    if (t := _check(tree, attributes, used)) != "boolean":
        raise ConditionError(f"a condition must be true or false, but this is a {t}", tree.pos)
    return Condition(_text(tree), frozenset(used), tuple(sorted((a, attributes[a]) for a in used)), tree)
