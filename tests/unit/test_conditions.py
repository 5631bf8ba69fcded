"""Red-line conditions: parsing, type checking, evaluation and the Casbin translation."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import random
import types

import pytest

from registry.domain import conditions
from registry.domain.conditions import (
    MAX_DEPTH,
    Attr,
    BoolOp,
    Compare,
    ConditionError,
    Lit,
    Member,
    Not,
    compile_condition,
    parse,
)

ATTRS = {"amount": "number", "deviation": "boolean", "citizen_category": "string"}
# A wider declaration for attribute-vs-attribute comparisons and the differential tests.
WIDE = {**ATTRS, "limit": "number", "urgent": "boolean", "unit": "string"}


def check(text: str, attrs=ATTRS, **values) -> bool:
    return compile_condition(text, attrs).evaluate(values)


# --- Truth tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "allowed"), [
    (0, True), (9999.99, True), (10000, True), (10000.0, True), (10000.01, False), (10001, False),
    (-5, True), (10**30, False),
])
def test_amount_ceiling_allows_up_to_the_limit_and_denies_above(amount, allowed):
    assert check("amount <= 10000", amount=amount) is allowed


@pytest.mark.parametrize(("deviation", "allowed"), [(False, True), (True, False)])
def test_deviation_equal_false_allows_only_decisions_without_deviation(deviation, allowed):
    assert check("deviation == false", deviation=deviation) is allowed
    assert check("not deviation", deviation=deviation) is allowed
    assert check("false == deviation", deviation=deviation) is allowed


@pytest.mark.parametrize(("category", "allowed"), [("a", True), ("b", True), ("c", False), ("A", False),
                                                   ("", False), ("a ", False)])
def test_category_membership_allows_only_listed_categories(category, allowed):
    assert check("citizen_category in ['a','b']", citizen_category=category) is allowed
    assert check("citizen_category not in ['a', \"b\"]", citizen_category=category) is not allowed


@pytest.mark.parametrize(("amount", "deviation", "allowed"), [
    (1000, False, True), (1000, True, True), (5000, True, True), (5001, False, True), (5001, True, False),
])
def test_large_amount_with_deviation_is_the_only_denied_combination(amount, deviation, allowed):
    assert check("not (amount > 5000 and deviation)", amount=amount, deviation=deviation) is allowed


BOOLS = list(itertools.product([False, True], repeat=3))


@pytest.mark.parametrize(("text", "meaning"), [
    ("not deviation and urgent", lambda d, u, x: (not d) and u),
    ("not deviation or urgent", lambda d, u, x: (not d) or u),
    ("deviation or urgent and x", lambda d, u, x: d or (u and x)),
    ("deviation and urgent or x", lambda d, u, x: (d and u) or x),
    ("not deviation or urgent and not x", lambda d, u, x: (not d) or (u and not x)),
    ("(deviation or urgent) and x", lambda d, u, x: (d or u) and x),
    ("not (deviation or urgent)", lambda d, u, x: not (d or u)),
    ("not not deviation", lambda d, u, x: d),
])
@pytest.mark.parametrize(("d", "u", "x"), BOOLS)
def test_not_binds_tighter_than_and_which_binds_tighter_than_or(text, meaning, d, u, x):
    attrs = {"deviation": "boolean", "urgent": "boolean", "x": "boolean"}
    assert check(text, attrs, deviation=d, urgent=u, x=x) is meaning(d, u, x)


def test_not_applies_to_the_whole_comparison():
    assert check("not amount > 5", amount=3) is True
    assert parse("not amount > 5") == Not(Compare(">", Attr("amount"), Lit(5, "5", "number")))


@pytest.mark.parametrize(("text", "amount", "allowed"), [
    ("10000 >= amount", 10000, True), ("10000 >= amount", 10001, False),
    ("-5.5 < amount", -5, True), ("-5.5 < amount", -6, False),
    ("amount == 2.50", 2.5, True), ("amount != 2", 2.0, False),
    ("amount in [1, 2.5, -3]", -3, True), ("amount in [1, 2.5, -3]", 2, False),
    ("amount not in [1, 2]", 3, True),
])
def test_numbers_compare_from_either_side_including_decimals_and_negatives(text, amount, allowed):
    assert check(text, amount=amount) is allowed


@pytest.mark.parametrize(("text", "values", "allowed"), [
    ("amount <= limit", {"amount": 5, "limit": 5}, True),
    ("amount <= limit", {"amount": 6, "limit": 5}, False),
    ("deviation == urgent", {"deviation": True, "urgent": True}, True),
    ("deviation != urgent", {"deviation": True, "urgent": True}, False),
    ("citizen_category == unit", {"citizen_category": "x", "unit": "x"}, True),
])
def test_attributes_of_the_same_type_can_be_compared_with_each_other(text, values, allowed):
    assert compile_condition(text, WIDE).evaluate(values) is allowed


def test_true_allows_everything_and_false_is_an_outright_prohibition():
    assert check("true") is True
    assert check("false") is False
    assert compile_condition("false", ATTRS).attributes == frozenset()
    assert check("deviation or true", deviation=False) is True


def test_bare_boolean_attribute_is_a_condition():
    assert check("deviation", deviation=True) is True
    assert check("deviation", deviation=False) is False


def test_danish_letters_are_allowed_in_strings():
    assert check("citizen_category == 'ældre og børn'", citizen_category="ældre og børn") is True


# --- Canonical text ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "canonical"), [
    ("amount<=10000", "amount <= 10000"),
    ("  amount   <=  010000 ", "amount <= 10000"),
    ("amount < 007.50", "amount < 7.50"),
    ("amount > -0", "amount > 0"),
    ("citizen_category in [\"a\",'b']", "citizen_category in ['a', 'b']"),
    ("(amount > 1) and ((deviation))", "amount > 1 and deviation"),
    ("not amount > 5", "not (amount > 5)"),
    ("not (deviation)", "not deviation"),
    ("deviation or (amount > 1 and amount < 5)", "deviation or (amount > 1 and amount < 5)"),
    ("deviation and (amount > 1 or amount < 5)", "deviation and (amount > 1 or amount < 5)"),
    ("deviation and (amount > 1 and amount < 5)", "deviation and amount > 1 and amount < 5"),
    ("not (citizen_category in ['a'])", "not (citizen_category in ['a'])"),
    ("true", "true"),
])
def test_canonical_text_is_normalised_and_reparses_to_the_same_condition(text, canonical):
    condition = compile_condition(text, ATTRS)
    assert condition.text == canonical
    assert compile_condition(condition.text, ATTRS) == condition
    assert parse(condition.text) == parse(text)


def test_equivalent_spellings_give_equal_hashable_conditions():
    a = compile_condition("amount<=5 and not deviation", ATTRS)
    b = compile_condition("(amount <= 5) and (not deviation)", ATTRS)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


def test_condition_is_immutable():
    condition = compile_condition("amount <= 5", ATTRS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        condition.text = "true"  # type: ignore[misc]


def test_parse_builds_the_documented_tree():
    assert parse("amount > 5 or deviation and citizen_category not in ['a']") == BoolOp("or", (
        Compare(">", Attr("amount"), Lit(5, "5", "number")),
        BoolOp("and", (Attr("deviation"),
                       Member(Attr("citizen_category"), (Lit("a", "'a'", "string"),), negated=True))),
    ))


# --- Attributes, missing values and evaluation errors --------------------------------------------


def test_attributes_lists_only_the_attributes_used():
    condition = compile_condition("amount > 5 or not deviation", ATTRS)
    assert condition.attributes == frozenset({"amount", "deviation"})


def test_missing_reports_absent_and_null_attributes_sorted():
    condition = compile_condition("amount > 5 or not deviation or citizen_category == 'a'", ATTRS)
    assert condition.missing({"amount": 1, "deviation": None, "other": 1}) == ["citizen_category", "deviation"]
    assert condition.missing({"amount": 1, "deviation": False, "citizen_category": "a"}) == []


def test_evaluate_refuses_missing_values():
    with pytest.raises(ConditionError, match="missing values for: amount"):
        compile_condition("amount > 5", ATTRS).evaluate({})


@pytest.mark.parametrize(("text", "values"), [
    ("amount <= 10000", {"amount": True}),  # bool is an int subclass but not a number here
    ("amount <= 10000", {"amount": "5"}),
    ("amount <= 10000", {"amount": float("nan")}),
    ("deviation", {"deviation": 0}),
    ("deviation == false", {"deviation": "false"}),
    ("citizen_category in ['a']", {"citizen_category": 1}),
    # the bad value is reported even though 'true or ...' never needs to look at it
    ("true or amount > 5", {"amount": "lots"}),
])
def test_evaluate_rejects_values_of_the_wrong_python_type(text, values):
    with pytest.raises(ConditionError, match="must be a"):
        compile_condition(text, ATTRS).evaluate(values)


def test_ints_and_floats_are_both_numbers():
    condition = compile_condition("amount < 2.5", ATTRS)
    assert condition.evaluate({"amount": 2}) is True
    assert condition.evaluate({"amount": 2.5}) is False


# --- Malformed input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message", "position"), [
    ("amount <=", "expected an attribute or a value but found end of input", 9),
    ("amount <== 5", "unexpected character '='", 9),
    ("amount = 5", "use '==' for equality", 7),
    ("(amount < 5", "expected ')' but found end of input", 11),
    ("amount < 5)", "expected 'and', 'or' or end of input but found ')'", 10),
    ("amount < 'x'", "cannot compare number with string", 7),
    ("citizen_category == 5", "cannot compare string with number", 17),
    ("unknown > 1", "unknown attribute 'unknown' (declared: amount, citizen_category, deviation)", 0),
    ("deviation < true", "'<' only compares numbers, not booleans", 10),
    ("citizen_category >= 'a'", "'>=' only compares numbers, not strings", 17),
    ("amount in []", "the list after 'in' must not be empty", 10),
    ("amount in [1, 'x']", "list item 'x' is a string, but 'amount' is a number", 14),
    ("amount in [1,]", "expected an attribute or a value but found ']'", 13),
    ("amount in [amount]", "list items must be values, not attributes", 11),
    ("amount in 5", "expected '[' after 'in'", 10),
    ("5 in [5]", "the left side of 'in' must be an attribute", 2),
    ("__import__('os')", "expected 'and', 'or' or end of input but found '('", 10),
    ("amount.__class__ == 1", "unexpected character '.'", 6),
    ("1 < amount < 5", "comparisons cannot be chained", 11),
    ("5 == 5", "a comparison must involve at least one attribute", 2),
    ("amount", "a condition must be true or false, but this is a number", 0),
    ("'yes'", "a condition must be true or false, but this is a string", 0),
    ("amount > 5 and 3", "'and' needs true/false operands, got a number", 15),
    ("not amount", "'not' needs true/false operands, got a number", 4),
    ("", "expected an attribute, a value, 'not' or '(' but found end of input", 0),
    ("   ", "expected an attribute, a value, 'not' or '(' but found end of input", 3),
    ("amount > 5 or", "but found end of input", 13),
    ("Amount > 5", "invalid name 'Amount'", 0),
    ("deviation == True", "invalid name 'True'", 13),
    ("amount > 5 && deviation", "unexpected character '&'", 11),
    ("amount > 5; deviation", "unexpected character ';'", 10),
    ("amount > 1e3", "expected 'and', 'or' or end of input but found 'e3'", 10),
    ("citizen_category == 'abc", "unterminated string", 20),
    ("citizen_category == 'a\\b'", "character '\\\\' is not allowed in strings", 22),
    ("citizen_category == 'a!b'", "character '!' is not allowed in strings", 22),
    ("citizen_category == 'a,b'", "character ',' is not allowed in strings", 22),
    ("citizen_category == 'a\nb'", "character '\\n' is not allowed in strings", 22),
    ("citizen_category == \"it's\"", "character \"'\" is not allowed in strings", 23),
    ("citizen_category == 'se p. 5'", "'p.' is not allowed in strings (casbin would rewrite it)", 24),
])
def test_malformed_conditions_are_rejected_with_message_and_position(text, message, position):
    with pytest.raises(ConditionError) as caught:
        compile_condition(text, ATTRS)
    assert message in caught.value.message
    assert caught.value.position == position
    assert str(caught.value) == f"{caught.value.message} at position {position}"


def test_unknown_attribute_message_lists_the_declared_attributes():
    with pytest.raises(ConditionError) as caught:
        compile_condition("amout > 5", {"amount": "number", "deviation": "boolean"})
    assert caught.value.message == "unknown attribute 'amout' (declared: amount, deviation)"


def test_condition_error_is_a_value_error():
    with pytest.raises(ValueError):
        compile_condition("amount <", ATTRS)


def test_strings_with_allowed_punctuation_and_decimal_codes_are_fine():
    assert check("citizen_category == 'KLE 27.69.10 - a/b: x+y@z 5%'",
                 citizen_category="KLE 27.69.10 - a/b: x+y@z 5%") is True


# --- Limits against hostile input ------------------------------------------------------------------


def test_text_longer_than_2000_characters_is_rejected_before_parsing():
    text = "amount > 1" + " " * 2000
    with pytest.raises(ConditionError, match="at most 2000 characters"):
        compile_condition(text, ATTRS)


def test_nesting_up_to_the_limit_is_fine_but_deeper_is_rejected():
    assert check("(" * (MAX_DEPTH - 1) + "deviation" + ")" * (MAX_DEPTH - 1), deviation=True)
    with pytest.raises(ConditionError, match="nested deeper than 32 levels"):
        compile_condition("(" * 40 + "deviation" + ")" * 40, ATTRS)
    with pytest.raises(ConditionError, match="nested deeper than 32 levels"):
        compile_condition("not " * 40 + "deviation", ATTRS)


def test_very_deep_input_fails_cleanly_instead_of_exhausting_the_stack():
    with pytest.raises(ConditionError):
        compile_condition("(" * 1990, ATTRS)


def test_conditions_with_more_than_200_parts_are_rejected():
    with pytest.raises(ConditionError, match="too large"):
        compile_condition(" or ".join(["amount > 1"] * 70), ATTRS)
    with pytest.raises(ConditionError, match="too large"):
        compile_condition("amount in [" + ",".join(["1"] * 250) + "]", ATTRS)


def test_overlong_names_and_strings_are_rejected():
    with pytest.raises(ConditionError, match="name longer than 64"):
        compile_condition("a" * 65 + " > 1", ATTRS)
    with pytest.raises(ConditionError, match="string longer than 200"):
        compile_condition(f"citizen_category == '{'x' * 201}'", ATTRS)


def test_module_never_calls_eval_exec_or_compile():
    tree = ast.parse(inspect.getsource(conditions))
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    builtins_called = {f.id for f in calls if isinstance(f, ast.Name)}
    methods_called = {f.attr for f in calls if isinstance(f, ast.Attribute)}
    assert not builtins_called & {"eval", "exec", "compile", "__import__"}
    assert "literal_eval" not in methods_called


# --- Attribute declarations ------------------------------------------------------------------------


@pytest.mark.parametrize(("attrs", "message"), [
    ({"class": "number"}, "reserved"),       # a Python keyword: 'r_attrs.class' is a syntax error
    ({"items": "number"}, "reserved"),       # dict method: a dict request would return the method
    ({"_secret": "string"}, "reserved"),     # simpleeval refuses attributes starting with '_'
    ({"func_x": "string"}, "reserved"),
    ({"format": "string"}, "reserved"),
    ({"Amount": "number"}, "invalid attribute name"),
    ({"a" * 65: "number"}, "invalid attribute name"),
    ({"amount": "money"}, "unknown type 'money'"),
])
def test_declarations_that_casbin_could_not_evaluate_are_rejected(attrs, message):
    with pytest.raises(ConditionError, match=message):
        compile_condition("true", attrs)


# --- Casbin translation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("amount <= 10000", "r.attrs.amount <= 10000"),
    ("10000 >= amount", "10000 >= r.attrs.amount"),
    ("amount < 007.50", "r.attrs.amount < 7.50"),
    ("deviation", "r.attrs.deviation"),
    ("deviation == true", "r.attrs.deviation"),
    ("deviation != true", "!r.attrs.deviation"),
    ("deviation == false", "!r.attrs.deviation"),
    ("false != deviation", "r.attrs.deviation"),
    ("true", "(1 == 1)"),
    ("false", "(1 != 1)"),
    ("citizen_category in ['a','b']",
     "(r.attrs.citizen_category == 'a' || r.attrs.citizen_category == 'b')"),
    ("citizen_category not in ['a','b']",
     "(r.attrs.citizen_category != 'a' && r.attrs.citizen_category != 'b')"),
    ("citizen_category in ['a']", "r.attrs.citizen_category == 'a'"),
    ("deviation in [true, false]", "(r.attrs.deviation || !r.attrs.deviation)"),
    ("not (amount > 5000 and deviation)", "!(r.attrs.amount > 5000 && r.attrs.deviation)"),
    ("not amount > 5", "!(r.attrs.amount > 5)"),
    ("not deviation == false", "!!r.attrs.deviation"),
    ("deviation or amount > 1 and amount < 5",
     "r.attrs.deviation || (r.attrs.amount > 1 && r.attrs.amount < 5)"),
])
def test_casbin_translation_uses_the_pycasbin_and_node_casbin_common_subset(text, expected):
    assert compile_condition(text, ATTRS).to_casbin() == expected


def test_casbin_prefix_can_be_changed_but_must_be_a_dotted_path():
    condition = compile_condition("amount <= 5", ATTRS)
    assert condition.to_casbin("r.obj.") == "r.obj.amount <= 5"
    with pytest.raises(ConditionError, match="invalid casbin prefix"):
        condition.to_casbin("r.attrs; import os; ")


# --- Differential test: pycasbin agrees with evaluate() ---------------------------------------------

CASBIN_MODEL = """
[request_definition]
r = sub, attrs

