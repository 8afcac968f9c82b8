"""The page titles of the exported HTML: the 答卷's own title for report.html."""

from types import SimpleNamespace

import nbformat

from mchanalysis.pipeline.jobs import _title


def _job(lang):
    return SimpleNamespace(
        region={"region_name": "东川市"}, year=2024, code="990100", parameters={"lang": lang}
    )


def test_report_html_is_titled_like_the_dajuan():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 年度答卷")])
    assert _title(nb, _job("zh"), "04_annual_report.ipynb") == "2024年东川市妇幼健康工作答卷"
    assert "Annual Report" in _title(nb, _job("en"), "04_annual_report.ipynb")


def test_analysis_notebooks_take_their_heading():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 数据质量审核\n\ntext")])
    assert _title(nb, _job("zh"), "01_data_quality.ipynb") == "数据质量审核 — 东川市（990100）2024"
