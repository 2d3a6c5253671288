"""`make bench`: run every bench/bench_*.py (or the ones named) and print their reports.

Each report states what was measured, how (repetitions, medians), the machine, and the named
baseline measured in the same run. Reports are also written to bench/results/<name>.txt.
Figures here are information, never pass/fail.

While a bench runs, everything written to this process's stdout and stderr, and by the processes
it starts (the local cloud's worker processes inherit both), goes to bench/results/<name>.log:
the console shows the reports, not the functions' and the local cloud's log lines.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """File descriptors 1 and 2 point at `path` for the block (so child processes write there
    too), then back at the console."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with path.open("wb") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        os.close(saved[0])
        os.close(saved[1])


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    print(
        f"machine: {platform.platform()} · python {platform.python_version()} · "
        f"{len(__import__('os').sched_getaffinity(0))} cores"
    )
    for name in names:
        module = importlib.import_module(f"bench.{name.removesuffix('.py')}")
        print(f"\n=== {name} ===", flush=True)
        log = out / f"{name}.log"
        started = time.perf_counter()
        with _output_to(log):
            report = module.run()
        report += f"\n(benchmark wall time {time.perf_counter() - started:.1f} s)\n"
        lines = len(log.read_bytes().splitlines())
        report += f"(its log output, {lines} lines: {log.relative_to(HERE.parent)})\n"
        print(report, flush=True)
        (out / f"{name}.txt").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
