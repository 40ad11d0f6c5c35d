"""Interleaved rounds: each contender once per round, in order (vidhost, baseline, vidhost, ...),
every round printed, then the medians and the ratios (issue 10: one run swings by ±10%)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Measured:
    """One measurement: the figure (seconds) and what else the round saw, for the log."""

    seconds: float
    note: str = ""


@dataclass(frozen=True)
class Contender:
    name: str
    run: Callable[[int], Measured]
    """Called with the round number (1-based)."""


@dataclass
class Results:
    rows: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.rows[name])


def run_rounds(title: str, rounds: int, contenders: Sequence[Contender]) -> Results:
    """Run ``rounds`` rounds of every contender in turn, printing each measurement as it ends."""
    results = Results({c.name: [] for c in contenders})
    print(f"== {title}: {rounds} interleaved round(s) of {', '.join(c.name for c in contenders)}")
    for n in range(1, rounds + 1):
        for contender in contenders:
            measured = contender.run(n)
            results.rows[contender.name].append(measured.seconds)
            note = f"  ({measured.note})" if measured.note else ""
            print(f"  round {n}: {contender.name:<34} {measured.seconds:8.2f} s{note}", flush=True)
    print("  medians:")
    for contender in contenders:
        values = ", ".join(f"{v:.2f}" for v in results.rows[contender.name])
        print(f"    {contender.name:<34} {results.median(contender.name):8.2f} s  [{values}]")
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_ratio(label: str, figure: float, baseline: float, goal: float, *, at_most: bool) -> bool:
    """``figure / baseline`` against ``goal`` (``at_most``: ratio <= goal, else >= goal)."""
    ratio = figure / baseline
    ok = ratio <= goal if at_most else ratio >= goal
    sign = "<=" if at_most else ">="
    print(
        f"  {label}: {figure:.2f} s / {baseline:.2f} s = {ratio:.3f}  "
        f"(goal {sign} {goal})  {verdict(ok)}",
        flush=True,
    )
    return ok
