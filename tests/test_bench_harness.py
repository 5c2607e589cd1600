"""The benchmark suite (tests/bench, `make bench`) cannot rot: a measurement module runs here at a tiny
scale on the test database, and its figures go through the same table and JSON as a full run; every
registered module imports and exposes `measure`."""

import json
import math

import pytest

from tests.bench import bench_admin, run
from tests.bench.core import Context, Result

pytestmark = pytest.mark.django_db

COLUMNS = ["figure", "value", "unit", "baseline", "ratio", "target", "met"]


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "tests.bench.urls"


def test_every_registered_module_exposes_measure():
    import importlib

    names = [name for name, _module in run.MODULES]
    assert len(names) == len(set(names))
    for _name, dotted in run.MODULES:
        assert callable(importlib.import_module(dotted).measure)


def test_small_run_gives_a_table_and_json_of_positive_figures(bench_urls, tmp_path):
    ctx = Context(rows=100, repeats=1, workdir=tmp_path)
    results = bench_admin.measure(ctx)
    assert results and all(isinstance(result, Result) for result in results)
    rows = [result.as_dict() for result in results]

    for row in rows:
        assert row["figure"].startswith("9 admin ")
        assert isinstance(row["value"], int | float) and math.isfinite(row["value"]) and row["value"] >= 0
        if row["baseline"] is not None:
            assert row["baseline"] > 0 and row["ratio"] == pytest.approx(row["value"] / row["baseline"])
        assert row["met"] in (True, False, None)
        assert (row["met"] is None) == (row["target"] == "")
    timings = [row for row in rows if row["unit"] == "s" and row["baseline"]]
    assert timings and all(row["value"] > 0 for row in timings)
    queries = [row for row in rows if row["unit"] == "queries"]
    assert queries and all(row["value"] > 0 for row in queries)

    table = run.format_table(rows).splitlines()
    assert table[0].split() == COLUMNS
    assert len([line for line in table if line.startswith("9 ")]) == len(rows)

    path = run.write_report(tmp_path / "latest.json", rows, database="sqlite", rows_scale=100)
    report = json.loads(path.read_text())
    assert report["rows_scale"] == 100 and report["machine"]["cpus"] >= 1
    assert [row["figure"] for row in report["results"]] == [row["figure"] for row in rows]
    assert set(COLUMNS) <= set(report["results"][0])


def test_runner_lists_its_modules(capsys):
    assert run.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == [name for name, _module in run.MODULES]


def test_the_proxy_module_skips_with_a_printed_reason_without_nginx(monkeypatch, capsys, tmp_path):
    from tests.bench import bench_proxy

    monkeypatch.setattr(bench_proxy, "find_nginx", lambda: None)
    results = bench_proxy.measure(Context(rows=100, repeats=1, workdir=tmp_path))
    assert [result.met for result in results] == [None]
    assert "skipped" in results[0].figure and "nginx is not installed" in capsys.readouterr().out
