"""Deterministic scores of an agent's answer against a task's gold slots (no LLM judge).

The task format is the one of ``shared/agent/README.md``: ``gold`` is a list of slots, each a
list of operators that fill it equally well (``*new*``: a class the agent writes itself);
``optional`` operators are neutral; ``unordered`` lists groups of slot indexes whose relative
order does not matter; ``output_keys`` and ``checks`` (``min_rows_out``/``max_rows_out``) judge
the sample run; ``expect: refuse`` marks a request the agent must decline.

- :func:`retrieval_recall`: the share of gold slots with an acceptable operator among the top
  ``k`` candidates retrieved for any step (each step description has its own ranking; the
  agent's candidates for a slot are the union of the steps' top ``k``).
- :func:`operator_scores`: precision, recall and F1 of the produced operators against the slots
  (a slot is matched once, by any of its operators; optional operators count neither way; a
  written-prompt step does not match ``*new*``, which asks for a synthesised class).
- :func:`order_agreement`: the share of pairs of matched slots that appear in gold order,
  pairs inside one ``unordered`` group left out (None with fewer than two matched slots).
- :func:`output_checks`: what the sample run's output fails of ``output_keys`` and ``checks``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NEW",
    "match_slots",
    "operator_scores",
    "order_agreement",
    "output_checks",
    "retrieval_recall",
]

NEW = "*new*"


def retrieval_recall(gold: list[list[str]], candidates: list[list[str]], k: int) -> float:
    if not gold:
        return 1.0
    top = {name for ranking in candidates for name in ranking[:k]}
    return sum(1 for slot in gold if top & set(slot)) / len(gold)


def match_slots(gold: list[list[str]], produced: list[str]) -> dict[int, int]:
    """Produced position -> gold slot index, each slot matched at most once (first come)."""
    taken: set[int] = set()
    matched: dict[int, int] = {}
    for position, name in enumerate(produced):
        for slot, names in enumerate(gold):
            if slot not in taken and name in names:
                taken.add(slot)
                matched[position] = slot
                break
    return matched


def operator_scores(
    gold: list[list[str]],
    produced: list[str],
    optional: list[str] = (),  # type: ignore[assignment]
) -> dict[str, float]:
    matched = match_slots(gold, produced)
    counted = [i for i, name in enumerate(produced) if i in matched or name not in set(optional)]
    precision = len(matched) / len(counted) if counted else 0.0
    recall = len(set(matched.values())) / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def order_agreement(
    gold: list[list[str]],
    produced: list[str],
    unordered: list[list[int]] = (),  # type: ignore[assignment]
) -> float | None:
    matched = match_slots(gold, produced)
    position_of = {slot: position for position, slot in matched.items()}
    slots = sorted(position_of)
    group_of = {i: g for g, group in enumerate(unordered) for i in group}
    pairs = agree = 0
    for a_i, a in enumerate(slots):
        for b in slots[a_i + 1 :]:
            if a in group_of and group_of.get(b) == group_of[a]:
                continue
            pairs += 1
            agree += position_of[a] < position_of[b]
    return agree / pairs if pairs else None


def output_checks(
    rows: list[dict[str, Any]], rows_out: int, output_keys: list[str], checks: dict[str, Any]
) -> list[str]:
    failed = []
    for key in output_keys:
        if any(key not in row for row in rows):
            failed.append(f"output rows lack {key}")
    low, high = checks.get("min_rows_out"), checks.get("max_rows_out")
    if low is not None and rows_out < low:
        failed.append(f"{rows_out} rows out < min_rows_out {low}")
    if high is not None and rows_out > high:
        failed.append(f"{rows_out} rows out > max_rows_out {high}")
    return failed
