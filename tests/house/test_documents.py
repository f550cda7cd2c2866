"""Hostile TOML documents are refused by one guard before tomllib spends time or memory on them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

import tierwise
from tierwise.analytics.params import load_params
from tierwise.documents import (
    MAX_CHARACTERS,
    MAX_KEY_PARTS,
    MAX_NESTING,
    DocumentRefused,
    check_limits,
    parse_toml,
)
from tierwise.ingest.columns import read_mapping
from tierwise.ingest.errors import ImportFileError
from tierwise.organisation.rules import default_rules_text, load_rules
from tierwise.tiering.policy import default_policy_text, load_policy

SOURCE = Path(tierwise.__file__).parent

# 40,000 parts: tomllib takes about half a minute and several gigabytes on this document.
DOTTED = ".".join(["a"] * 40_000) + " = 1\n"
DEEP_ARRAYS = "x = " + "[" * 5_000 + "]" * 5_000 + "\n"
DEEP_TABLES = "x = " + "{ y = " * 5_000 + "1" + " }" * 5_000 + "\n"


@pytest.fixture
def no_tomllib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything hands the document to tomllib."""

    def parsed(*args: object, **kwargs: object) -> object:
        raise AssertionError("the document reached tomllib")

    monkeypatch.setattr(tomllib, "loads", parsed)
    monkeypatch.setattr(tomllib, "load", parsed)


def _policy(text: str, tmp_path: Path) -> None:
    load_policy(text, "p.toml")


def _rules(text: str, tmp_path: Path) -> None:
    load_rules(text, "p.toml")


def _params(text: str, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    load_params(path, "week")


LOADERS: dict[str, Callable[[str, Path], None]] = {
    "tier policy": _policy,
    "organisation rules": _rules,
    "analytics parameters": _params,
}


@pytest.mark.usefixtures("no_tomllib")
@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
@pytest.mark.parametrize(
    ("text", "limit", "found", "allowed"),
    [
        (DOTTED, "key_parts", 40_000, MAX_KEY_PARTS),
        (DEEP_ARRAYS, "nesting", 5_000, MAX_NESTING),
        (DEEP_TABLES, "nesting", 5_000, MAX_NESTING),
        ("# " + "x" * MAX_CHARACTERS, "characters", MAX_CHARACTERS + 2, MAX_CHARACTERS),
    ],
    ids=["dotted key", "deep arrays", "deep inline tables", "too large"],
)
def test_every_document_users_hand_in_is_refused_before_tomllib_sees_it(
    loader: Callable[[str, Path], None],
    text: str,
    limit: str,
    found: int,
    allowed: int,
    tmp_path: Path,
) -> None:
    with pytest.raises(DocumentRefused) as refused:
        loader(text, tmp_path)
    assert (refused.value.limit, refused.value.found, refused.value.allowed) == (
        limit,
        found,
        allowed,
    )
    assert f"{allowed:,}" in str(refused.value) and "p.toml" in str(refused.value)


@pytest.mark.usefixtures("no_tomllib")
def test_a_hostile_column_mapping_is_an_import_file_error_naming_the_limit(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(DOTTED, encoding="utf-8")
    with pytest.raises(ImportFileError) as refused:
        read_mapping([], mapping)
    assert str(refused.value) == (
        f"{mapping}: line 1: a key has 40,000 dotted parts; the limit is {MAX_KEY_PARTS}"
    )


def test_the_message_names_the_line_and_the_limit() -> None:
    text = 'name = "x"\n\n' + "[" + ".".join(["t"] * 40) + "]\n"
    with pytest.raises(DocumentRefused) as refused:
        check_limits(text, "policy.toml")
    assert str(refused.value) == ("policy.toml: line 3: a key has 40 dotted parts; the limit is 32")
    nested = "a = 1\nb = " + "[" * 40 + "]" * 40
    with pytest.raises(DocumentRefused) as refused:
        check_limits(nested, "policy.toml")
    assert str(refused.value) == (
        "policy.toml: line 2: arrays or tables nest 40 levels deep; the limit is 32"
    )


@pytest.mark.parametrize(
    "text",
    [
        default_policy_text(),
        default_rules_text(),
        ".".join(["a"] * MAX_KEY_PARTS) + " = 1\n",
        "x = " + "[" * MAX_NESTING + "]" * MAX_NESTING + "\n",
        "[[a.b]]\nc = [{ d = [1.5, 2.5] }, { e.f = 1979-05-27T07:32:00.999 }]\n",
        # Dots and brackets inside strings and comments are text, not keys or nesting.
        'x = "' + "a." * 100 + '[[{"\n',
        "x = '" + "a." * 100 + "'\n",
        'x = """\n' + "a.[{" * 100 + '\n\\""" and "" more"""\n',
        "x = '''" + "a.[{" * 100 + "''''\n",
        "# " + "a." * 100 + "[" * 100 + "\n",
        '"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.0.1.2.3.4.5.6.7.8.9" = 1\n',
    ],
    ids=[
        "default policy",
        "default rules",
        "key at the limit",
        "nesting at the limit",
        "floats and dates",
        "basic string",
        "literal string",
        "multi-line string",
        "multi-line literal",
        "comment",
        "quoted key",
    ],
)
def test_ordinary_documents_pass_and_parse_as_tomllib_parses_them(text: str) -> None:
    assert parse_toml(text, "p.toml") == tomllib.loads(text)


def test_tomllib_is_called_by_the_guard_alone() -> None:
    callers = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if re.search(r"\btomllib\.loads?\(", path.read_text(encoding="utf-8"))
    )
    assert callers == ["documents.py"]
