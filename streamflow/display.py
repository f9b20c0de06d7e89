"""The live per-operator display and the end-of-run summary, drawn with rich on stderr."""

from __future__ import annotations

import anyio
from rich.console import Console
from rich.live import Live
from rich.table import Table

from streamflow.channels.stats import RunStats


def stats_table(stats: RunStats, title: str | None = None) -> Table:
    """One row per step; LLM columns (requests, tokens, cost) appear once a step made calls."""
    llm = any(s.requests for s in stats.steps)
    table = Table(title=title, title_justify="left", expand=False)
    columns = ["step", "kind", "in", "out", "dropped", "failed", "rows/s", "queue"]
    if llm:
        columns += ["requests", "tokens in/out", "cost"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("step", "kind") else "right")
    for s in stats.steps:
        source = s.kind == "source"
        seen = s.rows_out if source else s.rows_in
        cells = [
            _clip(s.name),
            s.kind,
            "" if source else f"{s.rows_in:,}",
            f"{s.rows_out:,}",
            f"{s.dropped:,}" if s.dropped else "",
            f"{s.failed:,}" if s.failed else "",
            f"{seen / s.elapsed:,.0f}" if s.elapsed > 0 else "",
            "" if source else str(s.queue_depth()),
        ]
        if llm:
            cells += (
                [
                    f"{s.requests:,}",
                    f"{s.prompt_tokens:,}/{s.completion_tokens:,}",
                    f"${s.cost:,.4f}",
                ]
                if s.requests
                else ["", "", ""]
            )
        table.add_row(*cells)
    return table


class LiveDisplay:
    """A run monitor (see :mod:`streamflow.executors`): redraws the table a few times a second."""

    def __init__(self, console: Console, refresh_per_second: float = 4.0) -> None:
        self.console = console
        self.interval = 1.0 / refresh_per_second

    async def __call__(self, stats: RunStats) -> None:
        with Live(console=self.console, auto_refresh=False, transient=True) as live:
            while True:
                live.update(stats_table(stats, f"running {stats.elapsed:,.1f}s"), refresh=True)
                await anyio.sleep(self.interval)


def _clip(name: str, width: int = 48) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]
