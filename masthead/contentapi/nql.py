"""Ghost's filter language (NQL), parsed into a small syntax tree.

The grammar is NQL's (``@tryghost/nql-lang``)::

    expression  := and_group ("," and_group)*           "," is OR
    and_group   := term ("+" term)*                     "+" is AND, binding tighter
    term        := "(" expression ")" | FIELD ":" condition
    condition   := "-"? ("~" | "~^" | "~$") value       contains, starts with, ends with
                 | "-"? "[" value ("," value)* "]"      in, not in
                 | ("-" | ">" | ">=" | "<" | "<=")? value
    value       := null | true | false | number | now-1d | 'quoted' | "quoted" | literal

Whitespace between tokens is ignored. A literal runs until a space or one of
``' " + , ( ) > < = [ ]``; a backslash escapes the next character, in literals and in
quoted strings alike. ``now`` directly followed by ``+`` or ``-``, a count and one of
NQL's units (``d w M y h m s``) is a relative date, resolved when the filter is
compiled so that tests can freeze the clock.

This module only reads text: which fields exist and what they mean is decided in
``filters.py``. Limits on length, nesting and list size keep a hostile filter from
costing the server more than a normal one.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

MAX_LENGTH = 4000
MAX_DEPTH = 16
MAX_LIST_SIZE = 500
MAX_CONDITIONS = 200

# Characters that end an unquoted literal (NQL's lexer treats them as operators).
_TERMINATORS = frozenset(" \t\r\n\f\v'\"+,()><=[]")
# A token after a relative date must be one of these, or the end (NQL's "final").
_FINAL = frozenset(" \t\r\n\f\v+,()[]")
_FIELD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_FIELD_REST = _FIELD_START | frozenset("0123456789.")
_RELATIVE_DATE = re.compile(r"now([+-])([0-9]+)([dwMyhms])")
_INTEGER = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
_KEYWORDS: dict[str, bool | None] = {
    "null": None,
    "NULL": None,
    "Null": None,
    "true": True,
    "TRUE": True,
    "True": True,
    "false": False,
    "FALSE": False,
    "False": False,
}
UNITS = {
    "d": "days",
    "w": "weeks",
    "M": "months",
    "y": "years",
    "h": "hours",
    "m": "minutes",
    "s": "seconds",
}


class Op(StrEnum):
    """A comparison NQL can express; the ``NOT_*`` ones are the ``-`` forms."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    NOT_STARTS_WITH = "not_starts_with"
    ENDS_WITH = "ends_with"
    NOT_ENDS_WITH = "not_ends_with"

    @property
    def negated(self) -> bool:
        return self in NEGATIONS

    @property
    def positive(self) -> Op:
        """The same comparison without its ``-``: ``NE`` → ``EQ``, ``NOT_IN`` → ``IN``."""
        return NEGATIONS.get(self, self)


NEGATIONS = {
    Op.NE: Op.EQ,
    Op.NOT_IN: Op.IN,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.NOT_STARTS_WITH: Op.STARTS_WITH,
    Op.NOT_ENDS_WITH: Op.ENDS_WITH,
}
_MATCH_OPS = {"~": Op.CONTAINS, "~^": Op.STARTS_WITH, "~$": Op.ENDS_WITH}
_NEGATED_MATCH_OPS = {
    Op.CONTAINS: Op.NOT_CONTAINS,
    Op.STARTS_WITH: Op.NOT_STARTS_WITH,
    Op.ENDS_WITH: Op.NOT_ENDS_WITH,
}
_ORDER_OPS = {">=": Op.GTE, "<=": Op.LTE, ">": Op.GT, "<": Op.LT}


@dataclass(frozen=True, slots=True)
class RelativeDate:
    """``now-1d``: ``sign`` is ``+`` or ``-``, ``unit`` one of NQL's ``d w M y h m s``."""

    sign: str
    amount: int
    unit: str


# A value as written: text (quoted or not), a number, null/true/false, or a relative date.
Value = str | int | Decimal | bool | None | RelativeDate


@dataclass(frozen=True, slots=True)
class Comparison:
    """``field:<op><value>``; for ``IN``/``NOT_IN`` the value is a tuple of values."""

    field: str
    op: Op
    value: Value | tuple[Value, ...]
    position: int = dataclasses.field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Comparison | And | Or


