"""Render the report's sections from the Jinja2 templates (``templates/<lang>/*.j2``).

Each section renders to a small HTML fragment using only ``section, h2, h3, p, ul, li, table,
thead, tbody, tr, th, td, div, span, strong, figure, figcaption, img`` so that the same fragment
is shown in the notebook, exported to ``report.html`` and converted to Word by :mod:`.docx`.
All wording is in the templates; the facts come from :class:`.context.ReportContext`.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup

from mchanalysis.report.layout import section_ids

#: The technical report's sections in the order they are rendered: ``templates/layout.yaml``
#: (the one place the list and its order are kept).
SECTION_IDS = section_ids()


@lru_cache(maxsize=4)
def environment(lang: str) -> jinja2.Environment:
    """The Jinja2 environment of one language (autoescaped HTML, strict undefined)."""
    root = resources.files("mchanalysis.report").joinpath("templates", lang)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters["level"] = level_text
    env.filters["lcfirst"] = lcfirst
    env.globals.update(figref=figref, tabref=tabref, tabnum=tabnum, fignum=fignum)
    return env


def level_text(conf_level: float) -> str:
    """A confidence level as the text says it: 0.95 -> "95", 0.995 -> "99.5" (the one
    expression every template uses, as the filter ``level``)."""
    return f"{float(conf_level) * 100:.1f}".removesuffix(".0")


def lcfirst(name: str) -> str:
    """An indicator's English name inside a sentence: "Hepatitis B ... rate" -> "hepatitis B ...
    rate"; a leading acronym ("HIV ...") kept."""
    first = name.split(" ", 1)[0]
    return name if first.isupper() else name[:1].lower() + name[1:]


def figref(name: str) -> Markup:
    """Marker for an in-text reference to figure ``name`` ("（见图3）"); resolved by
    :func:`number_figures_and_tables` once the document's order is known, dropped when the figure
    was not drawn. The figure itself is placed after the paragraph of its first reference."""
    return Markup(f"<!--ref:fig:{name}-->")


def tabref(key: str) -> Markup:
    """Marker for an in-text reference to the table whose ``data-table`` is ``key`` ("（见表2）")."""
    return Markup(f"<!--ref:tab:{key}-->")


def tabnum(key: str) -> Markup:
    """Marker for the bare number of a table ("表2"), for sentences such as "详见表2"."""
    return Markup(f"<!--num:tab:{key}-->")


def fignum(name: str) -> Markup:
    """Marker for the bare number of a figure ("图5")."""
    return Markup(f"<!--num:fig:{name}-->")


_REF = re.compile(r"<!--(ref|num):(fig|tab):([^>]*?)-->")
# Both patterns start with a literal "<" and cross text with [^<]* rather than ".*?": the HTML
# carries every figure as ~200 kB of base64, and a pattern that may match anywhere is tried at
# every character of it (44 instead of 1.5 ms for a county's technical report; issue 12).
#: A figure and its caption's opening (the first <figcaption> after it), and a "图：" prefix.
_FIGURE = re.compile(
    r'(<figure data-figure="([^"]+)">[^<]*(?:<(?!figcaption>)[^<]*)*<figcaption>)(?:图[：:]\s*|Figure[:.]?\s*)?'
)
#: A <table> tag, with the h2-h4 heading right before it (and the white space between) if any;
#: the group ``table`` is the tag without its "<".
_TABLE = re.compile(r"<(?:(?P<h>h[234])>(?P<name>[^<]*)</(?P=h)>(?P<gap>\s*)<)?(?P<table>table\b[^>]*>)")


def number_figures_and_tables(html: str, lang: str) -> str:
    """Number figures (图1, 图2 …) and tables (表1 …) in document order and resolve the in-text
    references to them.

    Every ``<figure data-figure=…>`` gets "图N　" before its caption and every ``<table
    data-title=…>`` a ``<caption>`` "表N　title"; :mod:`.docx` counts in the same order, so the
    Word file's numbers are the same. A reference to a figure or table that is not in the
    document is dropped (no "见图" to nothing); in Chinese a reference right after a closing
    parenthesis is written "，详见表N" rather than a second parenthesis.
    """
    nums: dict[str, dict[str, int]] = {"fig": {}, "tab": {}}
    fig_word, tab_word = ("图", "表") if lang == "zh" else ("Figure ", "Table ")
    sep = "　" if lang == "zh" else ". "

    def fig(m):
        n = len(nums["fig"]) + 1
        nums["fig"][m.group(2)] = n
        return f"{m.group(1)}{fig_word}{n}{sep}"

    html = _FIGURE.sub(fig, html)
    count = {"t": 0}

    def tab(m):
        count["t"] += 1
        table = "<" + m.group("table")
        head = m.group(0)[: -len(table)]  # the heading before the table and the gap, or ""
        key = re.search(r' data-table="([^"]*)"', table)
        title = re.search(r' data-title="([^"]*)"', table)
        if key:
            nums["tab"][key.group(1)] = count["t"]
        if title:
            return f"{head}{table}<caption>{tab_word}{count['t']}{sep}{title.group(1)}</caption>"
        if head:
            # a heading that only names the table below it is the table's title, as in the Word
            # file (docx.py): it carries the number ("表1　主要指标")
            return f"<{m.group('h')}>{tab_word}{count['t']}{sep}{m.group('name')}</{m.group('h')}>{m.group('gap')}{table}"
        return table

    html = _TABLE.sub(tab, html)

    def ref(m):
        n = nums[m.group(2)].get(m.group(3))
        if n is None:
            return ""
        word = fig_word if m.group(2) == "fig" else tab_word
        if m.group(1) == "num":
            return f"{word}{n}"
        if lang != "zh":
            return f" (see {word}{n})"
        # after a closing parenthesis "（产前筛查率）（见表2）" reads as a stutter: "，详见表2"
        return f"，详见{word}{n}" if m.string[m.start() - 1 : m.start()] == "）" else f"（见{word}{n}）"

    return _REF.sub(ref, html)


