"""The live per-operator display and the end-of-run summary, drawn with rich on stderr."""

from __future__ import annotations

import anyio
from rich.console import Console
from rich.live import Live
from rich.table import Table

from streamflow.channels.stats import RunStats


def stats_table(stats: RunStats, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for column in ("step", "kind", "in", "out", "dropped", "failed", "rows/s", "queue"):
        table.add_column(column, justify="left" if column in ("step", "kind") else "right")
    for s in stats.steps:
        rows_in = s.rows_out if s.kind == "source" else s.rows_in
        table.add_row(
            _clip(s.name),
            s.kind,
            f"{rows_in:,}" if s.kind != "source" else "",
            f"{s.rows_out:,}",
            f"{s.dropped:,}" if s.dropped else "",
            f"{s.failed:,}" if s.failed else "",
            f"{(s.rows_out if s.kind == 'source' else s.rows_in) / s.elapsed:,.0f}"
            if s.elapsed > 0
            else "",
            "" if s.kind == "source" else str(s.queue_depth()),
        )
    return table


class LiveDisplay:
    """A monitor for :func:`streamflow.runtime.execute`: redraws the table a few times a second."""

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
