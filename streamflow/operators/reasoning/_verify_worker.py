"""One worker process of :class:`~streamflow.operators.reasoning.verify.AnswerVerifier`.

Run as a script (``python _verify_worker.py``), never imported for its side effects: it reads
one JSON task a line on stdin, ``{"id": n, "pairs": [[gold, answer], ...]}``, runs math-verify
on each pair until one is equivalent, and writes ``{"id": n, "equal": bool}`` or
``{"id": n, "error": "..."}`` as a line on its private copy of stdout. Its first line says
whether math-verify imported. math-verify's own timeouts are off (they rely on
``signal.alarm``); the parent kills this process when an item overruns its deadline.

It needs nothing from streamflow, so it starts without importing the package.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from typing import Any, TextIO

PARENT_CHECK_S = 1.0


def main() -> int:
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    _limit_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    _exit_with_parent()
    logging.disable(logging.CRITICAL)  # math-verify warns that its own timeout is off
    try:
        from math_verify import parse, verify
    except ImportError as exc:
        _send(out, {"ready": False, "error": f"cannot import math_verify: {exc}"})
        return 1
    _send(out, {"ready": True})
    for line in sys.stdin:
        task = json.loads(line)
        try:
            equal = any(
                verify(
                    parse(gold, parsing_timeout=None),
                    parse(answer, parsing_timeout=None),
                    timeout_seconds=None,
                )
                for gold, answer in task["pairs"]
            )
            reply: dict[str, Any] = {"id": task["id"], "equal": bool(equal)}
        except RecursionError:
            reply = {"id": task["id"], "error": "expression nested too deeply (RecursionError)"}
        except MemoryError:
            reply = {"id": task["id"], "error": "out of memory evaluating the expression"}
        except Exception as exc:
            reply = {"id": task["id"], "error": f"{type(exc).__name__}: {exc}"[:300]}
        _send(out, reply)
    return 0


def _send(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _limit_memory(megabytes: int) -> None:
    """Cap the address space: a huge power or factorial fails fast instead of swapping."""
    if megabytes <= 0:
        return
    try:
        import resource

        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _exit_with_parent() -> None:
    """Leave when the parent is gone, even in the middle of a long pure-Python computation."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
