"""The shipped chart font, read by FreeType from memory instead of from its file.

Why: matplotlib's ``FT2Font`` reads a font given by path through a Python file object. FreeType
asks for a few bytes at an offset; matplotlib calls ``seek`` and ``read`` on a buffered file, and
most of those requests fall outside the file's 8 kB buffer. Each glyph FreeType loads from the
shipped font (CFF outlines, loaded again on every ``set_text``) costs about 11 ``lseek`` and 6
``read`` system calls. One 答卷 region made about 28,000 ``lseek`` calls, and this reading took
4% of its kernel's CPU time (py-spy, 30 counties of the national benchmark file; issue 12).

``FT2Font`` also accepts a binary file-like object and reads that instead. Over an in-memory copy
of the file the same glyphs cost about half: 117 CJK characters set and drawn at 12 pt and
300 dpi took 2.4 instead of 4.3 ms. A whole 答卷 region took 2-4% less CPU: 32 and 55 ms of
about 1.47 s in two runs that drew each of 29 counties both ways, in turn, in one kernel.
FreeType reads the same bytes either way, so the glyphs and every rendered pixel are the same
(the golden outputs are byte-identical; the tests compare the two renderings of a figure, and
the PDF and PostScript files).

How: matplotlib builds and caches its ``FT2Font`` objects in the private
``matplotlib.font_manager._get_font``, an ``lru_cache`` over a tuple of ``(path, face index)``
pairs, the fallback fonts after the first. :func:`install` puts a cached wrapper in its place. The
wrapper replaces the shipped font's path in that tuple by a :class:`FontBytes` over the file's
bytes, read once per process, and calls the function matplotlib cached (``__wrapped__``). Every
other font is left to matplotlib. A :class:`FontBytes` converts to its path as text
(``str(font.fname)`` is the path), which is how matplotlib's PDF and PostScript writers find a
font's file to embed it. The wrapper's cache is emptied in a forked child, as matplotlib empties
its own: an ``FT2Font`` cannot be used across ``fork()``.

It is a patch of a private function, so it is made only where matplotlib has the shape it was
written against (3.11: ``_get_font`` is an ``lru_cache`` and fonts are named by
``font_manager.FontPath``). Anywhere else :func:`install` does nothing, and fonts are read from
their files as before: slower, with the same result. Written by hand because matplotlib has no
option to keep a font in memory and no library offers one.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

#: Fonts kept by the wrapper (as matplotlib keeps 64 in its own cache).
ENTRIES = 64


class FontBytes(io.BytesIO):
    """A font file's bytes as a binary stream, converting to the file's path as text.

    ``FT2Font`` reads from it through ``seek`` and ``read`` (no system calls). Its ``fname`` is
    then this object, and ``str()`` of it gives the path, as matplotlib's PDF and PostScript
    writers ask when they embed the font. Not ``os.PathLike``: ``FT2Font`` would open the path
    again.
    """

    def __init__(self, data: bytes, path: str) -> None:
        super().__init__(data)  # shares the bytes object until written to; it is only read
        self.path = path

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"FontBytes({self.path!r})"


#: The wrapper installed for each font path (a second :func:`install` finds it in place).
_installed: dict[str, object] = {}


def _memory_get_font(original, path: str, data: bytes):
    """A cached ``_get_font`` that gives FreeType ``path`` as :class:`FontBytes` over ``data``."""

    def swap(entry):
        if isinstance(entry, tuple) and entry and entry[0] == path:
            return (FontBytes(data, path), *entry[1:])
        return entry

    @functools.lru_cache(maxsize=ENTRIES)
    def _get_font(font_filepaths, *args, **kwargs):
        return original.__wrapped__(tuple(swap(e) for e in font_filepaths), *args, **kwargs)

    _get_font.original = original  # type: ignore[attr-defined]  # matplotlib's, for tests
    return _get_font


def install(font_file: Path) -> bool:
    """Have matplotlib read ``font_file`` from memory; return whether it now does.

    Idempotent. Does nothing (returns False) where matplotlib's font cache is not the one this
    was written against; see the module docstring.
    """
    from matplotlib import font_manager

    path = os.path.realpath(font_file)  # matplotlib keys its cache by the real path
    wrapper = _installed.get(path)
    original = getattr(font_manager, "_get_font", None)  # private: typed stubs do not list it
    if wrapper is not None and original is wrapper:
        return True
    if not (
        hasattr(font_manager, "FontPath")
        and callable(getattr(original, "__wrapped__", None))
        and callable(getattr(original, "cache_clear", None))
    ):
        return False
    with open(path, "rb") as fh:
        data = fh.read()
    wrapper = _memory_get_font(original, path, data)
    setattr(font_manager, "_get_font", wrapper)  # noqa: B010 - a private name the stubs lack
    _installed[path] = wrapper
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=wrapper.cache_clear)
    return True