class NQLSyntaxError(ValueError):
    """The filter is not valid NQL. ``position`` is 0-based; ``help`` says what was expected."""

    def __init__(self, text: str, position: int, expected: str) -> None:
        self.text = text
        self.position = position
        self.expected = expected
        found = "the end of the filter" if position >= len(text) else repr(text[position])
        self.message = f"Query Error: unexpected character in filter at char {position + 1}"
        self.help = (
            f"At character {position + 1} of the filter the parser found {found} but expected "
            f"{expected}. Filters look like tag:news+featured:true or "
            f"published_at:>'2024-01-31'; quote values with spaces or special characters."
        )
        super().__init__(self.message)


class NQLLimitError(NQLSyntaxError):
    """The filter is valid-looking but larger than the server accepts."""

    def __init__(self, text: str, position: int, limit: str) -> None:
        super().__init__(text, position, limit)
        self.message = "Query Error: filter too complex"
        self.help = f"The filter is too large: {limit}. Split it into several requests."
        self.args = (self.message,)


def parse(text: str) -> Node:
    """The syntax tree of an NQL filter, or ``NQLSyntaxError`` saying where and why not."""
    if len(text) > MAX_LENGTH:
        raise NQLLimitError(text, MAX_LENGTH, f"it may be at most {MAX_LENGTH} characters long")
    return _Parser(text).parse()


