"""The live per-operator display and the end-of-run summary, drawn with rich on stderr.

On a terminal the display is a table redrawn in place. Elsewhere (CI logs, ``nohup``, a pipe)
a redrawn table would be squeezed to 80 columns and repeated, so :class:`PlainProgress` prints
a plain line now and then instead, and :func:`stats_lines` gives the summary as lines.
"""

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
                    f"{s.requests:,}" + (f" ({s.hedged:,} hedged)" if s.hedged else ""),
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


class PlainProgress:
    """A run monitor for output that is not a terminal: one plain line per step group, after
    1, 2, 4, 8, 16 seconds, then every ``every`` seconds (short runs still show progress, long
    ones do not flood the log)."""

    def __init__(self, console: Console, every: float = 30.0) -> None:
        self.console = console
        self.every = every

    async def __call__(self, stats: RunStats) -> None:
        wait = 1.0
        while True:
            await anyio.sleep(wait)
            self.console.print(progress_line(stats), highlight=False, soft_wrap=True)
            wait = min(wait * 2, self.every)


def progress_line(stats: RunStats) -> str:
    """``progress 12.0s: read 1,200 | Shout 1,200 -> 1,200 | ... | written 1,100``."""
    parts = [f"read {stats.source.rows_out:,}"]
    for s in stats.operators:
        extra = "".join(
            f", {n:,} {what}" for n, what in ((s.dropped, "dropped"), (s.failed, "failed")) if n
        )
        parts.append(f"{s.name} {s.rows_in:,} -> {s.rows_out:,}{extra}")
    parts.append(f"written {stats.sink.rows_out:,}")
    return f"progress {stats.elapsed:,.1f}s: " + " | ".join(parts)


def stats_lines(stats: RunStats, title: str) -> str:
    """The summary of :func:`stats_table` as plain lines, nothing cut."""
    lines = [title]
    for s in stats.steps:
        seen = s.rows_out if s.kind == "source" else s.rows_in
        counts = (
            f"{s.rows_out:,} read"
            if s.kind == "source"
            else f"{s.rows_in:,} in, {s.rows_out:,} out"
        )
        if s.dropped:
            counts += f", {s.dropped:,} dropped"
        if s.failed:
            counts += f", {s.failed:,} failed"
        if s.elapsed > 0:
            counts += f", {seen / s.elapsed:,.0f} rows/s"
        if s.requests:
            counts += (
                f", {s.requests:,} requests, {s.prompt_tokens:,}/{s.completion_tokens:,} tokens"
                f" in/out, ${s.cost:,.4f}"
            )
        lines.append(f"  {s.name} ({s.kind}): {counts}")
    return "\n".join(lines)


def _clip(name: str, width: int = 48) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]
