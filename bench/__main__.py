"""`make bench`: run every bench/bench_*.py (or the ones named) and print their reports.

Each report states what was measured, how (repetitions, medians), the machine, and the named
baseline measured in the same run. Reports are also written to bench/results/<name>.txt.
Figures here are information, never pass/fail.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
        started = time.perf_counter()
        report = module.run()
        report += f"\n(benchmark wall time {time.perf_counter() - started:.1f} s)\n"
        print(report, flush=True)
        (out / f"{name}.txt").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
