"""HTML pages people see, rendered by jinja2 with autoescape (no external assets)."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

from postventa.formatting import amount

TEMPLATES = Path(__file__).parent / "templates"


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
