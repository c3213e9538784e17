"""The wheel carries compiled translations; the app never writes them at start-up."""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from gettext import GNUTranslations
from pathlib import Path

import pytest

from codesign import i18n
from codesign.settings import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != "en"]


def _tree(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def test_the_wheel_holds_the_compiled_catalogues(tmp_path) -> None:
    # A few seconds: pip builds in an isolated environment with hatchling and Babel.
    before = _tree(ROOT / "locales")
    subprocess.run(  # noqa: S603 - pip on our own project
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PIP_NO_BUILD_ISOLATION"},
    )
    (wheel,) = tmp_path.glob("codesign-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for locale in TRANSLATED:
            folder = f"codesign/_data/locales/{locale}/LC_MESSAGES/"
            assert folder + "messages.po" in names
            catalogue = GNUTranslations(io.BytesIO(archive.read(folder + "messages.mo")))
            assert catalogue.gettext("Leave this page") != "Leave this page", locale
        assert any(n.startswith("codesign/_data/templates/") for n in names)
        # the demo round's texts are data files of the package (`serve --demo`)
        assert {"codesign/demo/round.json", "codesign/demo/answers.json"} <= names
    # Building a wheel compiles into a scratch folder: the checkout is left as it was.
    assert _tree(ROOT / "locales") == before


@pytest.fixture
def locales(tmp_path, monkeypatch) -> Path:
    """A checkout's locales/ with the .po files only, as a fresh clone has them."""
    copy = tmp_path / "checkout" / "locales"
    for locale in TRANSLATED:
        folder = copy / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po", folder)
    monkeypatch.setattr(i18n, "project_dir", lambda name: copy)
    i18n.translations_for.cache_clear()
    yield copy
    i18n.translations_for.cache_clear()


def test_a_missing_catalogue_is_logged_and_compiled_in_memory(locales, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="codesign"):
        assert i18n.check_catalogues() == sorted(TRANSLATED)
    assert "es/LC_MESSAGES/messages.mo is missing" in caplog.text
    assert i18n.translations_for("es").gettext("Leave this page") != "Leave this page"
    assert not list(locales.rglob("*.mo"))  # nothing written


def test_an_edited_po_wins_over_its_older_mo(locales, caplog) -> None:
    folder = locales / "fr" / "LC_MESSAGES"
    for locale in TRANSLATED:
        po = locales / locale / "LC_MESSAGES" / "messages.po"
        po.with_suffix(".mo").write_bytes(i18n.compile_po(po))
    assert i18n.check_catalogues() == []
    # A developer changes a translation after the install compiled it.
    po = folder / "messages.po"
    edited = po.read_text(encoding="utf-8").replace(
        'msgid "Leave this page"\nmsgstr "', 'msgid "Leave this page"\nmsgstr "EDITED '
    )
    assert "EDITED" in edited
    po.write_text(edited, encoding="utf-8")
    stamp = (folder / "messages.mo").stat().st_mtime
    os.utime(po, (stamp + 10, stamp + 10))
    with caplog.at_level(logging.WARNING, logger="codesign"):
        assert i18n.check_catalogues() == ["fr"]
    assert "fr/LC_MESSAGES/messages.mo is older than its .po" in caplog.text
    assert i18n.translations_for("fr").gettext("Leave this page").startswith("EDITED ")


def test_an_installed_wheel_trusts_its_built_catalogues(tmp_path) -> None:
    # pip writes a wheel's .po and .mo in no set order: there the times say nothing.
    folder = tmp_path / "codesign" / "_data" / "locales" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    shutil.copy(ROOT / "locales" / "es" / "LC_MESSAGES" / "messages.po", po)
    (folder / "messages.mo").write_bytes(i18n.compile_po(po))
    os.utime(po, (po.stat().st_mtime + 5,) * 2)
    assert i18n.check_catalogues(tmp_path / "codesign" / "_data" / "locales") == []
