"""Metric filter patterns (CloudWatch Logs User Guide, "Filter pattern syntax for metric filters")."""

from __future__ import annotations

import json

import pytest

from atelier.emulator.logs.patterns import PatternError, compile_pattern

JOB = json.dumps(
    {
        "job_id": "j1",
        "pipeline": "images",
        "status": "FAILED",
        "duration_s": 12.5,
        "error_class": "OSError",
        "tags": ["a", "b"],
        "gpu": None,
    }
)


@pytest.mark.parametrize(
    ("pattern", "message", "hit"),
    [
        ("", "anything", True),
        ("ERROR", "an ERROR here", True),
        ("ERROR", "an error here", False),  # terms are case-sensitive
        ("ERROR timeout", "ERROR: timeout", True),  # all terms must appear
        ("ERROR timeout", "ERROR: refused", False),
        ('"job failed"', "the job failed now", True),
        ('"job failed"', "failed job", False),
        ("?ERROR ?WARN", "WARN disk", True),
        ("?ERROR ?WARN", "INFO ok", False),
        ("ERROR -retry", "ERROR retry 1", False),
        ("ERROR -retry", "ERROR final", True),
        ('{ $.status = "FAILED" }', JOB, True),
        ('{ $.status = "SUCCEEDED" }', JOB, False),
        ('{ $.status = "FAIL*" }', JOB, True),
        ('{ $.status != "FAILED" }', JOB, False),
        ("{ $.duration_s > 10 }", JOB, True),
        ("{ $.duration_s <= 10 }", JOB, False),
        ('{ $.status = "FAILED" && $.pipeline = "images" }', JOB, True),
        ('{ $.status = "FAILED" && $.pipeline = "al" }', JOB, False),
        ('{ ($.pipeline = "al") || ($.duration_s >= 12.5) }', JOB, True),
        ('{ $.tags[1] = "b" }', JOB, True),
        ("{ $.gpu IS NULL }", JOB, True),
        ("{ $.missing NOT EXISTS }", JOB, True),
        ('{ $.status = "FAILED" }', "status FAILED (plain text)", False),
    ],
)
def test_pattern(pattern: str, message: str, hit: bool) -> None:
    assert (compile_pattern(pattern)(message) is not None) is hit


@pytest.mark.parametrize(
    "bad",
    [
        '{ $.status = "FAILED" ',
        "{ status = 1 }",
        '{ $.a > "x" }',
        '"unterminated',
        "{ $.a = }",
        "{ && }",
    ],
)
def test_unparseable_patterns_are_refused(bad: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(bad)
