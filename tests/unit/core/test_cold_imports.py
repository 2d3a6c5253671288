"""What a function's cold start imports: the ports name billing links in their Protocols only, so
functions that never touch a link (webhooks, ingest, seller API, audit, sweep) do not build its
models at import."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_ports_does_not_import_the_billing_link_models() -> None:
    probe = (
        "import sys, postventa.domain.ports; print('postventa.domain.billing_links' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
