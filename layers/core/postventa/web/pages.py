"""HTML pages people see, rendered by jinja2 with autoescape (no external assets).

Pages work without JavaScript; a page may add one small inline script of its own that only
improves it. The Content-Security-Policy allows exactly those scripts by their SHA-256
(`script_hashes`), so nothing else can run on our pages, injected or not.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from postventa.formatting import amount

TEMPLATES = Path(__file__).parent / "templates"
# Inline scripts, each allowed by its hash in the pages' Content-Security-Policy.
SCRIPTS = ("billing_form.js",)


@functools.cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = amount
    env.filters["quantity"] = quantity
    return env


def quantity(value: Decimal) -> str:
    """2.000 -> "2", 1.50 -> "1.5", 10 -> "10" (Decimal.normalize alone writes 1E+1)."""
    return f"{Decimal(value).normalize():f}"


def render(name: str, **context: Any) -> str:
    return str(_env().get_template(f"{name}.html.j2").render(**context))


@functools.cache
def inline_script(name: str) -> Any:
    """A script of SCRIPTS, ready to sit between <script> and </script> exactly as hashed."""
    import markupsafe

    if name not in SCRIPTS:
        raise ValueError(f"not one of the pages' scripts: {name}")
    # Our own file shipped beside the templates, never input: it goes into the page as written.
    return markupsafe.Markup((TEMPLATES / name).read_text(encoding="utf-8"))  # noqa: S704


@functools.cache
def script_hashes() -> tuple[str, ...]:
    """CSP source expressions ('sha256-...') for every inline script of the pages."""
    return tuple(
        "'sha256-"
        + base64.b64encode(hashlib.sha256(str(inline_script(n)).encode()).digest()).decode()
        + "'"
        for n in SCRIPTS
    )
