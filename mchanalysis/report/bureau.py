"""The bureau's own text in its 答卷: work done, next steps, issuing unit.

A health bureau writes what the data cannot say -- projects and their counts, trainings,
inspections, what it will do next, who issues the document -- in a small Markdown file per
region, ``<DIR>/<region_code>.md``::

    ## 导语
    2024年，全市妇幼健康战线紧紧围绕……

    ## 工作亮点
    争取国家妇幼保健机构能力建设项目资金400万元……
    - 举办各类培训班7期，培训业务人员1000余名。

    ## 下一步
    持续加强危重孕产妇和新生儿救治中心建设……

    ## 落款
    示例市卫生健康委员会
    2025年3月

The sections go to fixed places of the 答卷 (:data:`PLACES`): 导语 in place of the data's own
opening paragraph (``mch narrative-template`` pre-fills it with that paragraph), 工作亮点
and 重点工作 as the chapter 主要工作, 下一步 after the problems the data show, 落款 at the end,
right-aligned. The text is inserted verbatim: paragraphs (blank-line separated) and ``-`` / ``*``
/ ``1.`` list items, each kept as plain text and HTML-escaped by the templates (a ``<script>``
prints as text). Without a file the 答卷 is complete without these sections.

Hand-written: a tiny, strict subset of Markdown is enough, and a strict reader can name the line
of a mistake (an unknown heading) instead of silently dropping a bureau's paragraph.
"""

from __future__ import annotations

import re
from pathlib import Path

from mchanalysis.errors import MchError
from mchanalysis.report.render import render_brief

#: Section names the reader accepts (Chinese, or the English key) -> key.
SECTIONS = {
    "导语": "lead",
    "lead": "lead",
    "工作亮点": "highlights",
    "highlights": "highlights",
    "重点工作": "work",
    "work": "work",
    "下一步": "next_steps",
    "下一步工作": "next_steps",
    "next steps": "next_steps",
    "next_steps": "next_steps",
    "落款": "signature",
    "signature": "signature",
}

#: Where each section goes in the 答卷 (said in the docs and the starter file).
PLACES = {
    "lead": "at the top, in place of the data's own opening paragraph (before the key figures)",
    "highlights": "chapter 主要工作 (before 工作成效)",
    "work": "chapter 主要工作, after 工作亮点",
    "next_steps": "chapter 存在问题与下一步, after the problems found in the data",
    "signature": "end of the document, right-aligned (issuing unit and date)",
}

_HEADING = re.compile(r"^#{1,3}\s*(.+?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.、)])\s+(.*)$")


def empty() -> dict:
    """No bureau text: every section an empty list."""
    return {k: [] for k in dict.fromkeys(SECTIONS.values())}


def _placeholder(text: str) -> bool:
    """An unfilled line of the starter file ('……', '...', '2024年　月' is filled): only dots,
    ellipses and spaces. Such lines are not printed in the 答卷."""
    return not text.strip(" \u3000.…·。")


def parse_narrative(text: str, *, source: str = "<text>") -> dict:
    """Read a bureau text.

    Parameters
    ----------
    text : str
        Markdown with ``## <section>`` headings (:data:`SECTIONS`).
    source : str
        File name for error messages.

    Returns
    -------
    dict
        Section key -> list of blocks ``{"kind": "p" | "li", "text": str}`` in file order
        (``signature`` blocks are lines). Lines of one paragraph are joined without a space
        (Chinese text); text is not escaped here -- the templates escape it.

    Raises
    ------
    MchError
        Text before the first heading, or an unknown heading (naming file and line).
    """
    out = empty()
    key = None
    para: list[str] = []

    def flush():
        if para and key is not None and not _placeholder("".join(para)):
            out[key].append({"kind": "p", "text": "".join(s.strip() for s in para)})
        para.clear()

    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        m = _HEADING.match(line)
        if m:
            flush()
            name = m.group(1).strip()
            key = SECTIONS.get(name) or SECTIONS.get(name.lower())
            if key is None:
                raise MchError(
                    f"unknown section heading {name!r}; the 答卷 has places for "
                    f"{', '.join(k for k in SECTIONS if not k.isascii())}",
                    file=source,
                    row=n,
                )
            continue
        if not line.strip():
            flush()
            continue
        if key is None:
            if line.lstrip().startswith("<!--"):
                continue
            raise MchError("text before the first section heading (e.g. '## 工作亮点')", file=source, row=n)
        if line.lstrip().startswith("<!--") and line.rstrip().endswith("-->"):
            continue  # a comment of the starter file
        item = _ITEM.match(line)
        if item:
            flush()
            if not _placeholder(item.group(1)):
                out[key].append({"kind": "li", "text": item.group(1).strip()})
        elif key == "signature":
            out[key].append({"kind": "p", "text": line.strip()})
        else:
            para.append(line)
    flush()
    return out


def load_narrative(narrative, region_code: str) -> dict:
    """The bureau text of one region.

    Parameters
    ----------
    narrative : str, path, dict or None
        ``""`` / None: none. A directory: ``<dir>/<region_code>.md`` if it exists (a region
        without a file has none). A ``.md`` / ``.txt`` file: that file. A dict: already parsed.
    region_code : str

    Returns
    -------
    dict
        As :func:`parse_narrative`, plus ``"file"`` (the path read, or "").

    Raises
    ------
    MchError
        A path that does not exist; a file that is not UTF-8; see :func:`parse_narrative`.
    """
    if isinstance(narrative, dict):
        return {**empty(), "file": "", **narrative}
    if narrative is None or str(narrative).strip() == "":
        return {**empty(), "file": ""}
    p = Path(narrative)
    if p.is_dir():
        p = p / f"{region_code}.md"
        if not p.is_file():
            return {**empty(), "file": ""}
    elif not p.is_file():
        raise MchError("narrative file or folder not found", file=p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MchError("the narrative must be UTF-8 text", file=p) from None
    return {**parse_narrative(text, source=str(p)), "file": str(p)}


def narrative_template(ctx) -> str:
    """The starter file of one region (what ``mch narrative-template`` writes per region): the
    sections in their places, 导语 pre-filled with the data's own opening paragraph to edit."""
    import re
    from html import unescape

    html = render_brief(ctx)
    m = re.search(r'<section class="brief" id="brief-lead">.*?<p>(.*?)</p>', html, re.S)
    summary = unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""
    return starter_text(ctx.region["name"], ctx.year, summary)


def starter_text(region_name: str, year: int, summary: str = "") -> str:
    """A starter file for a region's bureau text, with the data's own summary to edit."""
    lines = [
        f"<!-- {year}年{region_name}妇幼健康工作答卷：本单位撰写的内容。每节原样插入答卷的固定位置；不需要的节可删去。 -->",
        "## 导语",
        summary or f"{year}年，……",
        "",
        "## 工作亮点",
        "- ……",
        "",
        "## 重点工作",
        "……",
        "",
        "## 下一步",
        "……",
        "",
        "## 落款",
        f"{region_name}卫生健康委员会",
        f"{year + 1}年　月",
        "",
    ]
    return "\n".join(lines)
