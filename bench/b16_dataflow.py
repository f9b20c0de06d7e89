"""B16 reference: open-dataflow's own ``PTTextFilter_CPUPipeline`` (the pipeline it ships as
``statics/pipelines/cpu_pipelines/text_pt_filter.py``: 3 refiners, MinHash, blocklist, word count
and 17 rule filters) over the same documents as streamflow's ``text_pt_filter``, as its users
run it: its ``FileStorage``, which writes every step's file when the step is done.

Runs in open-dataflow's own virtual environment; only the storage is pointed at our input.
Prints one JSON line.

    python bench/b16_dataflow.py IN.jsonl CACHE_DIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

for _module in ("torchvision", "torchaudio", "torchcodec"):  # see b12_dataflow.py
    sys.modules[_module] = None  # type: ignore[assignment]

from dataflow.statics.pipelines.cpu_pipelines.text_pt_filter import (  # noqa: E402
    PTTextFilter_CPUPipeline,
)
from dataflow.utils.storage import FileStorage  # noqa: E402


def main() -> None:
    src, cache = sys.argv[1], Path(sys.argv[2])
    cache.mkdir(parents=True, exist_ok=True)
    pipeline = PTTextFilter_CPUPipeline()
    pipeline.storage = FileStorage(
        first_entry_file_name=src,
        cache_path=str(cache),
        file_name_prefix="step",
        cache_type="jsonl",
    )
    start = time.perf_counter()
    pipeline.forward()
    seconds = time.perf_counter() - start
    last = max(cache.glob("step_step*.jsonl"), key=lambda p: int(p.stem.rsplit("step", 1)[1]))
    kept = sum(1 for _ in last.open("rb"))
    print(json.dumps({"impl": "open-dataflow", "seconds": round(seconds, 3), "kept": kept}))


if __name__ == "__main__":
    main()
