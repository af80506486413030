"""The NQL parser: every construct, escapes, precedence, errors and limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.contentapi import nql
from masthead.contentapi.nql import And, Comparison, NQLSyntaxError, Op, Or, RelativeDate, parse

# --- Constructs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag:news", Comparison("tag", Op.EQ, "news")),
        ("tag:-news", Comparison("tag", Op.NE, "news")),
        ("custom_excerpt:null", Comparison("custom_excerpt", Op.EQ, None)),
        ("custom_excerpt:-null", Comparison("custom_excerpt", Op.NE, None)),
        ("featured:true", Comparison("featured", Op.EQ, True)),
        ("featured:FALSE", Comparison("featured", Op.EQ, False)),
        ("a:Null", Comparison("a", Op.EQ, None)),
        ("a:nullable", Comparison("a", Op.EQ, "nullable")),
        ("a:true-thing", Comparison("a", Op.EQ, "true-thing")),
        ("reading_time:5", Comparison("reading_time", Op.EQ, 5)),
        ("price:4.50", Comparison("price", Op.EQ, Decimal("4.50"))),
        ("slug:2024-01-31", Comparison("slug", Op.EQ, "2024-01-31")),
        ("a:2024-01-31T10:00:00Z", Comparison("a", Op.EQ, "2024-01-31T10:00:00Z")),
        ("tags:[news,investigations]", Comparison("tags", Op.IN, ("news", "investigations"))),
        ("tag:-[a, b]", Comparison("tag", Op.NOT_IN, ("a", "b"))),
        ("slug:[a,'b c',3,null]", Comparison("slug", Op.IN, ("a", "b c", 3, None))),
        ("n:>5", Comparison("n", Op.GT, 5)),
        ("n:>=5", Comparison("n", Op.GTE, 5)),
        ("n:<5", Comparison("n", Op.LT, 5)),
        ("n:<=5", Comparison("n", Op.LTE, 5)),
        ("published_at:>'2020-01-01'", Comparison("published_at", Op.GT, "2020-01-01")),
        ("title:~'dispatch'", Comparison("title", Op.CONTAINS, "dispatch")),
        ("title:~^war", Comparison("title", Op.STARTS_WITH, "war")),
        ("title:~$war", Comparison("title", Op.ENDS_WITH, "war")),
        ("title:-~war", Comparison("title", Op.NOT_CONTAINS, "war")),
        ("title:-~^war", Comparison("title", Op.NOT_STARTS_WITH, "war")),
        ("title:-~$war", Comparison("title", Op.NOT_ENDS_WITH, "war")),
        ("published_at:<=now-1d", Comparison("published_at", Op.LTE, RelativeDate("-", 1, "d"))),
        ("published_at:>now+2h", Comparison("published_at", Op.GT, RelativeDate("+", 2, "h"))),
        ("d:now-3M", Comparison("d", Op.EQ, RelativeDate("-", 3, "M"))),
        ("d:now-10y", Comparison("d", Op.EQ, RelativeDate("-", 10, "y"))),
        ("d:now", Comparison("d", Op.EQ, "now")),
        ("d:now-1x", Comparison("d", Op.EQ, "now-1x")),
        ("authors.slug:ref", Comparison("authors.slug", Op.EQ, "ref")),
        ("  tag :news", None),
        ("tag: news ", Comparison("tag", Op.EQ, "news")),
    ],
)
def test_constructs(text: str, expected: Comparison | None) -> None:
    if expected is None:
        with pytest.raises(NQLSyntaxError):
            parse(text)
    else:
        assert repr(parse(text)) == repr(expected)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"a:'it\'s'", "it's"),
        (r'a:"say \"hi\""', 'say "hi"'),
        (r"a:'back\\slash'", "back\\slash"),
        ("a:'two words, (and) [more]+'", "two words, (and) [more]+"),
        ('a:"it\'s"', "it's"),
        (r"a:t\+st", "t+st"),
        (r"a:t\,st", "t,st"),
        (r"a:\null", "null"),
        ("a:'now-1d'", "now-1d"),
        ("a:'5'", "5"),
        ("a:''", ""),
    ],
)
def test_strings_and_escapes(text: str, value: str) -> None:
    node = parse(text)
    assert isinstance(node, Comparison)
    assert node.value == value
    assert isinstance(node.value, str)


def test_plus_binds_tighter_than_comma() -> None:
    a, b, c = (Comparison(name, Op.EQ, "x") for name in "abc")
    assert parse("a:x,b:x+c:x") == Or((a, And((b, c))))
    assert parse("a:x+b:x,c:x") == Or((And((a, b)), c))
    assert parse("(a:x,b:x)+c:x") == And((Or((a, b)), c))
    assert parse("a:x+b:x+c:x") == And((a, b, c))
    assert parse("((a:x))") == a


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("", 1),
        ("tag", 4),
        ("tag:", 5),
        ("tag:news+", 10),
        ("tag:news,", 10),
        ("(tag:news", 10),
        ("tag:news)", 9),
        ("tag:=news", 5),
        ("tag:[]", 6),
        ("tag:[a,b", 9),
        ("tag:'open", 10),
        ("tag:a b", 7),
        ("tag:->5", 6),
        ("tag:--a", 6),
        ("1tag:a", 1),
        ("te!:st", 3),
        ("tag:a\\", 7),
        ("tag:'a''b'", 8),
    ],
)
def test_syntax_errors_say_where(text: str, char: int) -> None:
    with pytest.raises(NQLSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert error.position == char - 1
    assert error.message == f"Query Error: unexpected character in filter at char {char}"
    assert f"character {char}" in error.help
    assert "expected" in error.help


def test_limits() -> None:
    with pytest.raises(nql.NQLLimitError, match="too complex"):
        parse("a:" + "x" * (nql.MAX_LENGTH + 1))
    with pytest.raises(nql.NQLLimitError) as caught:
        parse("(" * (nql.MAX_DEPTH + 1) + "a:b" + ")" * (nql.MAX_DEPTH + 1))
    assert "nested" in caught.value.help
    with pytest.raises(nql.NQLLimitError) as caught:
        parse("a:[" + ",".join("x" * (nql.MAX_LIST_SIZE + 1)) + "]")
    assert "list" in caught.value.help
    with pytest.raises(nql.NQLLimitError) as caught:
        parse("+".join(["a:b"] * (nql.MAX_CONDITIONS + 1)))
    assert "conditions" in caught.value.help
    assert parse("(" * nql.MAX_DEPTH + "a:b" + ")" * nql.MAX_DEPTH) == Comparison("a", Op.EQ, "b")


def test_comparisons_lists_every_leaf() -> None:
    node = parse("(a:1,b:2)+c:3")
    assert [comparison.field for comparison in nql.comparisons(node)] == ["a", "b", "c"]


# --- Properties ---------------------------------------------------------------------------

NQL_CHARACTERS = "abtag_.:'\"\\-+,()[]<>=~^$ 0123456789nowdMyhsnulltrue"


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.text(alphabet=NQL_CHARACTERS, max_size=40)))
def test_any_text_parses_or_raises_the_documented_error(text: str) -> None:
    error: NQLSyntaxError | None = None
    try:
        node = parse(text)
    except NQLSyntaxError as raised:
        error = raised
    if error is None:
        assert nql.comparisons(node)
    else:
        assert 0 <= error.position <= len(text)
        assert error.message.startswith("Query Error:")


field_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,12}", fullmatch=True)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=0, max_value=10**15),
    st.builds(
        lambda whole, fraction: Decimal(f"{whole}.{fraction}"),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
    ),
    st.text(max_size=20),
    st.builds(
        RelativeDate,
        st.sampled_from("+-"),
        st.integers(0, 10**6),
        st.sampled_from(sorted(nql.UNITS)),
    ),
)
single_ops = st.sampled_from([op for op in Op if op not in (Op.IN, Op.NOT_IN)])
comparison_nodes = st.one_of(
    st.builds(Comparison, field_names, single_ops, scalars),
    st.builds(
        Comparison,
        field_names,
        st.sampled_from([Op.IN, Op.NOT_IN]),
        st.lists(scalars, min_size=1, max_size=5).map(tuple),
    ),
)
trees = st.recursive(
    comparison_nodes,
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=4).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=4).map(lambda items: Or(tuple(items))),
    ),
    max_leaves=24,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_printed_trees_parse_back_to_the_same_tree(tree: nql.Node) -> None:
    text = nql.to_nql(tree)
    # repr, not ==, so that True and 1 (equal in Python) are told apart.
    assert repr(parse(text)) == repr(tree)
