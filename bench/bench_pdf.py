"""CFDI PDF rendering: postventa.cfdi.pdf (reportlab) against satcfdi.render (weasyprint) baseline.

Measures, on the committed sample XMLs in tests/fixtures/cfdi:
- cold: a fresh interpreter's import + first render of the one-page invoice (a cold Lambda), and
  of an invoice with CJK and symbols (the fallback fonts are read on first need);
- warm median per one-page invoice over N runs (goal < 150 ms), per payment receipt (Pagos 2.0,
  two payments, three related documents), per invoice needing the fallback fonts, and per global
  invoice (120 conceptos, and a synthetic 1,000-concepto copy made by repeating its Concepto
  nodes);
- baseline: satcfdi.render.pdf_bytes of the same one-page invoice, in a subprocess (it needs
  pango; when it cannot run the report says why).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "cfdi"
ONE_PAGE = SAMPLES / "ingreso_3_conceptos.xml"
GLOBAL = SAMPLES / "global_120_conceptos.xml"
PAYMENTS = SAMPLES / "pdf" / "pago20_dos_pagos.xml"
WIDE_TEXT = SAMPLES / "pdf" / "ingreso_texto_no_latin1.xml"
RUNS_ONE_PAGE = 30
RUNS_GLOBAL = 5
RUNS_BIG = 3
RUNS_BASELINE = 3

_COLD = """
import json, sys, time
t0 = time.perf_counter()
from postventa.cfdi.pdf import render_pdf
xml = open(sys.argv[1], "rb").read()
pdf = render_pdf(xml)
t1 = time.perf_counter()
import resource
print(json.dumps({"ms": (t1 - t0) * 1000,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_BASELINE = """
import json, statistics, sys, time
t0 = time.perf_counter()
from satcfdi.cfdi import CFDI
from satcfdi.render import pdf_bytes
imported = time.perf_counter() - t0
cfdi = CFDI.from_file(sys.argv[1])
times, cpu = [], []
for _ in range(int(sys.argv[2])):
    t, c = time.perf_counter(), time.process_time()
    pdf = pdf_bytes(cfdi)
    times.append((time.perf_counter() - t) * 1000)
    cpu.append((time.process_time() - c) * 1000)
import resource
print(json.dumps({"import_s": imported, "times": times, "cpu": cpu, "bytes": len(pdf),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _median_ms(fn, runs: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """(median wall ms, min wall ms, median CPU ms of this process): on a shared machine the CPU
    time shows the work itself when other jobs stretch the wall clock."""
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(times), min(times), statistics.median(cpu)


def _big_global(count: int) -> bytes:
    """The 120-concepto global with its Concepto nodes repeated up to `count` (seal not valid)."""
    from lxml import etree

    root = etree.fromstring(GLOBAL.read_bytes())
    ns = {"cfdi": "http://www.sat.gob.mx/cfd/4"}
    conceptos = root.find("cfdi:Conceptos", ns)
    originals = list(conceptos)
    i = 0
    while len(conceptos) < count:
        clone = etree.fromstring(etree.tostring(originals[i % len(originals)]))
        clone.set("NoIdentificacion", f"ML-3{i:09d}")
        conceptos.append(clone)
        i += 1
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run() -> str:
    from postventa.cfdi.pdf import render_pdf

    lines = [__doc__.strip().splitlines()[0], ""]

    for label, sample in (("one-page", ONE_PAGE), ("CJK + symbols, fallback fonts", WIDE_TEXT)):
        cold = subprocess.run(
            [sys.executable, "-c", _COLD, str(sample)], capture_output=True, text=True, check=True
        )
        c = json.loads(cold.stdout)
        lines.append(
            f"cold (fresh interpreter: imports + first render, {label}): {c['ms']:.0f} ms, "
            f"max RSS {c['rss_mb']:.0f} MB"
        )

    one_page = ONE_PAGE.read_bytes()
    render_pdf(one_page)  # warm-up
    med, best, cpu = _median_ms(lambda: render_pdf(one_page), RUNS_ONE_PAGE)
    size = len(render_pdf(one_page))
    lines.append(
        f"postventa one-page invoice (3 conceptos): median {med:.1f} ms, min {best:.1f} ms "
        f"(CPU median {cpu:.1f} ms) over {RUNS_ONE_PAGE} runs, {size / 1024:.0f} KiB  "
        "[goal < 150 ms]"
    )

    for label, sample in (
        ("payment receipt (Pagos 2.0, 2 payments, 3 documents)", PAYMENTS),
        ("invoice with CJK + symbols (fallback fonts)", WIDE_TEXT),
    ):
        xml = sample.read_bytes()
        render_pdf(xml)  # warm-up
        med, best, cpu = _median_ms(lambda xml=xml: render_pdf(xml), RUNS_ONE_PAGE)
        lines.append(
            f"postventa {label}: median {med:.1f} ms, min {best:.1f} ms (CPU median "
            f"{cpu:.1f} ms) over {RUNS_ONE_PAGE} runs, {len(render_pdf(xml)) / 1024:.0f} KiB"
        )

    global_xml = GLOBAL.read_bytes()
    med, best, cpu = _median_ms(lambda: render_pdf(global_xml), RUNS_GLOBAL)
    pdf = render_pdf(global_xml)
    lines.append(
        f"postventa global invoice, 120 conceptos: median {med:.0f} ms, min {best:.0f} ms (CPU "
        f"median {cpu:.0f} ms) over {RUNS_GLOBAL} runs, {_pages(pdf)} pages, "
        f"{len(pdf) / 1024:.0f} KiB"
    )

    big = _big_global(1000)
    med, best, cpu = _median_ms(lambda: render_pdf(big), RUNS_BIG)
    pdf = render_pdf(big)
    lines.append(
        f"postventa global invoice, 1,000 conceptos (synthetic): median {med:.0f} ms (CPU median "
        f"{cpu:.0f} ms) over {RUNS_BIG} runs, {_pages(pdf)} pages, {len(pdf) / 1024:.0f} KiB"
    )

    try:
        proc = subprocess.run(
            [sys.executable, "-c", _BASELINE, str(ONE_PAGE), str(RUNS_BASELINE)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["exit " + str(proc.returncode)])[-1]
            lines.append(f"baseline satcfdi.render (weasyprint): could not run: {reason}")
        else:
            b = json.loads(proc.stdout)
            lines.append(
                f"baseline satcfdi.render (weasyprint), same one-page invoice: median "
                f"{statistics.median(b['times']):.0f} ms (CPU median "
                f"{statistics.median(b['cpu']):.0f} ms), first {b['times'][0]:.0f} ms over "
                f"{RUNS_BASELINE} runs (import {b['import_s']:.2f} s), "
                f"{b['bytes'] / 1024:.0f} KiB, max RSS {b['rss_mb']:.0f} MB"
            )
    except subprocess.TimeoutExpired:
        lines.append("baseline satcfdi.render (weasyprint): could not run: timed out after 300 s")

    lines.append("")
    lines.append(
        "Machine shared with other jobs (2 cores); medians, wall clock (time.perf_counter) and "
        "this process's CPU time (time.process_time)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
