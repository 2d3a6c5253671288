"""Cold start per Lambda function: fresh-process import (the INIT phase) and peak RSS.

Method: for every AWS::Serverless::Function in template.yaml, N fresh Python processes each import
the function's entry module from its CodeUri (as Lambda does) and report the import time
(perf_counter around the import), the process's peak RSS (ru_maxrss) and which heavy libraries got
loaded. Baseline, measured the same way in the same run: `import boto3; boto3.client("sqs")`, the
least a function that talks to AWS pays. Medians over N runs; the ratio is function / baseline.
Goal (issue #2): webhook and form functions at most 1.3x; no function imports a PDF library or
satcfdi unless it stamps.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "7"))
HEAVY = ("satcfdi", "reportlab", "lxml", "weasyprint", "moto", "cryptography", "PIL")

_PROBE = r"""
import importlib.util, json, os, resource, sys, time
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
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"ms": elapsed * 1000, "rss_mb": rss_mb, "heavy": heavy}))
"""


def _functions() -> dict[str, tuple[Path, str]]:
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    out = {}
    for name, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            props = res["Properties"]
            module = props["Handler"].rsplit(".", 1)[0].replace(".", "/")
            out[name] = (ROOT / props["CodeUri"], module)
    return out


def _measure(code_dir: str, module: str, kind: str) -> dict[str, object]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, code_dir, module, kind, json.dumps(HEAVY)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "ms": statistics.median(s["ms"] for s in samples),
        "rss_mb": statistics.median(s["rss_mb"] for s in samples),
        "heavy": samples[-1]["heavy"],
    }


def run() -> str:
    base = _measure("", "", "baseline")
    lines = [
        __doc__.strip().splitlines()[0],
        f"{RUNS} fresh processes per row, medians; baseline = import boto3 + boto3.client('sqs')",
        "",
        f"{'function':34} {'import ms':>10} {'x base':>7} {'peak RSS MB':>12}  heavy libraries",
        f"{'(baseline) boto3 + sqs client':34} {base['ms']:>10.1f} {1.0:>7.2f} "
        f"{base['rss_mb']:>12.1f}  {', '.join(base['heavy']) or '-'}",
    ]
    for name, (code_dir, module) in sorted(_functions().items()):
        m = _measure(str(code_dir), module, "function")
        ratio = m["ms"] / base["ms"]
        lines.append(
            f"{name:34} {m['ms']:>10.1f} {ratio:>7.2f} {m['rss_mb']:>12.1f}  "
            f"{', '.join(m['heavy']) or '-'}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
