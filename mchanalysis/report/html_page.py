"""Export an executed notebook to one self-contained, print-friendly, reproducible HTML page.

:func:`export_notebook_html` is what the pipeline calls for every notebook it runs. It uses
nbconvert's :class:`~nbconvert.HTMLExporter` with the package's template
(``templates/nbconvert/mch``: the JupyterLab cell markup, but a head of our own):

* no code: inputs and input/output prompts excluded, cells tagged ``remove-cell`` left out,
  stderr streams (warnings) dropped;
* self-contained: PNG outputs are base64 in the page, the CSS is inline, no ``<script>`` and no
  URL to a CDN (require.js, MathJax, widgets, mermaid URLs are blanked);
* print-friendly: the Word document's geometry (A4, margins 37/26/35/28 mm, body 16 pt at
  28.95 pt lines, page numbers "— 1 —"), chapters flowing on, headings kept with what follows,
  figures not split and numbered (图1 by a CSS counter), table headers repeated, a serif
  (仿宋/宋体-like) body and sans (黑体-like) headings from the reader's fonts;
* reproducible: cell ids are replaced by their position (papermill gives the injected cell a
  random id), execution metadata is dropped, the title is given explicitly, so the same executed
  notebook content gives the same bytes.

One exporter is built per process and reused: about 0.01 s per notebook instead of about 1 s
for a ``jupyter nbconvert`` call (docs/ecosystem-notes.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from mchanalysis.notebook_format import nbformat_module

if TYPE_CHECKING:
    from nbformat import NotebookNode

nbformat = nbformat_module()  # without a grammar it never uses (mchanalysis.notebook_format)


_STDERR_NAMES = ("stderr",)
#: Cells with one of these tags are left out of the page (notes for notebook readers).
REMOVE_TAGS = {"remove-cell", "remove_cell"}


@lru_cache(maxsize=1)
def _css() -> str:
    return (
        resources.files("mchanalysis.report")
        .joinpath("templates", "nbconvert", "mch", "report.css")
        .read_text(encoding="utf-8")
    )


def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class FastHTMLExporter(HTMLExporter):
        """HTMLExporter without its final BeautifulSoup pass.

        That pass (nbconvert 7) re-parses the whole page to add ``alt`` text to images and
        ``tabindex`` to JupyterLab cells; on a report with embedded charts it is most of the
        export time. Our template has no JupyterLab cell wrappers to focus, and ``alt`` is added
        by :data:`_IMG_NO_ALT` below.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter(
                "highlight_code",
                self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)),
            )
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return FastHTMLExporter


@lru_cache(maxsize=1)
def _exporter():
    base = str(resources.files("mchanalysis.report").joinpath("templates", "nbconvert"))
    exp = _exporter_class()(
        template_name="mch",
        extra_template_basedirs=[base],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    for url in (
        "mathjax_url",
        "require_js_url",
        "jquery_url",
        "widget_renderer_url",
        "jupyter_widgets_base_url",
        "mermaid_js_url",
    ):
        if exp.has_trait(url):
            setattr(exp, url, "")
    return exp


def preload_exporter() -> None:
    """Build the process's exporter now (the batch does it before forking its workers)."""
    _exporter()


def _clean(nb) -> NotebookNode:
    """A copy with stable cell ids, no execution/papermill metadata and no stderr streams.

    Shallow where it can be: output data (base64 images) are shared with ``nb``, never
    modified; the exporter deep-copies what it is given anyway."""
    nb = nbformat.NotebookNode(
        {
            **nb,
            "cells": [
                nbformat.NotebookNode(
                    {
                        **c,
                        "metadata": c.get("metadata", {}),
                        **(
                            {"outputs": [nbformat.NotebookNode(dict(o)) for o in c.get("outputs", [])]}
                            if c.get("cell_type") == "code"
                            else {}
                        ),
                    }
                )
                for c in nb.cells
            ],
        }
    )
    nb.metadata = nbformat.from_dict(
        {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    )
    nb.cells = [c for c in nb.cells if not REMOVE_TAGS & set(c.get("metadata", {}).get("tags", []))]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k == "tags"})
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") in _STDERR_NAMES)
            ]
            for o in cell.outputs:
                if "execution_count" in o:
                    o["execution_count"] = None
                o.pop("metadata", None) if o.get("output_type") == "stream" else None
    return nb


_ID_ATTR = re.compile(r' id="cell-id=cell-(\d+)"')
_IMG_NO_ALT = re.compile(r"<img(?![^>]*\balt=)")
_ALT = {"zh": "图", "en": "Figure"}


def export_notebook_html(nb, *, title: str, lang: str = "zh") -> str:
    """The executed notebook as a self-contained HTML page without code.

    Parameters
    ----------
    nb : nbformat.NotebookNode or dict or str or path
        The executed notebook (a path or JSON text is read with nbformat).
    title : str
        The page title (``<title>``); given explicitly so that it does not depend on a file name.
    lang : str
        ``<html lang>`` ('zh' gives "zh-CN").

    Returns
    -------
    str
        The HTML document. Identical for identical notebook content and title.
    """
    if isinstance(nb, (str, bytes)) and not str(nb).lstrip().startswith("{"):
        nb = nbformat.read(str(nb), as_version=4)
    elif isinstance(nb, (str, bytes)):
        nb = nbformat.reads(nb, as_version=4)
    elif isinstance(nb, dict) and not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.from_dict(nb)
    elif hasattr(nb, "__fspath__"):
        nb = nbformat.read(nb, as_version=4)
    nb = _clean(nb)
    resources = {
        "mch_title": title,
        "mch_css": _css(),
        # nbconvert overwrites "language_code" with its trait (default "en"; its validator
        # refuses "zh-CN"), so the template reads a key of ours
        "mch_language": "zh-CN" if lang == "zh" else lang,
        "metadata": {"name": title},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    body = _ID_ATTR.sub(lambda m: f' id="cell-{m.group(1)}"', body)
    body = _IMG_NO_ALT.sub(f'<img alt="{_ALT.get(lang, "Figure")}"', body)
    return body


def standalone_page(body: str, *, title: str, lang: str = "zh") -> str:
    """A rendered report fragment as a self-contained HTML page (the notebook export's CSS,
    no script, no external URL): what ``technical.html`` is. Same input, same bytes."""
    import html as _html

    code = "zh-CN" if lang == "zh" else lang
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_html.escape(title)}</title>\n<style>\n{_css()}\n</style>\n</head>\n"
        f'<body class="mch-report">\n<main class="report">\n{body}</main>\n</body>\n</html>\n'
    )
