"""bench/sections.py: the importer's sections of RESULTS.md survive bench.run rewriting it."""

from bench import sections


def test_a_section_is_added_then_replaced_and_the_rest_kept(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nintro\n\n## Machine\n\nfast\n", "utf-8")
    sections.replace(path, "Import and export: SQLite", "first")
    sections.replace(path, "Import and export: PostgreSQL", "pg")
    sections.replace(path, "Import and export: SQLite", "second")
    text = path.read_text("utf-8")
    assert text.startswith("# Benchmark results\n\nintro\n\n## Machine\n\nfast\n")
    assert "first" not in text
    assert text.index("second") < text.index("pg")  # replaced where it was


def test_bench_run_keeps_only_the_other_benches_sections(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nold figures\n\n## Machine\n\nold machine\n", "utf-8")
    sections.replace(path, "Import and export: PostgreSQL", "pg figures")
    kept = sections.kept(path)
    assert "## Import and export: PostgreSQL\n\npg figures" in kept
    assert "old figures" not in kept
    assert "old machine" not in kept
    assert sections.kept(tmp_path / "missing.md") == ""


def test_a_benchs_report_goes_into_results_under_its_heading_and_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "RESULTS.md"
    monkeypatch.setattr(sections, "RESULTS", path)
    path.write_text("# Benchmark results\n\n## Machine\n\nfast\n", "utf-8")
    report = "# Reactions benchmark\n\n| a tap | 5.6 ms |\n"
    sections.report_in_results("Reactions", report, source=tmp_path / "REACTIONS_RESULTS.md")
    text = path.read_text("utf-8")
    assert "## Reactions\n\nFrom `bench/REACTIONS_RESULTS.md`.\n\n| a tap | 5.6 ms |" in text
    assert "# Reactions benchmark" not in text
    assert "| a tap | 5.6 ms |" in sections.kept(path)  # bench.run keeps it
