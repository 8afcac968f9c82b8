"""Report outputs: scorecard of a target set, XLSX neutralisation, deterministic DOCX and HTML."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import nbformat
import openpyxl
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mchanalysis import report
from mchanalysis.report.docx import docx_bytes
from mchanalysis.report.html_page import export_notebook_html
from mchanalysis.report.xlsx import write_scorecard_xlsx
from mchanalysis.spreadsheet import neutralise, xlsx_bytes
from mchanalysis.targets import load_target_set

REPO = Path(__file__).resolve().parents[1]
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)


@pytest.fixture(scope="module")
def demo_ctx():
    return report.build_context(
        DEMO, year=2022, region_code="990100", target_set="seed001_district_2022", lang="zh"
    )


def test_every_seed001_target_is_in_the_scorecard_with_its_status(demo_ctx):
    ts = load_target_set("seed001_district_2022")
    sc = demo_ctx.scorecard
    assert list(sc["indicator"]) == list(ts.targets["indicator"])
    assert set(sc["status"]) <= {"met", "not_met", "no_data"}
    assert set(sc["status_ci"]) <= {"met", "not_met", "indistinguishable", "no_data"}
    html = report.render_section(demo_ctx, "targets", figures=False)
    words = {"met": "达标", "not_met": "未达标", "no_data": "无数据"}
    symbols = {"met": "✓", "not_met": "✗", "no_data": "–"}
    rows = re.findall(r"<tr class=\"row-(\w+)\"><td>([^<]+)</td>(.*?)</tr>", html)
    assert len(rows) == len(sc)
    for (status, name, rest), r in zip(rows, sc.to_dict("records")):
        assert status == r["status"] and name == r["name"]
        assert f"{symbols[r['status']]} {words[r['status']]}" in rest
    assert "scorecard" in demo_ctx.figures


def test_demo_report_says_synthetic_on_every_section(demo_ctx):
    for s in report.visible_sections(demo_ctx):
        assert "模拟数据" in report.render_section(demo_ctx, s, figures=False), s


def test_subregions_ranked_only_for_regions_with_children(demo_ctx):
    assert "comparison" in report.visible_sections(demo_ctx)
    county = demo_ctx.indicator_table.query("level == 'county'")["region_code"].iloc[0]
    cctx = report.build_context(DEMO, year=2022, region_code=county, figures=False)
    assert "comparison" not in report.visible_sections(cctx)
    assert report.render_section(cctx, "comparison") == ""


# -- precomputed tables (one computation per batch) ---------------------------------------------


def test_precomputed_tables_give_the_same_report_and_are_not_recomputed(demo_ctx, monkeypatch):
    import mchanalysis.analysis.data as context_module  # where the tables are computed
    from mchanalysis.analysis import load_analysis_data

    data = load_analysis_data(DEMO)

    def recomputed(*args, **kwargs):
        raise AssertionError("a precomputed table was computed again")

    monkeypatch.setattr(context_module, "compute_indicators", recomputed)
    monkeypatch.setattr(context_module, "review_quality", recomputed)
    ctx = report.build_context(
        data.counts,
        year=2022,
        region_code="990100",
        target_set="seed001_district_2022",
        lang="zh",
        indicator_table=data.indicators,
        quality_findings=data.quality,
        load_findings=data.warnings,
    )
    assert report.render_report(ctx) == report.render_report(demo_ctx)
    assert ctx.quality == demo_ctx.quality and ctx.quality  # load + review findings, as from the file
    assert {k: v["png"] for k, v in ctx.figures.items()} == {k: v["png"] for k, v in demo_ctx.figures.items()}


@pytest.mark.slow
def test_precomputed_table_at_another_level_is_recomputed():
    from mchanalysis.analysis import load_analysis_data

    data = load_analysis_data(DEMO)
    kw = dict(year=2022, region_code="990100", lang="en", conf_level=0.9, figures=False)
    given = report.build_context(
        data.counts,
        indicator_table=data.indicators,
        quality_findings=data.quality,
        load_findings=data.warnings,
        **kw,
    )
    direct = report.build_context(DEMO, **kw)
    assert set(given.indicator_table["conf_level"]) == {0.9}
    assert report.render_report(given, figures=False) == report.render_report(direct, figures=False)


def test_a_table_that_is_not_an_indicator_table_is_refused():
    from mchanalysis.analysis import load_analysis_data
    from mchanalysis.errors import MchError

    data = load_analysis_data(DEMO)
    with pytest.raises(MchError, match="indicator_table is not an indicator table.*conf_level"):
        report.build_context(
            data.counts,
            year=2022,
            region_code="990100",
            figures=False,
            indicator_table=data.indicators.drop(columns="conf_level"),
        )


# -- XLSX ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\t=1", '=HYPERLINK("http://x")'])
def test_formula_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


def test_plain_text_and_numbers_are_unchanged():
    assert neutralise("孕产妇死亡率") == "孕产妇死亡率"
    assert neutralise(-5) == -5 and neutralise(12.5) == 12.5


def test_workbook_cells_are_neutralised_and_bytes_reproducible():
    import pandas as pd

    df = pd.DataFrame({"地区": ["=cmd|' /C calc'!A0", "正常"], "value": [-1.5, 2.0]})
    a = xlsx_bytes({"s": df})
    assert a == xlsx_bytes({"s": df})
    ws = openpyxl.load_workbook(io.BytesIO(a))["s"]
    assert ws["A2"].value == "'=cmd|' /C calc'!A0" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1.5
    core = zipfile.ZipFile(io.BytesIO(a)).read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_scorecard_xlsx_written(demo_ctx, tmp_path):
    out = tmp_path / "tables" / "scorecard.xlsx"
    write_scorecard_xlsx(demo_ctx, out)
    wb = openpyxl.load_workbook(out)
    # a zh workbook is fully Chinese: sheet names, headers, statuses, symbols
    assert wb.sheetnames == ["目标完成情况", "本级指标", "各县区指标"]
    ws = wb["目标完成情况"]
    assert ws.max_row == len(demo_ctx.scorecard) + 1
    for row in ws.iter_rows(values_only=True):
        for v in row:
            assert not (isinstance(v, str) and re.search(r"[A-Za-z]{2,}", v)), v
    statuses = {r[0].value for r in ws.iter_cols(min_row=2) if r[0].value} & {"达标", "未达标", "无数据"}
    assert statuses
    values = [c.value for c in next(c for c in ws.iter_cols() if c[0].value == "实际值")[1:]]
    assert all(v is None or round(v, 2) == v for v in values)  # rounded as printed
    counties = wb["各县区指标"]
    assert counties.max_row > 1
    first = out.read_bytes()
    write_scorecard_xlsx(demo_ctx, out)
    assert out.read_bytes() == first


# -- DOCX ---------------------------------------------------------------------------------------


def test_docx_is_deterministic_a4_with_page_numbers_and_east_asian_fonts(demo_ctx):
    a = docx_bytes(demo_ctx)
    assert a == docx_bytes(demo_ctx)
    z = zipfile.ZipFile(io.BytesIO(a))
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    doc = z.read("word/document.xml").decode()
    styles = z.read("word/styles.xml").decode()  # fonts live in the styles (issue 17)
    assert 'w:eastAsia="仿宋_GB2312"' in styles and 'w:eastAsia="黑体"' in styles
    assert 'w:w="11906"' in doc and 'w:h="16838"' in doc  # A4 in twentieths of a point
    footer = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
    assert "PAGE" in footer and 'fldCharType="begin"' in footer
    assert "2022年东川市妇幼健康工作答卷" in doc
    assert "<pic:pic" in doc  # the scorecard chart


# -- HTML export --------------------------------------------------------------------------------


def _notebook(seed: str) -> nbformat.NotebookNode:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    cells = [
        new_markdown_cell("note for notebook readers", metadata={"tags": ["remove-cell"]}),
        new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        new_code_cell(
            "y",
            outputs=[
                new_output("display_data", data={"text/html": "<p>正文</p>"}),
                new_output("display_data", data={"image/png": png}),
                new_output("stream", name="stderr", text="a warning\n"),
            ],
            execution_count=3,
        ),
    ]
    for c in cells:
        c["id"] = seed + c["id"][:4]
    nb = new_notebook(cells=cells)
    nb.metadata["papermill"] = {"start_time": seed}
    return nb


def test_html_export_is_self_contained_deterministic_and_codeless():
    a = export_notebook_html(_notebook("aaaa"), title="2022年东川市妇幼健康工作答卷")
    b = export_notebook_html(_notebook("bbbb"), title="2022年东川市妇幼健康工作答卷")
    assert a == b  # random cell ids do not matter
    assert "<script" not in a and "http" not in a  # nothing fetched
    assert "data:image/png;base64," in a
    assert "x = 1" not in a and "note for notebook readers" not in a and "a warning" not in a
    assert "<title>2022年东川市妇幼健康工作答卷</title>" in a
    # printed with the Word document's geometry; chapters flow on (issue 17)
    assert "@page" in a and "margin: 37mm 26mm 35mm 28mm" in a and "break-before: page" not in a


@pytest.mark.slow
def test_report_files_are_identical_across_runs(demo_ctx, tmp_path):
    again = report.build_context(
        DEMO, year=2022, region_code="990100", target_set="seed001_district_2022", lang="zh"
    )
    assert {k: v["png"] for k, v in again.figures.items()} == {
        k: v["png"] for k, v in demo_ctx.figures.items()
    }
    a = report.write_outputs(demo_ctx, tmp_path / "a")
    b = report.write_outputs(again, tmp_path / "b")
    for key in ("docx", "xlsx"):
        assert Path(a[key]).read_bytes() == Path(b[key]).read_bytes(), key
    assert [p.name for p in a["figures"]] == [p.name for p in b["figures"]]
    assert all(p.read_bytes() == q.read_bytes() for p, q in zip(a["figures"], b["figures"]))


def test_scorecard_chart_has_every_glyph():
    import warnings

    import pandas as pd

    from mchanalysis.plots.scorecard import plot_scorecard
    from mchanalysis.report.figures import png_bytes

    sc = pd.DataFrame(
        [
            {
                "name": "孕产妇死亡率",
                "value": 14.0,
                "lower": 5.0,
                "upper": 30.0,
                "target": 12,
                "comparison": "<=",
                "status_ci": "indistinguishable",
                "value_text": "14.00/10万",
                "target_text": "12/10万",
            },
            {
                "name": "宫颈癌筛查率",
                "value": 54.0,
                "lower": 53.0,
                "upper": 55.0,
                "target": 70,
                "comparison": ">=",
                "status_ci": "not_met",
                "value_text": "54.00%",
                "target_text": "70%",
            },
            {
                "name": "新生儿访视率",
                "value": 96.0,
                "lower": 95.5,
                "upper": 96.5,
                "target": 90,
                "comparison": ">=",
                "status_ci": "met",
                "value_text": "96.00%",
                "target_text": "90%",
            },
            {
                "name": "乳腺癌筛查率",
                "value": float("nan"),
                "lower": float("nan"),
                "upper": float("nan"),
                "target": 70,
                "comparison": ">=",
                "status_ci": "no_data",
                "value_text": "",
                "target_text": "70%",
            },
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
        for lang in ("zh", "en"):
            png_bytes(plot_scorecard(sc, lang=lang))
