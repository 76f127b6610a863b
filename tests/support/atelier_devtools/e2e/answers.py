"""Are the jobs' answers right? Each job's result compared with the ground truth the seed wrote.

- image job: the digits it read, tile by tile, against the composite's answer key
  (``images/composite-N.json``: every digit tile's box and digit);
- active-learning job: the final accuracy of its best strategy on its held-out split, and that
  its curve learned (ends above where it started).

The thresholds sit well below what the seeded models reach (digits: 0.99 held-out accuracy,
AL: about 0.9 after ten rounds) and well above what a broken model reaches (chance is 0.1).
"""

from __future__ import annotations

from typing import Any

MIN_DIGIT_RECALL = 0.9  # share of the truth's digit tiles read with the right digit
MAX_FALSE_DETECTIONS = 0.1  # detections on tiles without a digit, as a share of digit tiles
MIN_AL_ACCURACY = 0.8


def digits_problems(result: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    expected = {tuple(d["box"]): int(d["digit"]) for d in truth["digits"]}
    read = {tuple(d["box"]): int(d["digit"]) for d in result.get("detections", [])}
    right = sum(1 for box, digit in expected.items() if read.get(box) == digit)
    wrong = {
        box: (digit, read[box])
        for box, digit in expected.items()
        if box in read and read[box] != digit
    }
    missed = [box for box in expected if box not in read]
    false = [box for box in read if box not in expected]
    problems = []
    if not expected:
        return ["the answer key lists no digits"]
    recall = right / len(expected)
    if recall < MIN_DIGIT_RECALL:
        problems.append(
            f"read {right} of {len(expected)} digits right ({recall:.0%} < {MIN_DIGIT_RECALL:.0%}): "
            f"wrong {dict(list(wrong.items())[:5])}, missed {missed[:5]}"
        )
    if len(false) > MAX_FALSE_DETECTIONS * len(expected):
        problems.append(f"{len(false)} detections on tiles without a digit, e.g. {false[:5]}")
    truth_string = "".join(str(expected[b]) for b in sorted(expected, key=lambda b: (b[1], b[0])))
    if right == len(expected) and not false and result.get("digits_read") != truth_string:
        problems.append(
            f"digits_read {result.get('digits_read')!r} is not the tiles in reading order "
            f"{truth_string!r}"
        )
    return problems


def al_problems(curves: dict[str, Any]) -> list[str]:
    strategies: dict[str, list[dict[str, float]]] = curves.get("strategies", {})
    best = curves.get("best_strategy")
    if best not in strategies or not strategies[best]:
        return [f"no curve for the best strategy {best!r}: {sorted(strategies)}"]
    curve = strategies[best]
    first, last = curve[0]["accuracy"], curve[-1]["accuracy"]
    problems = []
    if last < MIN_AL_ACCURACY:
        problems.append(
            f"{best} ends at accuracy {last:.3f} < {MIN_AL_ACCURACY} with {curve[-1]['labels']:.0f} labels"
        )
    if last <= first:
        problems.append(f"{best} did not learn: accuracy {first:.3f} -> {last:.3f}")
    return problems
