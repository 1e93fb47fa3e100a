"""The command line reaches the services only through their packages' public entry points
(``__all__``) and the contracts; no ``dangvien`` command module imports a service's internals."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import dangvien

CLI = sorted(Path(dangvien.__file__).parent.glob("cli*.py"))


def service_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from services... import name`` in the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "services":
            out += [(node.module, alias.name) for alias in node.names]
        if isinstance(node, ast.Import):
            out += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "services"]
    return out


def test_the_cli_uses_only_the_public_entry_points_of_a_service():
    assert CLI, "no dangvien/cli*.py found"
    for path in CLI:
        for module, name in service_imports(path):
            if module == "services":  # "from services import reporting": the package itself
                package = importlib.import_module(f"services.{name}")
                assert package.__all__, (path.name, name)
                continue
            assert module.count(".") == 1, f"{path.name} imports the internal module {module}"
            assert name in importlib.import_module(module).__all__, f"{path.name}: {module}.{name} is not public"


def test_every_public_entry_point_resolves():
    for service in ("gateway", "members"):
        package = importlib.import_module(f"services.{service}")
        for name in package.__all__:
            assert callable(getattr(package, name)), (service, name)


def test_every_listed_command_group_exists():
    from dangvien import cli
    for name in cli.EXTENSIONS:
        assert hasattr(importlib.import_module(name), "register"), name
