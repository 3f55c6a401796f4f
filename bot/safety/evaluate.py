"""Measure a detector on labelled cases (used by tests; runnable as a module)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from bot.safety.risk import RiskDetector


class RiskCase(NamedTuple):
    """One labelled sentence: ``expected`` is True when the bot must react."""

    language: str
    expected: bool
    text: str
    note: str = ""


def parse_cases(text: str) -> list[RiskCase]:
    """Parse ``language<TAB>pos|neg<TAB>text[<TAB>note]`` lines ("#" lines are comments)."""
    cases = []
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        lang, label, body, *rest = raw.split("\t")
        if label not in ("pos", "neg"):
            raise ValueError(f"bad label {label!r}")
        cases.append(RiskCase(lang, label == "pos", body, rest[0] if rest else ""))
    return cases


def load_cases(path: str | Path) -> list[RiskCase]:
    """Read a cases file in the ``parse_cases`` format."""
    return parse_cases(Path(path).read_text(encoding="utf-8"))


def evaluate(detector: RiskDetector, cases: Iterable[RiskCase]) -> dict[str, Any]:
    """Count TP/FP/FN/TN per language and overall; list the misclassified cases."""
    counts: dict[str, dict[str, int]] = {}
    errors: list[RiskCase] = []
    for case in cases:
        hit = detector.check(case.text) is not None
        key = {(True, True): "tp", (True, False): "fp", (False, True): "fn"}.get(
            (hit, case.expected), "tn"
        )
        for bucket in (case.language, "all"):
            row = counts.setdefault(bucket, {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
            row[key] += 1
        if key in ("fp", "fn"):
            errors.append(case)
    return {"counts": counts, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    """Print counts for a cases file: ``python -m bot.safety.evaluate CASES.tsv``."""
    args = sys.argv[1:] if argv is None else argv
    result = evaluate(RiskDetector.default(), load_cases(args[0]))
    for lang, row in sorted(result["counts"].items()):
        print(lang, " ".join(f"{k}={v}" for k, v in row.items()))
    for case in result["errors"]:
        print("MISS" if case.expected else "FALSE ALARM", case.language, case.text)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
