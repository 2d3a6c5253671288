"""The local cloud stays out of the product and the product out of the local cloud: the CoreLayer
(layers/core, shipped to every Lambda) never imports `localcloud`, except the operator CLI's
`local` command, lazily; `localcloud` never imports the product."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ROOT / "layers" / "core" / "postventa"
LOCALCLOUD = ROOT / "infra" / "localcloud"
CLI_GLUE = PRODUCT / "cli" / "local.py"


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(imported module, at module level?) for every import statement of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, id(node) in top


def _root(module: str) -> str:
    return module.split(".", 1)[0]


def test_no_product_module_imports_localcloud_except_the_cli_lazily() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(PRODUCT.rglob("*.py"))
        for module, top_level in _imports(path)
        if _root(module) == "localcloud" and (path != CLI_GLUE or top_level)
    ]
    assert offenders == []
    assert any(_root(m) == "localcloud" for m, _ in _imports(CLI_GLUE))  # the check looks


def test_localcloud_imports_no_product_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(LOCALCLOUD.rglob("*.py"))
        for module, _ in _imports(path)
        if _root(module) == "postventa"
    ]
    assert offenders == []


def test_localcloud_is_not_inside_the_core_layer() -> None:
    assert not list((ROOT / "layers").rglob("localcloud"))
    assert not (PRODUCT / "local").exists()


FAKEMARKETS = ROOT / "infra" / "fakemarkets"


def test_no_function_or_product_module_imports_the_fake_marketplaces_except_the_cli_lazily() -> (
    None
):
    """The fake marketplaces (decision 0016) run beside the local cloud; nothing a Lambda loads
    may reach them: the product talks to them only through the base URLs of the template."""
    sources = [*sorted(PRODUCT.rglob("*.py")), *sorted((ROOT / "functions").rglob("*.py"))]
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sources
        for module, top_level in _imports(path)
        if _root(module) == "fakemarkets" and (path != CLI_GLUE or top_level)
    ]
    assert offenders == []
    assert any(_root(m) == "fakemarkets" for m, _ in _imports(CLI_GLUE))  # the check looks


def test_the_fake_marketplaces_import_no_product_module_and_are_not_in_a_layer() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(FAKEMARKETS.rglob("*.py"))
        for module, _ in _imports(path)
        if _root(module) in ("postventa", "localcloud")
    ]
    assert offenders == []
    assert not list((ROOT / "layers").rglob("fakemarkets"))
