"""Build hook: compile the gettext catalogues (`.po` → `.mo`) when a wheel is built.

The app reads `.mo` files; they are build products, never committed (`.gitignore`).
Compiling them here means an installed app never writes into its own package at
start-up (a read-only install, or several workers starting at once, could not).

- A wheel (`pip install .`, `pip wheel .`): each `.mo` is compiled into a temporary
  folder and added to the wheel beside its `.po`, under `codesign/_data/locales/`
  (where `codesign.settings.project_dir` looks inside an installed package). The
  source tree is not touched.
- An editable install (`pip install -e .`): the app reads `locales/` in the checkout,
  so the `.mo` files are written there, beside their `.po`, git-ignored.

If a developer edits a `.po` afterwards, the app notices at start-up that its `.mo`
is older, says so in the log and uses the `.po` compiled in memory
(`codesign.i18n.check_catalogues`) until the next install rebuilds it.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DOMAIN = "messages"


def compile_po(po_path: Path) -> bytes:
    """One catalogue as `.mo` bytes; fuzzy entries left out (they fall back to English)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=po_path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    return buffer.getvalue()


class CatalogueBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return  # an sdist ships the .po files and this hook, not build products
        locales = Path(self.root) / "locales"
        catalogues = sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
        if not catalogues:
            raise RuntimeError(f"no locales/*/LC_MESSAGES/{DOMAIN}.po to compile")
        if version == "editable":
            for po_path in catalogues:
                po_path.with_suffix(".mo").write_bytes(compile_po(po_path))
            return
        self._scratch = Path(tempfile.mkdtemp(prefix="codesign-mo-"))
        for po_path in catalogues:
            relative = po_path.relative_to(locales).with_suffix(".mo")
            mo_path = self._scratch / relative
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            mo_path.write_bytes(compile_po(po_path))
            # Freshly compiled, whatever stale .mo a checkout may hold at the same place.
            build_data["force_include"][str(mo_path)] = f"codesign/_data/locales/{relative}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
