"""Conformance: the product run against the real-world corpus (`../shared/fixtures/real` beside
the repository: 27 stamped CFDIs, 11 channel payloads; never copied into the project).

    postventa conformance [--corpus DIR]      (or: make conformance)

Each CFDI is parsed, rendered and its PDF's text compared with its XML (`conformance.cfdi`); each
payload goes through its channel adapter (`conformance.webhooks`). A table says what passed and
why not; the exit status is 1 when anything fails. Needs the dev extras (pypdfium2).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

DEFAULT_CORPUS = Path("..") / "shared" / "fixtures" / "real"

Row = tuple[str, str, str, str]


def _table(title: str, heading: Row, rows: Sequence[Row], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in (heading, *rows)) for i in range(3)]
    out.write(f"\n{title}\n")
    for n, row in enumerate((heading, *rows)):
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        out.write("  ".join([*cells, row[3]]).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in [*widths, len(heading[3])]) + "\n")


class _Progress:
    """'[ 7/38] ingreso_iva8_frontera.xml' on one refreshed line (a line each when not a tty)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()

    def step(self, name: str) -> None:
        self.done += 1
        line = f"[{self.done:>{len(str(self.total))}}/{self.total}] {name}"
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def run(corpus: Path, out: TextIO = sys.stdout, progress: TextIO = sys.stderr) -> int:
    """Check everything in `corpus`; 0 when every CFDI prints correctly and every payload is
    normalised or refused with a clear reason, 1 otherwise, 2 when the corpus is missing."""
    from postventa.conformance.cfdi import check_cfdi
    from postventa.conformance.webhooks import check_payload, load_expectations

    cfdi_dir, hooks_dir = corpus / "cfdi", corpus / "webhooks"
    if not cfdi_dir.is_dir() or not (hooks_dir / "expected.json").is_file():
        out.write(
            f"No encuentro el corpus en {corpus} (se esperan cfdi/ y webhooks/expected.json): "
            "indica --corpus DIR.\n"
        )
        return 2
    xmls = sorted(cfdi_dir.glob("*.xml"))
    expected = load_expectations(hooks_dir)
    bar = _Progress(len(xmls) + len(expected), progress)
    started = time.perf_counter()

    def each(names: Sequence[str], check: Callable[[str], Row]) -> list[Row]:
        rows = []
        for name in names:
            bar.step(name)
            rows.append(check(name))
        return rows

    details: dict[str, tuple[str, ...]] = {}

    def cfdi_row(name: str) -> Row:
        result = check_cfdi(cfdi_dir / name)
        if result.problems:
            details[name] = result.problems
        reason = result.problems[0] if result.problems else "todo lo del XML está en el PDF"
        if len(result.problems) > 1:
            reason += f" (y {len(result.problems) - 1} más)"
        return name, ", ".join(result.complements) or "—", "OK" if result.ok else "FALLA", reason

    def payload_row(name: str) -> Row:
        result = check_payload(hooks_dir / name, expected[name])
        verdict = ("OK " if result.ok else "FALLA ") + result.outcome
        return name, result.channel, verdict, result.reason

    cfdi_rows = each([p.name for p in xmls], cfdi_row)
    payload_rows = each(sorted(expected), payload_row)
    bar.close()
    _table(
        "CFDI: el PDF muestra lo que dice el XML",
        ("archivo", "complementos", "resultado", "motivo"),
        cfdi_rows,
        out,
    )
    _table(
        "Webhooks: normalizados o rechazados con motivo",
        ("archivo", "canal", "resultado", "motivo"),
        payload_rows,
        out,
    )
    for name, problems in details.items():
        out.write(f"\n{name}:\n" + "".join(f"  - {p}\n" for p in problems))
    failed = [r for r in (*cfdi_rows, *payload_rows) if r[2].startswith("FALLA")]
    out.write(
        f"\n{len(cfdi_rows) + len(payload_rows) - len(failed)} de "
        f"{len(cfdi_rows) + len(payload_rows)} pasan ({len(cfdi_rows)} CFDI, "
        f"{len(payload_rows)} webhooks) en {time.perf_counter() - started:.1f} s"
        + (f"; fallan: {', '.join(r[0] for r in failed)}\n" if failed else "\n")
    )
    return 1 if failed else 0