class _Parser:
    """Recursive descent over the characters; NQL's tokens depend on their position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        self.conditions = 0

    # --- Characters ---------------------------------------------------------------

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, ahead: int = 0) -> str:
        """The next character after any space ('' at the end)."""
        self.skip_space()
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def error(self, expected: str, at: int | None = None) -> NQLSyntaxError:
        return NQLSyntaxError(self.text, self.pos if at is None else at, expected)

    # --- Grammar -------------------------------------------------------------------

    def parse(self) -> Node:
        node = self.expression()
        if self.peek():
            if self.peek() == ")":
                raise self.error("no ')' here: it closes no '('")
            raise self.error("'+' (and), ',' (or) or the end of the filter")
        return node

    def expression(self) -> Node:
        operands = [self.and_group()]
        while self.peek() == ",":
            self.pos += 1
            operands.append(self.and_group())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_group(self) -> Node:
        operands = [self.term()]
        while self.peek() == "+":
            self.pos += 1
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def term(self) -> Node:
        if self.peek() == "(":
            start = self.pos
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise NQLLimitError(
                    self.text, start, f"parentheses may be nested at most {MAX_DEPTH} deep"
                )
            self.pos += 1
            node = self.expression()
            if self.peek() != ")":
                raise self.error(f"')' to close the '(' at character {start + 1}")
            self.pos += 1
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        self.skip_space()
        start = self.pos
        name = self.field_name()
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise NQLLimitError(
                self.text, start, f"it may hold at most {MAX_CONDITIONS} conditions"
            )
        negated = False
        if self.peek() == "-":
            negated = True
            self.pos += 1
        char = self.peek()
        if char == "~":
            symbol = self.text[self.pos : self.pos + 2]
            symbol = symbol if symbol in _MATCH_OPS else "~"
            op = _MATCH_OPS[symbol]
            self.pos += len(symbol)
            value = self.value(after=f"'{name}:' and a contains operator")
            return Comparison(name, _NEGATED_MATCH_OPS[op] if negated else op, value, start)
        if char == "[":
            return Comparison(name, Op.NOT_IN if negated else Op.IN, self.value_list(), start)
        if not negated:
            for symbol, order_op in _ORDER_OPS.items():
                if self.text.startswith(symbol, self.pos):
                    self.pos += len(symbol)
                    return Comparison(name, order_op, self.value(after=f"'{name}:{symbol}'"), start)
        return Comparison(name, Op.NE if negated else Op.EQ, self.value(after=f"'{name}:'"), start)

    def field_name(self) -> str:
        start = self.pos
        if self.pos >= len(self.text) or self.text[self.pos] not in _FIELD_START:
            raise self.error("a field name followed by ':' (like tag:news) or '('")
        end = start + 1
        while end < len(self.text) and self.text[end] in _FIELD_REST:
            end += 1
        if end >= len(self.text) or self.text[end] != ":":
            raise self.error(f"':' right after the field name '{self.text[start:end]}'", at=end)
        self.pos = end + 1
        return self.text[start:end]

    def value_list(self) -> tuple[Value, ...]:
        start = self.pos
        self.pos += 1  # "["
        values = [self.value(after="'['")]
        while self.peek() == ",":
            self.pos += 1
            values.append(self.value(after="',' in a list"))
            if len(values) > MAX_LIST_SIZE:
                raise NQLLimitError(
                    self.text, start, f"a [list] may hold at most {MAX_LIST_SIZE} values"
                )
        if self.peek() != "]":
            raise self.error(f"',' or ']' to close the list opened at character {start + 1}")
        self.pos += 1
        return tuple(values)

    def value(self, *, after: str) -> Value:
        expected = f"a value after {after}, such as news, 'two words', 5, true, null or now-7d"
        char = self.peek()
        if char in ("'", '"'):
            return self.quoted(char)
        if not char or char in _TERMINATORS or char in "-~":
            raise self.error(expected)
        relative = _RELATIVE_DATE.match(self.text, self.pos)
        if relative and (relative.end() == len(self.text) or self.text[relative.end()] in _FINAL):
            self.pos = relative.end()
            return RelativeDate(relative[1], int(relative[2]), relative[3])
        return self.literal()

    def quoted(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos + 1])
                self.pos += 2
            elif char == quote:
                self.pos += 1
                return "".join(chars)
            else:
                chars.append(char)
                self.pos += 1
        raise self.error(f"a closing {quote} for the string opened at character {start + 1}")

    def literal(self) -> Value:
        chars: list[str] = []
        escaped = False
        while self.pos < len(self.text) and self.text[self.pos] not in _TERMINATORS:
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("a character after the backslash '\\'", at=self.pos + 1)
                chars.append(self.text[self.pos + 1])
                escaped = True
                self.pos += 2
            else:
                chars.append(char)
                self.pos += 1
        raw = "".join(chars)
        if escaped:
            return raw
        if raw in _KEYWORDS:
            return _KEYWORDS[raw]
        if _INTEGER.fullmatch(raw):
            return int(raw)
        if _DECIMAL.fullmatch(raw):
            return Decimal(raw)
        return raw


# --- Printing -------------------------------------------------------------------------


def to_nql(node: Node) -> str:
    """NQL text that parses back to ``node``: the inverse of ``parse``."""
    if isinstance(node, Comparison):
        return f"{node.field}:{_condition(node.op, node.value)}"
    if isinstance(node, And):
        # AND binds tighter than OR, so only a nested group needs parentheses.
        return "+".join(
            f"({to_nql(operand)})" if isinstance(operand, (And, Or)) else to_nql(operand)
            for operand in node.operands
        )
    return ",".join(
        f"({to_nql(operand)})" if isinstance(operand, Or) else to_nql(operand)
        for operand in node.operands
    )


_PREFIXES = {
    Op.EQ: "",
    Op.NE: "-",
    Op.GT: ">",
    Op.GTE: ">=",
    Op.LT: "<",
    Op.LTE: "<=",
    Op.CONTAINS: "~",
    Op.NOT_CONTAINS: "-~",
    Op.STARTS_WITH: "~^",
    Op.NOT_STARTS_WITH: "-~^",
    Op.ENDS_WITH: "~$",
    Op.NOT_ENDS_WITH: "-~$",
}


def _condition(op: Op, value: Value | tuple[Value, ...]) -> str:
    if isinstance(value, tuple):
        items = ",".join(format_value(item) for item in value)
        return f"{'-' if op is Op.NOT_IN else ''}[{items}]"
    return _PREFIXES[op] + format_value(value)


def format_value(value: Value) -> str:
    """One value as NQL text; strings are always single-quoted."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, RelativeDate):
        return f"now{value.sign}{value.amount}{value.unit}"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def comparisons(node: Node) -> list[Comparison]:
    """Every comparison in the tree, left to right."""
    if isinstance(node, Comparison):
        return [node]
    return [item for operand in node.operands for item in comparisons(operand)]
