"""The streaming session API, as an async service would use it."""

from __future__ import annotations

import anyio
import pytest

from streamflow import Filter, Generator


class Double(Generator):
    async def process(self, rows, input_key: str, output_key: str):
        await anyio.sleep(0.001)
        return [{**r, output_key: r[input_key] * 2} for r in rows]


class Even(Filter):
    def process(self, rows, input_key: str):
        return [r[input_key] % 2 == 0 for r in rows]


@pytest.fixture
def pipeline(chain):
    return chain(
        [
            (Double(), {"input_key": "n", "output_key": "d"}),
            (Even(), {"input_key": "n"}),
        ]
    )


async def test_send_and_read_concurrently(pipeline):
    got = []
    async with pipeline.session(source_fields=["n"], batch_size=8) as session:

        async def feed() -> None:
            for n in range(100):
                await session.send({"n": n}, id=f"req-{n}")
            await session.close()

        async with anyio.create_task_group() as tg:
            tg.start_soon(feed)
            async for result in session:
                got.append(result)
    assert [r.id for r in got] == [f"req-{n}" for n in range(0, 100, 2)]
    assert all(r.row["d"] == r.row["n"] * 2 for r in got)
    assert session.result is not None
    assert session.result.stats.operators[1].dropped == 50


async def test_one_row_gets_an_answer_without_waiting_for_a_full_batch(pipeline):
    async with pipeline.session(source_fields=["n"], batch_size=1000) as session:
        await session.send({"n": 4})
        with anyio.fail_after(2):
            async for result in session:
                assert result.row == {"n": 4, "d": 8}
                break


async def test_leaving_the_block_finishes_the_rows_in_flight(pipeline):
    async with pipeline.session(source_fields=["n"]) as session:
        for n in range(10):
            await session.send({"n": n})
    assert session.result is not None
    assert session.result.stats.sink.rows_in == 5


async def test_an_error_in_the_block_cancels_the_run(pipeline):
    with pytest.raises(RuntimeError, match="service failed"):
        async with pipeline.session(source_fields=["n"]) as session:
            await session.send({"n": 1})
            raise RuntimeError("service failed")
    assert session.result is None


async def test_session_compile_checks_source_fields(pipeline):
    from streamflow import CompileError

    with pytest.raises(CompileError, match="input key 'n' is not produced"):
        async with pipeline.session(source_fields=["m"]):
            pass
