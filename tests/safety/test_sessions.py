"""Sessions deliver every result exactly once whatever the consumer does (issue 9, item 7)."""

from __future__ import annotations

import re
import textwrap

import anyio
import pytest
from helpers import REPO, Chain

from streamflow import Failure, Filter, Generator
from streamflow.operators.general_text import HashDeduplicateFilter
from streamflow.session import SessionError


class Double(Generator):
    async def process(self, rows, input_key: str, output_key: str):
        await anyio.sleep(0)
        return [{**r, output_key: r[input_key] * 2} for r in rows]


class FailThirds(Generator):
    def process(self, rows, input_key: str):
        return [Failure(f"{r[input_key]} is a third") if r[input_key] % 3 == 0 else r for r in rows]


class Even(Filter):
    def process(self, rows, input_key: str):
        return [r[input_key] % 2 == 0 for r in rows]


def doubling() -> Chain:
    return Chain([(Double(), {"input_key": "n", "output_key": "d"})])


async def send_all(session, ns) -> None:
    for n in ns:
        await session.send({"n": n}, id=f"r{n}")


async def test_break_then_iterate_again_loses_nothing() -> None:
    async with doubling().session(source_fields=["n"], batch_size=8) as session:
        await send_all(session, range(20))
        await session.close()
        first = []
        async for result in session:
            first.append(result.id)
            if len(first) == 3:
                break  # the rest of that batch of 8 must still come
        rest = [result.id async for result in session]
    assert first + rest == [f"r{n}" for n in range(20)]


async def test_a_cancelled_consumer_loses_nothing() -> None:
    async with doubling().session(source_fields=["n"], batch_size=8) as session:
        got: list[str] = []
        await send_all(session, range(8))
        with anyio.CancelScope() as scope:
            async for result in session:
                got.append(result.id)
                scope.cancel()
                await anyio.sleep(0)  # cancelled here, one row into a batch of eight
        assert scope.cancelled_caught
        with anyio.fail_after(30), anyio.CancelScope() as scope:  # a guard: rows lost, it hangs
            async for result in session:
                got.append(result.id)
                if len(got) == 8:
                    scope.cancel()  # lands while the loop waits for a row not yet sent
        assert scope.cancelled_caught
        await send_all(session, range(8, 12))
        await session.close()
        got += [result.id async for result in session]
    assert got == [f"r{n}" for n in range(12)]


async def test_failed_rows_are_yielded_as_failures() -> None:
    pipeline = Chain([(FailThirds(), {"input_key": "n"}), (Even(), {"input_key": "n"})])
    async with pipeline.session(source_fields=["n"], batch_size=4) as session:
        await send_all(session, range(12))
        await session.close()
        results = [result async for result in session]
    failed = {r.id: r.error for r in results if not r.ok}
    assert failed == {f"r{n}": f"FailThirds: {n} is a third" for n in (0, 3, 6, 9)}
    assert [r.id for r in results if r.ok] == ["r2", "r4", "r8", "r10"]  # odd ones dropped
    assert [r.row["n"] for r in results if not r.ok] == [0, 3, 6, 9]


async def test_a_second_session_at_once_is_refused_with_its_reason() -> None:
    dedup = HashDeduplicateFilter()
    pipeline = Chain([(dedup, {"input_keys": ["text"]})])
    async with pipeline.session(source_fields=["text"]) as first:
        with pytest.raises(SessionError, match=r"another open session.*state"):
            async with pipeline.session(source_fields=["text"]):
                pass
        await first.send({"text": "a"})
        await first.close()
        assert [r.row["text"] async for r in first] == ["a"]
    async with pipeline.session(source_fields=["text"]) as again:  # the first is closed
        await again.send({"text": "b"})
        await again.close()
        assert [r.row["text"] async for r in again] == ["b"]


async def test_send_after_close_is_a_clear_error() -> None:
    async with doubling().session(source_fields=["n"]) as session:
        await session.close()
        with pytest.raises(SessionError, match="closed"):
            await session.send({"n": 1})
    with pytest.raises(SessionError, match="closed"):
        await session.send({"n": 2})


async def test_the_readme_session_example_terminates(capsys) -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    code = next(textwrap.dedent(b) for b in blocks if "pipeline.session(" in b)
    body = textwrap.indent(code, "    ")
    namespace: dict = {}
    exec(f"async def example(pipeline):\n{body}", namespace)  # the README's own code

    class Shout(Generator):
        def process(self, rows, input_key: str):
            return [{**r, "loud": r[input_key].upper()} for r in rows]

    with anyio.fail_after(30):  # a guard: the old example waited forever
        await namespace["example"](Chain([(Shout(), {"input_key": "text"})]))
    assert "request-1" in capsys.readouterr().out
