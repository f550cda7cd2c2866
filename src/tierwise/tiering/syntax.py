"""The condition language of tier policies: a tokenizer and a recursive-descent parser.

Grammar and precedence are in the docstring of `tierwise.tiering.expressions`. The parser never
hands user text to Python (`eval`, `exec`, `ast`): it reads it character by character, bounds its
length and nesting, and reports every problem as a `ConditionError` with a 1-based line and column.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tierwise.i18n import _
from tierwise.tiering.nodes import (
    Binary,
    Boolean,
    Call,
    Compare,
    InList,
    Logical,
    Name,
    Node,
    Null,
    Number,
    Span,
    String,
    Unary,
    describe,
    suggest,
)

MAX_LENGTH = 10_000
"""Longest condition accepted, in characters."""
MAX_DEPTH = 32
"""Deepest nesting accepted: parentheses, prefix operators, calls and operator chains all count."""

FUNCTIONS = ("abs", "min", "max", "coalesce", "is_null", "days_since")
KEYWORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "in": "in",
    "且": "and",
    "或": "or",
    "非": "not",
}
LITERALS = {"true": True, "false": False, "null": None}
SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
# Spelled the way other languages do; each gets a hint instead of a bare "unexpected character".
MISSPELLED = {"&&": "and", "||": "or", "<>": "!=", "=": "==", "!": "not", "&": "and", "|": "or"}
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
# Chinese input methods type full-width punctuation; it maps 1:1 (columns stay right) to ASCII.
FULL_WIDTH = {chr(0xFF01 + ord(c) - 0x21): c for c in "!%&()*+,-/<=>[]|"}

_NUMBER = re.compile(r"[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?%?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORDISH = re.compile(r"[A-Za-z0-9_.%]*")


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class Token:
    """kind: number, string, name, keyword (value and/or/not/in), literal, symbol or end."""

    kind: str
    value: Any
    span: Span

    def shown(self) -> str:
        return _("the end of the condition") if self.kind == "end" else describe(self.span)


def tokenize(source: str) -> list[Token]:
    """Split the source into tokens; the last is always `end`."""
    if len(source) > MAX_LENGTH:
        raise Span(MAX_LENGTH, MAX_LENGTH + 1, source).error(
            _("the condition is longer than {limit} characters").format(limit=MAX_LENGTH)
        )
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char in "0123456789":
            tokens.append(_number(source, i))
            i = tokens[-1].span.end
        elif char == '"':
            tokens.append(_string(source, i))
            i = tokens[-1].span.end
        elif (match := _NAME.match(source, i)) is not None:
            word = match.group()
            span = Span(i, match.end(), source)
            if word.lower() in KEYWORDS:
                tokens.append(Token("keyword", KEYWORDS[word.lower()], span))
            elif word.lower() in LITERALS:
                tokens.append(Token("literal", LITERALS[word.lower()], span))
            else:
                tokens.append(Token("name", word, span))
            i = match.end()
        elif char in KEYWORDS:  # 且 或 非
            tokens.append(Token("keyword", KEYWORDS[char], Span(i, i + 1, source)))
            i += 1
        else:
            tokens.append(_symbol(source, i))
            i = tokens[-1].span.end
    tokens.append(Token("end", None, Span(n, n, source)))
    return tokens


def _number(source: str, i: int) -> Token:
    match = _NUMBER.match(source, i)
    assert match is not None  # a digit always matches
    text, end = match.group(), match.end()
    if not text.endswith("%") and source[end : end + 1] == "％":  # full-width percent sign
        text, end = text + "%", end + 1
    if end < len(source) and (source[end].isalnum() or source[end] in "_.%％"):
        bad = _WORDISH.match(source, end)
        span = Span(i, max(bad.end() if bad else 0, end + 1), source)
        raise span.error(_("invalid number {text}").format(text=describe(span)))
    value = Decimal(text.rstrip("%").replace("_", ""))
    if text.endswith("%"):
        value = value / 100
    return Token("number", value, Span(i, end, source))


def _string(source: str, i: int) -> Token:
    chars: list[str] = []
    j = i + 1
    while j < len(source) and source[j] not in '"\n':
        if source[j] == "\\":
            escape = source[j : j + 2]
            if escape not in ('\\"', "\\\\"):
                raise Span(j, j + 2, source).error(
                    _('unknown escape {text} in a string; only \\" and \\\\ are allowed').format(
                        text=f"'{escape}'"
                    )
                )
            chars.append(escape[1])
            j += 2
        else:
            chars.append(source[j])
            j += 1
    if j >= len(source) or source[j] != '"':
        raise Span(i, i + 1, source).error(_("unterminated string: add the closing double quote"))
    return Token("string", "".join(chars), Span(i, j + 1, source))


def _symbol(source: str, i: int) -> Token:
    pair = "".join(FULL_WIDTH.get(c, c) for c in source[i : i + 2])
    for text in (pair, pair[:1]):
        span = Span(i, i + len(text), source)
        if text in SYMBOLS:
            return Token("symbol", text, span)
        if text in MISSPELLED:
            raise span.error(
                _("write {good} instead of {bad}").format(
                    good=f"'{MISSPELLED[text]}'", bad=describe(span)
                )
            )
    char = source[i]
    span = Span(i, i + 1, source)
    if char == "%":
        raise span.error(_("'%' must follow a number directly, as in 15%"))
    if char in "'‘’“”":
        raise span.error(_('strings use straight double quotes, as in "A"'))
    ascii_form = unicodedata.normalize("NFKC", char)
    if ascii_form != char and ascii_form.isascii() and ascii_form.isprintable():
        raise span.error(
            _("write {good} instead of {bad}").format(good=f"'{ascii_form}'", bad=f"'{char}'")
        )
    shown = f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"
    raise span.error(_("unexpected character {char}").format(char=shown))


# ---------------------------------------------------------------------------------------------
# The parser: one method per precedence level, lowest first.


def parse(source: str) -> Node:
    """Parse a condition (or any expression of the language) into its AST."""
    parser = _Parser(source, tokenize(source))
    node = parser.expression()
    parser.expect_end()
    _check_depth(node)
    return node


class _Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    # token helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def at(self, kind: str, value: Any = None) -> bool:
        token = self.token
        return token.kind == kind and (value is None or token.value == value)

    def take(self) -> Token:
        token = self.token
        self.i += 1
        return token

    def expect(self, value: str) -> Token:
        if not self.at("symbol", value):
            raise self.token.span.error(
                _("expected {expected}, found {found}").format(
                    expected=f"'{value}'", found=self.token.shown()
                )
            )
        return self.take()

    def expect_end(self) -> None:
        if not self.at("end"):
            raise self.token.span.error(
                _("expected an operator or the end of the condition, found {found}").format(
                    found=self.token.shown()
                )
            )

    def span(self, start: Node | Token, end: Node | Token) -> Span:
        return Span(start.span.start, end.span.end, self.source)

    def enter(self, at: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise at.span.error(_too_deep())

    # grammar
    def expression(self) -> Node:
        self.enter(self.token)
        try:
            return self.logical("or", self.conjunction)
        finally:
            self.nesting -= 1

    def conjunction(self) -> Node:
        return self.logical("and", self.negation)

    def logical(self, op: str, operand: Any) -> Node:
        first = operand()
        operands = [first]
        while self.at("keyword", op):
            self.take()
            operands.append(operand())
        if len(operands) == 1:
            return first
        return Logical(self.span(first, operands[-1]), op, tuple(operands))

    def negation(self) -> Node:
        if self.at("keyword", "not"):
            start = self.take()
            self.enter(start)
            try:
                operand = self.negation()
            finally:
                self.nesting -= 1
            return Unary(self.span(start, operand), "not", operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        node: Node
        if self.at("symbol") and self.token.value in COMPARISONS:
            op = self.take().value
            right = self.additive()
            node = Compare(self.span(left, right), op, left, right)
        elif self.at("keyword", "in") or self.at("keyword", "not"):
            negated = self.take().value == "not"
            if negated and not self.at("keyword", "in"):
                raise self.token.span.error(
                    _("expected {expected}, found {found}").format(
                        expected="'in'", found=self.token.shown()
                    )
                )
            if negated:
                self.take()
            items, close = self.literal_list()
            node = InList(self.span(left, close), left, items, negated)
        else:
            return left
        if (self.at("symbol") and self.token.value in COMPARISONS) or self.at("keyword", "in"):
            raise self.token.span.error(_("comparisons cannot be chained; combine them with 'and'"))
        return node

    def additive(self) -> Node:
        return self.binary(("+", "-"), self.term)

    def term(self) -> Node:
        return self.binary(("*", "/"), self.unary)

    def binary(self, ops: tuple[str, ...], operand: Any) -> Node:
        left = operand()
        while self.at("symbol") and self.token.value in ops:
            op = self.take().value
            right = operand()
            left = Binary(self.span(left, right), op, left, right)
        return left

    def unary(self) -> Node:
        if self.at("symbol", "-"):
            start = self.take()
            self.enter(start)
            try:
                operand = self.unary()
            finally:
                self.nesting -= 1
            return Unary(self.span(start, operand), "-", operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            return Number(token.span, token.value)
        if token.kind == "string":
            self.take()
            return String(token.span, token.value)
        if token.kind == "literal":
            self.take()
            return Null(token.span) if token.value is None else Boolean(token.span, token.value)
        if token.kind == "name":
            self.take()
            if self.at("symbol", "("):
                return self.call(token)
            return Name(token.span, token.value)
        if self.at("symbol", "("):
            self.take()
            inner = self.expression()
            close = self.expect(")")
            # the parentheses belong to the operand, so quoted spans stay balanced
            return dataclasses.replace(inner, span=self.span(token, close))
        raise token.span.error(_("expected a value, found {found}").format(found=token.shown()))

    def call(self, name: Token) -> Node:
        function = name.value.lower()
        if function not in FUNCTIONS:
            message = _("unknown function {name}").format(name=describe(name.span))
            raise name.span.error(suggest(message, name.value, FUNCTIONS))
        self.expect("(")
        args: list[Node] = []
        if not self.at("symbol", ")"):
            args.append(self.expression())
            while self.at("symbol", ","):
                self.take()
                args.append(self.expression())
        close = self.expect(")")
        return Call(self.span(name, close), function, tuple(args))

    def literal_list(self) -> tuple[tuple[Number | String | Boolean, ...], Token]:
        self.expect("[")
        items: list[Number | String | Boolean] = []
        while not self.at("symbol", "]"):
            items.append(self.list_item())
            if not self.at("symbol", "]"):
                self.expect(",")
        close = self.token
        if not items:
            raise close.span.error(_("the list is empty"))
        self.take()
        return tuple(items), close

    def list_item(self) -> Number | String | Boolean:
        token = self.token
        if (
            token.kind == "symbol"
            and token.value == "-"
            and self.tokens[self.i + 1].kind == "number"
        ):
            self.take()
            number = self.take()
            return Number(self.span(token, number), -number.value)
        if token.kind == "number":
            return Number(self.take().span, token.value)
        if token.kind == "string":
            return String(self.take().span, token.value)
        if token.kind == "literal" and token.value is not None:
            return Boolean(self.take().span, token.value)
        if token.kind == "literal":
            raise token.span.error(
                _("null cannot be in a list; test for a missing value with is_null(x)")
            )
        raise token.span.error(
            _('a list may only hold literal values such as 1, "A" or true, found {found}').format(
                found=token.shown()
            )
        )


def _too_deep() -> str:
    return _("the condition is nested too deeply (more than {limit} levels)").format(
        limit=MAX_DEPTH
    )


def _check_depth(root: Node) -> None:
    """Operator chains build deep trees without nesting the parser; bound the tree itself."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise node.span.error(_too_deep())
        stack.extend((child, depth + 1) for child in node.children())