[policy_definition]
p = sub, cond

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.sub == p.sub && eval(p.cond)
"""

DIFFERENTIAL_CONDITIONS = [
    "amount <= 10000", "10000 >= amount", "deviation == false", "false == deviation", "deviation != false",
    "deviation", "not deviation", "not not deviation", "true", "false", "not true",
    "citizen_category in ['a','b']", "citizen_category not in ['a', 'ældre']", "not (citizen_category == 'a')",
    "not (amount > 5000 and deviation)", "not deviation or amount < 5 and deviation",
    "deviation in [true, false]", "deviation not in [true]", "amount <= limit", "deviation == urgent",
    "not deviation == urgent", "-5.5 < amount and amount < 10000.75", "(amount > 5 or deviation) and not urgent",
    "amount in [1, 2.5, -3]", "deviation and true", "urgent or false", "not (not deviation or urgent)",
    "citizen_category == unit", "citizen_category != unit or amount != limit",
]
DIFFERENTIAL_VALUES = [
    dict(zip(("amount", "limit", "deviation", "urgent", "citizen_category", "unit"), combo))
    for combo in itertools.product([-10, 1, 2.5, 6000, 20000], [1, 6000], [True, False], [True, False],
                                   ["a", "ældre", "b"], ["a", "b"])
]


def _random_condition(rng: random.Random, depth: int = 0) -> str:
    """A random well-typed condition over WIDE, to find translation bugs nobody thought of."""
    choice = rng.randrange(7 if depth < 3 else 4)
    if choice == 0:
        sides = [rng.choice(["amount", "limit"]), rng.choice(["amount", "limit", "-3", "0", "1", "2.5", "6000"])]
        rng.shuffle(sides)
        return f" {rng.choice(['==', '!=', '<', '<=', '>', '>='])} ".join(sides)
    if choice == 1:
        return f"{rng.choice(['deviation', 'urgent', 'true', 'false'])} {rng.choice(['==', '!='])} " \
               f"{rng.choice(['deviation', 'urgent'])}"
    if choice == 2:
        items = ", ".join(rng.sample(["'a'", "'b'", "'ældre'", "'x'"], rng.randint(1, 3)))
        return f"citizen_category {rng.choice(['in', 'not in'])} [{items}]"
    if choice == 3:
        return rng.choice(["deviation", "urgent", "true", "false", "deviation in [true]"])
    if choice == 4:
        return f"not ({_random_condition(rng, depth + 1)})"
    op = rng.choice([" and ", " or "])
    inner = op.join(_random_condition(rng, depth + 1) for _ in range(rng.randint(2, 3)))
    return f"({inner})" if rng.random() < 0.5 else inner


RANDOM_CONDITIONS = [_random_condition(random.Random(seed)) for seed in range(60)]


@pytest.fixture(scope="module")
def casbin():
    return pytest.importorskip("casbin")


class TestCasbinAgreesWithEvaluate:
    def enforcer(self, casbin, condition):
        model = casbin.Model()
        model.load_model_from_text(CASBIN_MODEL)
        enforcer = casbin.Enforcer(model)
        enforcer.add_policy("area", condition.to_casbin())
        return enforcer

    def disagreements(self, casbin, text):
        condition = compile_condition(text, WIDE)
        enforcer = self.enforcer(casbin, condition)
        found = []
        for values in DIFFERENTIAL_VALUES:
            expected = condition.evaluate(values)
            # Both a dict and an object work as r.attrs: simpleeval tries getattr() and falls back
            # to indexing, which is why dict method names are reserved attribute names.
            for attrs in (values, types.SimpleNamespace(**values)):
                if enforcer.enforce("area", attrs) != expected:
                    found.append((type(attrs).__name__, values, expected))
        return condition.to_casbin(), found[:3]

    @pytest.mark.parametrize("text", DIFFERENTIAL_CONDITIONS)
    def test_pycasbin_enforce_matches_evaluate(self, casbin, text):
        assert self.disagreements(casbin, text)[1] == []

    @pytest.mark.parametrize("text", RANDOM_CONDITIONS, ids=[f"seed{i}" for i in range(len(RANDOM_CONDITIONS))])
    def test_pycasbin_enforce_matches_evaluate_for_random_conditions(self, casbin, text):
        assert self.disagreements(casbin, text)[1] == []

    def test_translation_survives_casbins_textual_policy_loader(self, casbin):
        # CSV-style adapters split policy lines on top-level commas and track brackets.
        texts = ["citizen_category in ['a', 'b', 'ældre']", "amount in [1, 2] and not deviation"]
        lines = "\n".join(f"p, c{i}, {compile_condition(t, WIDE).to_casbin()}" for i, t in enumerate(texts))
        model = casbin.Model()
        model.load_model_from_text(CASBIN_MODEL)
        enforcer = casbin.Enforcer(model, casbin.StringAdapter(lines))
        values = {"citizen_category": "ældre", "amount": 2, "deviation": False}
        assert enforcer.enforce("c0", values) is True
        assert enforcer.enforce("c1", values) is True
        assert enforcer.enforce("c1", {**values, "deviation": True}) is False

    def test_boolean_literals_must_not_reach_pycasbin(self, casbin):
        # Why to_casbin never writes true/false: pycasbin only knows the request/policy names.
        model = casbin.Model()
        model.load_model_from_text(CASBIN_MODEL)
        enforcer = casbin.Enforcer(model)
        enforcer.add_policy("area", "r.attrs.deviation == false")
        with pytest.raises(Exception, match="'false' is not defined"):
            enforcer.enforce("area", {"deviation": False})
