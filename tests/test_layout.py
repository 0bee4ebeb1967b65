"""The shape of the code that the import contracts (pyproject.toml, `lint-imports`) do not check."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "coldsend"
MAX_LINES = 500
# Written by scripts/gen_operations.py from the spec, not by hand.
GENERATED = {PACKAGE / "http" / "operations.py"}


def hand_written_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts and path not in GENERATED
    )


def test_no_hand_written_module_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text().splitlines()) for path in hand_written_modules()
    }
    assert len(sizes) > 100  # the walk found the package
    assert {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}
