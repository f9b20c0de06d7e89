"""B4: what resumability costs an expensive operator, and how fast a killed run resumes.

1. Commit cost: per-row cost of committing an expensive operator's results (one LMDB write
   transaction per batch, as the actor does), for result rows of about 1 KB.
2. Resume: a 1M-row run of an expensive (trivial) step is SIGKILLed once its checkpoints cover
   about 90% of the input (checkpoints every 0.5 s); the resumed run's wall time is compared
   with a fresh run over the rows that remained.

    python bench/b4_commit.py IN_1M.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from streamflow.store.runstore import RunStore

PIPELINE = """
from streamflow import FileStorage, Generator, Pipeline

class Answer(Generator):
    expensive = True

    def process(self, rows, input_key, output_key):
        return [{**r, output_key: len(r[input_key])} for r in rows]

class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.answer = Answer()

    def forward(self):
        self.answer.run(self.storage.step(), input_key="text", output_key="n")
"""


def commit_cost(work: Path, rows: int = 200_000, batch: int = 256) -> float:
    store = RunStore(work / "commit")
    result = {"text": "x" * 900, "answer": "y" * 100, "score": 4}
    started = time.perf_counter()
    for start in range(0, rows, batch):
        store.put_results("step", [(f"f:{i}", result) for i in range(start, start + batch)])
    store.commit_checkpoint({"number": 1})
    seconds = time.perf_counter() - started
    store.close()
    return seconds / rows * 1e6


def streamflow(work: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamflow",
            "run",
            "job.py",
            "--run-dir",
            "rd",
            "--no-progress",
            "--batch-size",
            "1000",
            "--checkpoint-interval",
            "0.5",
            *args,
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def committed(work: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "streamflow", "status", "rd", "--json"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return 0
    checkpoint = json.loads(out.stdout)["checkpoint"]
    return checkpoint["rows_written"] if checkpoint else 0


def timed(proc: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    if proc.wait() != 0:
        raise SystemExit("run failed")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    args = parser.parse_args()
    lines = Path(args.src).read_bytes().splitlines(keepends=True)
    total = len(lines)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        per_row_us = commit_cost(work)
        (work / "job.py").write_text(PIPELINE)
        (work / "in.jsonl").write_bytes(b"".join(lines))
        proc = streamflow(work)
        while committed(work) < 0.88 * total:
            if proc.poll() is not None:
                raise SystemExit("the run ended before 90%: use a larger input")
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        at_kill = committed(work)
        resume_s = timed(streamflow(work, "--resume"))
        tail = work / "tail"
        tail.mkdir()
        (tail / "job.py").write_text(PIPELINE)
        (tail / "in.jsonl").write_bytes(b"".join(lines[at_kill:]))
        fresh_tail_s = timed(streamflow(tail))
    print(
        json.dumps(
            {
                "bench": "B4",
                "commit_us_per_row": round(per_row_us, 2),
                "rows": total,
                "killed_with_rows_committed": at_kill,
                "resume_seconds": round(resume_s, 2),
                "fresh_run_of_remaining_rows_seconds": round(fresh_tail_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
