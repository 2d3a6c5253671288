"""Cold start per Lambda function: fresh-process import (the INIT phase) and peak RSS.

Method: for every AWS::Serverless::Function in template.yaml, N fresh Python processes each import
the function's entry module from its CodeUri (as Lambda does), with the environment Lambda would
give it (LAMBDA_TASK_ROOT, the template's literal Globals and function variables, so a function
that traces pays for the X-Ray SDK), and report the import time
(perf_counter around the import), the process's peak RSS (VmHWM) and which heavy libraries got
loaded. Baseline, measured the same way in the same run: `import boto3; boto3.client("sqs")`, the
least a function that talks to AWS pays. Medians over N runs; the ratio is function / baseline.
Then one more process per function under `python -X importtime` (not timed) names what it imports
beyond the baseline, by package, largest first (self time).
Goal (issue 6): every function at most 1.3x; no function imports a PDF library or satcfdi unless
it stamps.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "7"))
GOAL = 1.3  # at most this many times the baseline (issue 6)
HEAVY = ("satcfdi", "reportlab", "lxml", "weasyprint", "moto", "cryptography", "PIL")

_PROBE = r"""
import importlib.util, json, os, sys, time
code_dir, module, kind = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if kind == "baseline":
    import boto3
    boto3.client("sqs")
else:
    sys.path.insert(0, code_dir)
    path = os.path.join(code_dir, module + ".py")
    spec = importlib.util.spec_from_file_location("bench_entry", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
elapsed = time.perf_counter() - t0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[4])))
# VmHWM belongs to this exec'd address space; ru_maxrss would carry the parent's high-water mark.
with open("/proc/self/status") as status:
    hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
rss_mb = hwm_kb / 1024
print(json.dumps({"ms": elapsed * 1000, "rss_mb": rss_mb, "heavy": heavy}))
"""


def _literal_env(variables: dict[str, object]) -> dict[str, str]:
    """The variables whose values are plain strings (references need a deployed stack)."""
    return {k: str(v) for k, v in variables.items() if isinstance(v, str | int | float)}


def _functions() -> dict[str, tuple[Path, str, dict[str, str]]]:
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    globals_env = template["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    out = {}
    for name, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            props = res["Properties"]
            module = props["Handler"].rsplit(".", 1)[0].replace(".", "/")
            own = props.get("Environment", {}).get("Variables", {})
            env = {**_literal_env(globals_env), **_literal_env(own)}
            env["LAMBDA_TASK_ROOT"] = str(ROOT / props["CodeUri"])
            out[name] = (ROOT / props["CodeUri"], module, env)
    return out


def _probe(code_dir: str, module: str, kind: str, extra_env: dict[str, str]) -> dict[str, Any]:
    env = {
        **os.environ,
        **extra_env,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, code_dir, module, kind, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _importtime(code: str, cwd: str | None, extra_env: dict[str, str]) -> dict[str, int]:
    """Module -> self import time (us) of one fresh process running `code`."""
    env = {
        **os.environ,
        **extra_env,
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.setdefault("AWS_ACCESS_KEY_ID", "bench")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=True,
    )
    found = (_IMPORT_LINE.match(line) for line in out.stderr.splitlines())
    return {m.group(2): int(m.group(1)) for m in found if m}


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


def _beyond_baseline(code_dir: Path, module: str, env: dict[str, str], base: set[str]) -> str:
    """The packages this function imports that the baseline does not, largest first."""
    code = f"import sys; sys.path.insert(0, {str(code_dir)!r}); import {module.replace('/', '.')}"
    by_package: dict[str, int] = {}
    for name, micros in _importtime(code, str(code_dir), env).items():
        if name in base:
            continue
        parts = name.split(".")
        package = (
            ".".join(parts[:2]) if parts[0] in ("postventa", "aws_lambda_powertools") else parts[0]
        )
        by_package[package] = by_package.get(package, 0) + micros
    top = sorted(by_package.items(), key=lambda kv: -kv[1])[:4]
    return ", ".join(f"{name} {micros / 1000:.0f}" for name, micros in top)


def run() -> str:
    functions = sorted(_functions().items())
    base: list[dict[str, Any]] = []
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in functions}
    ratios: dict[str, list[float]] = {name: [] for name, _ in functions}
    # Interleaved rounds: the machine's load drifts, so each round measures the baseline and then
    # every function, and the ratio is taken within the round.
    for _ in range(RUNS):
        b = _probe("", "", "baseline", {})
        base.append(b)
        for name, (code_dir, module, env) in functions:
            m = _probe(str(code_dir), module, "function", env)
            samples[name].append(m)
            ratios[name].append(m["ms"] / b["ms"])
    lines = [
        __doc__.strip().splitlines()[0],
        f"{RUNS} interleaved rounds of fresh processes; medians; ratio = median of per-round "
        "ratios; baseline = import boto3 + boto3.client('sqs')",
        "",
        f"{'function':34} {'import ms':>10} {'x base':>7} {'peak RSS MB':>12}  heavy libraries",
        f"{'(baseline) boto3 + sqs client':34} {statistics.median(b['ms'] for b in base):>10.1f} "
        f"{1.0:>7.2f} {statistics.median(b['rss_mb'] for b in base):>12.1f}  "
        f"{', '.join(base[-1]['heavy']) or '-'}",
    ]
    for name, _ in functions:
        ms = statistics.median(m["ms"] for m in samples[name])
        rss = statistics.median(m["rss_mb"] for m in samples[name])
        heavy = ", ".join(samples[name][-1]["heavy"]) or "-"
        ratio = statistics.median(ratios[name])
        mark = "" if ratio <= GOAL else "  over the goal"
        lines.append(f"{name:34} {ms:>10.1f} {ratio:>7.2f} {rss:>12.1f}  {heavy}{mark}")
    base_modules = set(_importtime("import boto3; boto3.client('sqs')", None, {}))
    lines += ["", "imported beyond the baseline (package ms, self time, one -X importtime run):"]
    for name, (code_dir, module, env) in functions:
        lines.append(f"{name:34} {_beyond_baseline(code_dir, module, env, base_modules)}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
