import pytest

from workflow import expressions
from workflow.errors import ExpressionLimit, InvalidExpression


@pytest.mark.parametrize(("expression", "data", "expected"), [
    ('decision == "pass"', {"decision": "pass"}, True),
    ("score >= 80 and len(items) > 1", {"score": 85, "items": [1, 2]}, True),
    ('opinion["decision"] in ("pass", "conditional")', {"opinion": {"decision": "fail"}}, False),
    ('f"P{days}D"', {"days": 30}, "P30D"),
    ('"P14D"', {}, "P14D"),
])
def test_allowed_expressions_evaluate(expression, data, expected):
    assert expressions.evaluate(expression, data) == expected


@pytest.mark.parametrize("expression", [
    "().__class__.__base__.__subclasses__()",
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "decision.upper()",
    "(lambda: 1)()",
    "[x for x in range(3)]",
    "${decision == 'pass'}",
    "2 ** 1000000",
    "getattr(decision, 'upper')",
    "x := 1",
])
def test_dangerous_or_foreign_expressions_are_refused(expression):
    with pytest.raises(InvalidExpression):
        expressions.evaluate(expression, {"decision": "pass"})


def test_builtins_are_not_reachable_through_data():
    with pytest.raises(NameError):
        expressions.evaluate("print", {})


@pytest.mark.parametrize(("expression", "fragment"), [
    ('"a" * 1000000000', "more than 1,000,000"),
    ("max([[0] * 100000] * 100000)", "more than 1,000,000"),
    ("len([[1] * 1000] * 1000000)", "more than 1,000,000"),
    ('f"{1:>1000000000}"', "format specifications"),
    ('f"{x:{1000000000}}"', "format specifications"),
    ("'%.1000000000f' % 1.0", "% is not allowed"),
    ("'%s' % x", "% is not allowed"),
    ("round(1, -1000000000)", "at most 100 digits"),
    ('after(period_start, "P999999999D")', "longer than 100 years"),
    ("-" * 150 + "1", "levels deep"),
    ("+".join(["1"] * 500), "levels deep"),
    ("1 << 10", "LShift"),
    ("2 ** 10", "Pow"),
    ("range(10)", "only these functions"),
])
def test_constant_bombs_are_refused_when_the_model_is_checked(expression, fragment):
    with pytest.raises(InvalidExpression) as refused:
        expressions.check(expression)
    assert fragment in refused.value.message


@pytest.mark.parametrize(("expression", "data", "fragment"), [
    ('"a" * n', {"n": 10**9}, "repeating a text or list"),
    ("n * [0]", {"n": 10**9}, "repeating a text or list"),
    ("[row] * n", {"row": [0] * 1000, "n": 2000}, "repeating a text or list"),
    ("max(rows)", {"rows": [[0] * 100_000] * 100_000}, "the argument of max()"),
    ("str(rows)", {"rows": [[0] * 1000] * 10_000}, "the argument of str()"),
    ("f\"{rows}\"", {"rows": [[0] * 1000] * 10_000}, "put into an f-string"),
    ("text + text", {"text": "x" * 600_000}, "joining texts or lists"),
    ("template % n", {"template": "%.1000000000f", "n": 1.0}, "% is not allowed"),
    ("n * n", {"n": int("9" * 4000)}, "bits"),
    ("round(x, n)", {"x": 1, "n": -10**9}, "at most 100 digits"),
])
def test_bombs_built_from_task_data_are_stopped_at_run_time(expression, data, fragment):
    expressions.check(expression)
    with pytest.raises(ExpressionLimit) as stopped:
        expressions.evaluate(expression, data)
    assert fragment in stopped.value.message


def test_an_expression_runs_under_a_time_budget(monkeypatch):
    monkeypatch.setattr(expressions, "SECONDS", -1.0)
    with pytest.raises(ExpressionLimit, match="ran for more than"):
        expressions.evaluate("len(items) * 2", {"items": [1, 2]})


@pytest.mark.parametrize(("expression", "data", "expected"), [
    ('"ab" * 3', {}, "ababab"),
    ("[0] * n", {"n": 3}, [0, 0, 0]),
    ("score % 7", {"score": 23}, 2),
    ('f"{name!r}: {n}"', {"name": "x", "n": 2}, "'x': 2"),
    ("max(scores) - min(scores)", {"scores": [60, 95, 80]}, 35),
    ('str(n) + "件"', {"n": 5}, "5件"),
    ("round(x, 1)", {"x": 2.345}, 2.3),
])
def test_ordinary_expressions_keep_working_under_the_guards(expression, data, expected):
    assert expressions.evaluate(expression, data) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('"P30D"', (True, "P30D")), ("3 * 4", (True, 12)), ("n * 2", (False, None)), ('int("x")', (False, None)),
])
def test_constant_values_are_known_without_data(expression, expected):
    assert expressions.constant(expression) == expected
