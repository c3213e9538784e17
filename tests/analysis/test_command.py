from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codesign.analysis.command import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fast_env(monkeypatch, tmp_path):
    # the fallback vectoriser keeps these tests fast and independent of the model
    monkeypatch.setenv("CODESIGN_VECTORISER", "tfidf")
    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path / "cache"))


def _error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("codesign themes: error:")
    assert "Traceback" not in err
    return err


def test_missing_file(capsys, tmp_path):
    assert "not found" in _error(capsys, [str(tmp_path / "nope.csv")])


def test_missing_column(capsys, fixtures_dir):
    err = _error(capsys, [str(fixtures_dir / "answers_small.csv"), "--text-column", "answer"])
    assert "'answer'" in err and "text" in err  # names the column and lists what exists


def test_missing_label_column(capsys, fixtures_dir):
    err = _error(capsys, [str(fixtures_dir / "answers_small.csv"), "--label-column", "category"])
    assert "'category'" in err


def test_empty_file(capsys, tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("", encoding="utf-8")
    assert "empty" in _error(capsys, [str(p)])


def test_header_only(capsys, tmp_path):
    p = tmp_path / "header.csv"
    p.write_text("text\n", encoding="utf-8")
    assert "no rows" in _error(capsys, [str(p)])


def test_not_utf8(capsys, tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("text\nLe loyer est très cher\n".encode("latin-1"))
    assert "UTF-8" in _error(capsys, [str(p)])


def test_bad_option(capsys, fixtures_dir):
    _error(capsys, [str(fixtures_dir / "answers_small.csv"), "--k", "zero"])
    _error(capsys, [str(fixtures_dir / "answers_small.csv"), "--k", "0"])
    _error(capsys, [])


def test_json_shape_metrics_and_assignments(capsys, fixtures_dir, tmp_path):
    out_csv = tmp_path / "assign.csv"
    code = main(
        [
            str(fixtures_dir / "answers_small.csv"),
            "--label-column",
            "topic",
            "--language-column",
            "language",
            "--k",
            "4",
            "--json",
            "--assignments-out",
            str(out_csv),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert {"vectoriser", "n", "k", "seconds", "themes", "metrics"} <= set(data)
    assert data["n"] == 40 and data["k"] == 4
    assert data["vectoriser"].startswith("tfidf")
    for t in data["themes"]:
        assert {"id", "label", "size", "terms", "quotes"} <= set(t)
        assert isinstance(t["terms"], list) and 1 <= len(t["quotes"]) <= 3
    assert set(data["metrics"]) == {"nmi", "ari", "v_measure"}
    assert all(0 <= v <= 1 for k, v in data["metrics"].items() if k != "ari")
    with open(out_csv, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["row", "theme"]
    assert [int(r[0]) for r in rows[1:]] == list(range(40))
    ids = {t["id"] for t in data["themes"]} | {-1}
    assert {int(r[1]) for r in rows[1:]} <= ids
    sizes = {t["id"]: t["size"] for t in data["themes"]}
    for tid, size in sizes.items():
        assert sum(int(r[1]) == tid for r in rows[1:]) == size


def test_tsv_and_text_output(capsys, tmp_path):
    p = tmp_path / "answers.tsv"
    lines = ["id\tanswer"] + [f"{i}\tthe bus is late again {i % 3}" for i in range(12)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main([str(p), "--text-column", "answer"]) == 0
    out = capsys.readouterr().out
    assert "12 answers" in out and "tfidf" in out


def test_json_is_identical_for_identical_input(capsys, fixtures_dir):
    runs = []
    for _ in range(2):
        assert main([str(fixtures_dir / "answers_small.csv"), "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        d.pop("seconds")
        runs.append(d)
    assert runs[0] == runs[1]


def test_entry_point_exit_status(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "codesign.cli", "themes", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "not found" in proc.stderr and "Traceback" not in proc.stderr