def _place_figures(ctx, html: str, names: list[str], figures: bool) -> str:
    """Put each figure after the paragraph (or table) of its first reference; the others where
    the section's template says ``<!--figures-->``."""
    rest = []
    for n in names:
        m = re.search(rf"<!--ref:fig:{re.escape(n)}-->", html)
        if not figures:
            continue
        if m:
            end = [e for e in (html.find("</p>", m.end()), html.find("</table>", m.end())) if e >= 0]
            if end:
                at = html.find(">", min(end)) + 1
                while html.startswith("\n<figure", at):  # after the figures already placed here
                    at = html.find("</figure>", at) + len("</figure>")
                html = html[:at] + "\n" + _figure_html(ctx, n) + html[at:]
                continue
        rest.append(n)
    return html.replace("<!--figures-->", "".join(_figure_html(ctx, n) for n in rest))


#: Sections told by the shared coverage template (``templates/<lang>/coverage.j2``).
TEMPLATE_OF = {s: "coverage" for s in ("maternal_care", "child_care", "birth_defects", "women_health")}

_NUMERALS_ZH = "一二三四五六七八九十"


def visible_sections(ctx) -> list[str]:
    """Sections shown for this region: 地区比较 only when the region has sub-regions."""
    return [s for s in SECTION_IDS if s != "comparison" or ctx.subregions]


def _number(ctx, section: str) -> str:
    numbered = [s for s in visible_sections(ctx) if s != "headline"]
    if section not in numbered:
        return ""
    i = numbered.index(section)
    return _NUMERALS_ZH[i] if ctx.lang == "zh" else str(i + 1)


def _figure_html(ctx, name: str) -> str:
    fig = ctx.figures.get(name)
    if not fig:
        return ""
    b64 = base64.b64encode(fig["png"]).decode("ascii")
    env = environment(ctx.lang)
    return env.get_template("_figure.j2").render(
        name=name, src=f"data:image/png;base64,{b64}", caption=fig["caption"]
    )


def _methods_facts(ctx) -> dict:
    """What the methods section states: the thresholds of the wording rules and of the problem
    ranking (from the modules that apply them) and the definitions of the indicators whose
    definition the registry states."""
    from mchanalysis.registry import load_registry
    from mchanalysis.report import brief as br
    from mchanalysis.report import narrative as nv

    reg = load_registry()
    col = "definition_zh" if ctx.lang == "zh" else "definition_en"
    defs = []
    if col in reg.columns:
        for r in reg.to_dict("records"):
            d = r.get(col)
            if isinstance(d, str) and d and ctx.facts.get(r["id"], {}).get("available"):
                defs.append({"name": r["name_zh"] if ctx.lang == "zh" else r["name_en"], "definition": d})
    return {
        "method_defs": defs,
        "flat_points": nv.format_number(nv.FLAT_POINTS, 1),
        "flat_relative": nv.format_number(nv.FLAT_RELATIVE, 0),
        "national_points": nv.format_number(br.NATIONAL_POINTS, 0),
        "sub_ratio": nv.format_number(br.SUB_RATIO, 1),
        "sub_events": br.SUB_MIN_EVENTS,
        "sub_points": nv.format_number(br.SUB_POINTS, 0),
        "parent_relative": nv.format_number(br.PARENT_RELATIVE, 0),
    }


def render_title(ctx) -> str:
    """The report title, e.g. "2024年示例市妇幼健康工作答卷"."""
    return environment(ctx.lang).get_template("title.j2").render(ctx=ctx).strip()


