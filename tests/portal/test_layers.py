"""The arrows of DESIGN.md, kept by a test rather than by memory.

demo → frontend → geo → sharing → portal: a module may import its own layer and the layers to
its right, never one to its left. Inside ``sharing`` an app reads a sibling only through the
sibling's public modules (PUBLIC), and never two apps both ways. No module imports another
module's private (``_name``) names. Each failure names the file and line.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["portal", "sharing", "geo", "frontend", "demo"]
RANK = {name: rank for rank, name in enumerate(LAYERS)}
# What an app of ``sharing`` offers its siblings (and what geo reads): the data, the reads and
# the rules, plus the few shared helpers named here with the reason.
PUBLIC = {"models", "selectors", "rules"}
PUBLIC_EXTRA = {
    # Chinese segmentation and the search vector, shared by the catalogue and the exchange.
    "sharing.catalogue.text",
    # The real places of the plan (data/places.csv), which geo draws its zones around.
    "sharing.catalogue.places",
}
# geo joins its zones to platforms and instruments in SQL, so it reads the catalogue's models;
# bookings it reads only through their selectors.
GEO_MODELS = {"sharing.catalogue.models"}


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    module: str  # the importing module
    target: str  # the imported module
    name: str | None  # the imported name, for "from target import name"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(path: Path) -> list[Import]:
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(str(path), node.lineno, module, alias.name, None))
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, target] if target else base)
            for alias in node.names:
                found.append(Import(str(path), node.lineno, module, target, alias.name))
    return found


def application_files(root: Path = ROOT) -> list[Path]:
    files = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            if "migrations" not in path.parts:
                files.append(path)
    return files


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "sharing" and len(parts) > 1 else None


def _is_public(target: str, *, from_geo: bool) -> bool:
    parts = target.split(".")
    if from_geo and parts[2:3] == ["models"]:
        return target in GEO_MODELS
    return target in PUBLIC_EXTRA or (len(parts) >= 3 and parts[2] in PUBLIC)


def problems(imports: list[Import]) -> list[str]:
    found = []
    sibling_pairs: dict[tuple[str, str], Import] = {}
    for imp in imports:
        where = f"{Path(imp.path).relative_to(ROOT)}:{imp.line}"
        source_layer, target_layer = imp.module.split(".")[0], imp.target.split(".")[0]
        if target_layer not in RANK:
            continue
        if RANK[target_layer] > RANK[source_layer]:
            found.append(f"{where}: {source_layer} imports {imp.target} (a layer above it)")
        if source_layer in ("sharing", "geo") and target_layer == "sharing":
            source_app, target_app = _app(imp.module), _app(imp.target)
            if target_app and source_app != target_app:
                if not _is_public(imp.target, from_geo=source_layer == "geo"):
                    found.append(
                        f"{where}: {imp.module} reads {imp.target}, not a public module of "
                        f"sharing.{target_app} ({', '.join(sorted(PUBLIC))})"
                    )
                if source_app:
                    sibling_pairs.setdefault((source_app, target_app), imp)
        private = imp.name and imp.name.startswith("_") and not imp.name.startswith("__")
        if private and imp.target != imp.module:
            found.append(f"{where}: imports the private name {imp.target}.{imp.name}")
    found = list(dict.fromkeys(found))  # one line per problem, not per imported name
    for (a, b), imp in sorted(sibling_pairs.items()):
        if (b, a) in sibling_pairs and a < b:
            other = sibling_pairs[(b, a)]
            found.append(
                f"sharing.{a} and sharing.{b} import each other: "
                f"{Path(imp.path).relative_to(ROOT)}:{imp.line} and "
                f"{Path(other.path).relative_to(ROOT)}:{other.line}"
            )
    return found


def test_every_import_follows_the_arrows():
    imports = [imp for path in application_files() for imp in imports_in(path)]
    assert problems(imports) == []


def _planted(tmp_path: Path, relative: str, source: str) -> list[str]:
    path = ROOT / relative
    path.write_text(source, encoding="utf-8")
    try:
        return problems(imports_in(path))
    finally:
        path.unlink()


def test_it_names_a_planted_import_against_the_arrows(tmp_path):
    found = _planted(tmp_path, "sharing/bookings/_planted_upward.py", "from geo import models\n")
    assert found == [
        "sharing/bookings/_planted_upward.py:1: sharing imports geo (a layer above it)"
    ]


def test_it_names_a_sibling_read_past_the_public_modules(tmp_path):
    source = "from sharing.bookings import services\n"
    found = _planted(tmp_path, "sharing/techmarket/_planted_sibling.py", source)
    assert len(found) == 1
    assert "sharing/techmarket/_planted_sibling.py:1" in found[0]
    assert "not a public module of sharing.bookings" in found[0]


def test_it_names_a_private_import(tmp_path):
    found = _planted(
        tmp_path, "frontend/_planted_private.py", "from sharing.catalogue.text import _precise\n"
    )
    assert found == [
        "frontend/_planted_private.py:1: imports the private name sharing.catalogue.text._precise"
    ]


def test_it_names_two_apps_importing_each_other():
    a = Import(str(ROOT / "sharing/x/models.py"), 1, "sharing.x.models", "sharing.y.models", "A")
    b = Import(str(ROOT / "sharing/y/models.py"), 2, "sharing.y.models", "sharing.x.models", "B")
    assert problems([a, b]) == [
        "sharing.x and sharing.y import each other: sharing/x/models.py:1 and sharing/y/models.py:2"
    ]


def test_no_page_below_frontend_extends_a_frontend_template():
    # Pages are frontend's: a template in portal, sharing or geo that extends frontend's base
    # is a page living in the wrong layer.
    found = [
        str(path.relative_to(ROOT))
        for layer in ("portal", "sharing", "geo")
        for path in (ROOT / layer).rglob("*.html")
        if '{% extends "frontend/' in path.read_text(encoding="utf-8")
    ]
    assert found == []
