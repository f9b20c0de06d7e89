"""WARC source read speed: the shared web pages repeated to N response records, plain and gzipped.

Writes ``bench/data/pages-N.warc`` and ``.warc.gz`` (one gzip member per record, as crawlers
write them) once, then reads each with :class:`FileSource` REPEAT times and prints one JSON line
per file: records, size, best wall time, records/s and records per CPU second. warcio's own
iterator, reading the same bodies without decoding them or checking the framing, is timed
beside it for scale.

    python bench/warc_read.py [--pages ../shared/data/web-pages] [--records 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from streamflow.io.sources import FileSource

DATA = Path(__file__).resolve().parent / "data"


def write(path: Path, bodies: list[bytes], records: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".tmp"), "wb") as f:
        writer = WARCWriter(f, gzip=path.suffix == ".gz")
        for i in range(records):
            body = bodies[i % len(bodies)]
            headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"https://example.org/{i}",
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
            )
            writer.write_record(record)
    path.with_suffix(".tmp").rename(path)


def streamflow_read(path: Path) -> int:
    return sum(len(batch) for batch, _ in FileSource(path).iter_batches(256))


def warcio_read(path: Path) -> int:
    count = 0
    with open(path, "rb") as f:
        for record in ArchiveIterator(f, arc2warc=True):
            if record.rec_type == "response":
                record.content_stream().read()
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    parser.add_argument("--pages", type=Path, default=root.parent / "shared/data/web-pages")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in sorted(args.pages.glob("*.htm*"))]
    if not bodies:
        raise SystemExit(f"no HTML pages in {args.pages}")
    for name in (f"pages-{args.records}.warc", f"pages-{args.records}.warc.gz"):
        path = DATA / name
        write(path, bodies, args.records)
        for reader, read in (("streamflow", streamflow_read), ("warcio", warcio_read)):
            best_wall = best_cpu = float("inf")
            for _ in range(args.repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                count = read(path)
                best_wall = min(best_wall, time.perf_counter() - wall)
                best_cpu = min(best_cpu, time.process_time() - cpu)
            result = {
                "file": name,
                "reader": reader,
                "records": count,
                "mib": round(path.stat().st_size / 2**20, 1),
                "seconds": round(best_wall, 3),
                "records_per_s": round(count / best_wall),
                "records_per_cpu_s": round(count / best_cpu),
            }
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
