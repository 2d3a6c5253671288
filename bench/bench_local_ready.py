"""`make run` to ready, after the first install (issue #2 goal: under 10 s).

Method: N times, a fresh `postventa local up --port <free>` process (what `make run` runs once the
virtualenv exists); the time from spawning it until GET /_local/health answers 200 (the stack is
provisioned from template.yaml, the demo tenant seeded, the gateway serving). Then SIGINT, and the
time until it has exited (Ctrl-C stops cleanly). Baseline in the same run: a fresh Python process
that imports moto's server, starts ThreadedMotoServer and gets one answer from it — the least any
moto-based local cloud pays. Medians.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_READY_RUNS", "3"))
POSTVENTA = Path(sys.executable).with_name("postventa")

_BASELINE = r"""
import socket, sys, time, urllib.request
from moto.server import ThreadedMotoServer
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/").read()
server.stop()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready_once() -> tuple[float, float]:
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(POSTVENTA), "local", "up", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"postventa local up terminó con código {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_local/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        ready = time.perf_counter() - started
        stopping = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        return ready, time.perf_counter() - stopping
    finally:
        if proc.poll() is None:
            proc.kill()


def _baseline_once() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _BASELINE], check=True, capture_output=True)
    return time.perf_counter() - started


def run() -> str:
    base = statistics.median(_baseline_once() for _ in range(RUNS))
    samples = [_ready_once() for _ in range(RUNS)]
    ready = statistics.median(s[0] for s in samples)
    stop = statistics.median(s[1] for s in samples)
    return "\n".join(
        [
            __doc__.strip().splitlines()[0],
            f"{RUNS} runs each, medians",
            f"baseline: bare moto server process up and answering  {base:6.2f} s   1.0x",
            f"postventa local up -> /_local/health 200              {ready:6.2f} s "
            f"{ready / base:5.1f}x",
            f"Ctrl-C -> process exited                              {stop:6.2f} s",
            f"all ready times: {', '.join(f'{s[0]:.2f}' for s in samples)} s",
        ]
    )


if __name__ == "__main__":
    print(run())
