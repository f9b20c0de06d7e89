"""cancel_on_signal: results and errors pass through unchanged; a signal cancels the call."""

from __future__ import annotations

import os
import signal
import threading

import anyio
import pytest

from streamflow.interrupts import cancel_on_signal


async def answer() -> int:
    return 42


async def broken() -> int:
    raise ValueError("bad input")


def test_result_and_error_pass_through_unwrapped():
    assert anyio.run(cancel_on_signal, answer) == 42
    with pytest.raises(ValueError, match="bad input"):  # not an ExceptionGroup
        anyio.run(cancel_on_signal, broken)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigint_cancels_the_call_and_raises_keyboard_interrupt():
    cleaned_up = []

    async def slow() -> int:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            await anyio.sleep(30)
        finally:
            cleaned_up.append(True)
        return 0

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            anyio.run(cancel_on_signal, slow)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert cleaned_up == [True]


def test_outside_the_main_thread_it_simply_runs():
    got = []
    thread = threading.Thread(target=lambda: got.append(anyio.run(cancel_on_signal, answer)))
    thread.start()
    thread.join()
    assert got == [42]
