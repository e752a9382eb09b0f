"""The README's architecture section names every module, so a reader can find where a rule lives."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT

PACKAGES = ["services", "services/demo", "ui", "pages", "bench", "tools", "deploy"]


def architecture_section() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Architecture\n(.*?)^## ", readme, flags=re.S | re.M)
    assert match, "README.md has no '## Architecture' section"
    return match.group(1)


def test_every_module_is_named_in_the_architecture_section() -> None:
    section = architecture_section()
    named = set(re.findall(r"`([\w/]+\.py)`", section))
    modules = {
        f"{package}/{path.name}"
        for package in PACKAGES
        for path in (PROJECT_ROOT / package).glob("*.py")
        if path.name != "__init__.py"
    }
    missing = sorted(module for module in modules if module not in named)
    assert not missing, f"README.md's architecture section does not name: {', '.join(missing)}"
    stale = sorted(name for name in named if "/" in name and not (PROJECT_ROOT / name).exists())
    assert not stale, f"README.md names modules that no longer exist: {', '.join(stale)}"