def title_for(region_name: str, year: int, *, lang: str = "zh") -> str:
    """The report title without a context (for the pipeline's ``<title>`` of report.html):
    "2024年示例省妇幼健康工作答卷"."""
    from types import SimpleNamespace

    ctx = SimpleNamespace(year=int(year), region={"name": str(region_name)}, lang=lang)
    return environment(lang).get_template("title.j2").render(ctx=ctx).strip()


def render_section(ctx, section: str, *, figures: bool = True, number: bool = True) -> str:
    """HTML fragment of one section (its heading, synthetic-data notice, text, tables, figures).

    Parameters
    ----------
    ctx : ReportContext
    section : str
        One of :data:`SECTION_IDS`.
    figures : bool
        Embed the section's figures (base64 PNG ``<img>``); False when the caller shows them
        separately (the notebook displays them as image outputs).
    number : bool
        Number its figures and tables and resolve the references to them
        (:func:`number_figures_and_tables`); :func:`render_report` numbers the whole report
        at once instead.
    """
    if section not in SECTION_IDS:
        raise ValueError(f"unknown section {section!r}; sections: {', '.join(SECTION_IDS)}")
    if section not in visible_sections(ctx):
        return ""
    env = environment(ctx.lang)
    sec = next((s for s in ctx.sections if s["id"] == section), {"id": section, "indicators": []})
    sec = {**sec, "number": _number(ctx, section)}
    facts = [ctx.facts[i] for i in sec["indicators"]]
    figs = [n for n, f in ctx.figures.items() if f["section"] == section]
    extra = _methods_facts(ctx) if section == "methods" else {}
    if TEMPLATE_OF.get(section) == "coverage":
        # nutrition and 消除母婴传播 in paragraphs of their own (brief.NUTRITION, brief.EMTCT_*),
        # every indicator in the section's table
        from mchanalysis.report import brief as br

        own = set(br.NUTRITION + br.EMTCT_TESTS + br.EMTCT_OUTCOMES)
        extra = {
            "table_facts": facts,
            "nutrition": br.nutrition(ctx) if section == "child_care" else [],
            "emtct": br.emtct(ctx) if section == "birth_defects" else {"tests": [], "outcomes": []},
        }
        facts = [f for f in facts if f["id"] not in own]
    if section == "problems":
        from mchanalysis.report.brief import problems

        extra = {"ranked": problems(ctx)}
    # shown: the figures are in this HTML (a sentence may then give their numbers)
    html = env.get_template(f"{TEMPLATE_OF.get(section, section)}.j2").render(
        ctx=ctx, facts=facts, section=sec, shown=figures, **extra
    )
    html = _place_figures(ctx, html, figs, figures)
    if number:
        html = number_figures_and_tables(html, ctx.lang)
    return html.strip() + "\n"


def render_report(ctx, *, figures: bool = True) -> str:
    """The whole report as one HTML fragment (title then every section)."""
    env = environment(ctx.lang)
    parts = [env.get_template("cover.j2").render(ctx=ctx).strip()]
    parts += [render_section(ctx, s, figures=figures, number=False) for s in visible_sections(ctx)]
    return number_figures_and_tables("\n".join(parts), ctx.lang) + "\n"


def render_brief(ctx) -> str:
    """The 答卷 as one HTML fragment: title, key figures, 工作成效, targets, 存在问题与下一步,
    the bureau's own text at its places (:mod:`.bureau`), a note on data and targets.

    No intervals, tests or trend models in its sentences; those are in :func:`render_report`
    (the technical report). The facts are gathered by :func:`mchanalysis.report.brief.brief`.
    """
    from mchanalysis.report.brief import brief

    html = environment(ctx.lang).get_template("brief.j2").render(ctx=ctx, brief=brief(ctx))
    html = number_figures_and_tables(html, ctx.lang)
    return "\n".join(line for line in html.splitlines() if line.strip()) + "\n"


def display_brief(ctx) -> None:
    """Show the 答卷 in a notebook (one HTML output: exported as ``report.html``)."""
    from IPython.display import HTML, display

    display(HTML(render_brief(ctx)))


def section_figures(ctx, section: str) -> list[dict]:
    """The figures of a section: ``[{"name", "png", "caption"}]`` in drawing order."""
    return [{"name": n, **f} for n, f in ctx.figures.items() if f["section"] == section]


def display_section(ctx, section: str) -> None:
    """Show a section in a notebook: its HTML, then each figure as a PNG output with caption."""
    from IPython.display import HTML, Image, display

    if section not in visible_sections(ctx):
        return
    display(HTML(render_section(ctx, section, figures=False)))
    env = environment(ctx.lang)
    for f in section_figures(ctx, section):
        display(Image(data=f["png"], format="png"))
        display(HTML(env.get_template("_caption.j2").render(caption=f["caption"]).strip()))


def display_title(ctx) -> None:
    """Show the cover (title, region, year, synthetic notice) in a notebook."""
    from IPython.display import HTML, display

    display(HTML(environment(ctx.lang).get_template("cover.j2").render(ctx=ctx).strip()))
