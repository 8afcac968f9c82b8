"""The PNG bytes of figures already drawn in this process, found again by the figure's content.

A batch draws the same chart more than once: a county's funnel plot compares it with its
siblings and is the same chart for every county of a city; the trend chart of notebook 02 is,
for most regions, the 答卷's chart of the same indicator. Drawing one at 300 dpi (constrained
layout, the Agg draw, PNG encoding) costs 0.1–0.2 s; recognising it costs one pickling of the
figure (~5 ms). :func:`mchanalysis.plots.write_png` looks a figure up here before drawing it.

The key is the SHA-256 of, pickled: matplotlib's version, every rcParam, the output resolution
and metadata, and the figure itself: its whole artist tree with the data, styles, texts, sizes,
axes positions and layout engine, which is everything a draw reads. Pickling is the one complete
description of a figure's state matplotlib gives. One detail differs between two builds of the
same figure: a transform keeps its parents in a dict keyed by ``id()``; :class:`_FigurePickler`
writes them as a list in the order they were registered instead. Anything else that differed
between two equal figures would only make a miss (the figure is drawn), never a wrong hit: a hit
needs every pickled byte of the figure and of rcParams to be equal. A figure that cannot be
pickled (e.g. a tick formatter made from a lambda) is drawn every time.

On a hit the figure is not drawn: its axes keep the positions they were built with, so a later
save of the same object lays it out from there, as its first save would have (``savefig`` of a
figure saved before starts from the last layout and can differ by a few pixels). Warnings raised
while a figure was drawn (a glyph missing from the fonts) are kept with its bytes and raised
again each time it is written.

Written by hand: matplotlib caches neither rendered figures nor their layouts between figures,
and no library does this for it. At most :data:`ENTRIES` figures are kept (~5 MB).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping

import matplotlib
from matplotlib.transforms import TransformNode

#: Figures kept (least recently used dropped first); a chart of the package is 50–250 kB.
ENTRIES = 32

_CACHE: OrderedDict[str, tuple[bytes, tuple]] = OrderedDict()
#: Hits and misses since the process started (for benchmarks and tests).
STATS = {"hits": 0, "misses": 0, "unpicklable": 0}


class _Digest:
    """A file-like object that hashes what is written to it."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data) -> int:
        self.hash.update(data)
        return len(data)


class _FigurePickler(pickle.Pickler):
    """Pickles as usual, except a transform's parents: a list in registration order instead of
    matplotlib's ``{id(parent): parent}``, whose keys differ between two builds of one figure."""

    def reducer_override(self, obj):
        if isinstance(obj, TransformNode):
            state = obj.__getstate__()
            state["_parents"] = list(state["_parents"].values())
            return (type(obj), (), state)
        return NotImplemented


def figure_key(fig, *, dpi: float, metadata: Mapping) -> str | None:
    """The figure's key (hex SHA-256, see the module docstring), or ``None`` when it cannot be
    pickled."""
    digest = _Digest()
    content = (
        matplotlib.__version__,
        dict(matplotlib.rcParams),
        float(dpi),
        sorted(metadata.items(), key=lambda kv: kv[0]),
        fig,
    )
    try:
        _FigurePickler(digest, protocol=5).dump(content)
    except (pickle.PicklingError, TypeError, AttributeError):
        # e.g. "Can't pickle local object" (a lambda formatter), "cannot pickle '_thread.lock'"
        return None
    return digest.hash.hexdigest()


def png(fig, draw: Callable[[], bytes], *, dpi: float, metadata: Mapping) -> bytes:
    """The PNG bytes of *fig*: those of an equal figure drawn before in this process, else
    ``draw()`` (which draws *fig* and returns its bytes), remembered. Warnings ``draw`` raised
    are raised again on every call for the figure."""
    key = figure_key(fig, dpi=dpi, metadata=metadata)
    if key is None:
        STATS["unpicklable"] += 1
        return draw()
    if key in _CACHE:
        STATS["hits"] += 1
        _CACHE.move_to_end(key)
        data, caught = _CACHE[key]
    else:
        STATS["misses"] += 1
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            data = draw()
        caught = tuple((w.message, w.category, w.filename, w.lineno) for w in record)
        _CACHE[key] = (data, caught)
        while len(_CACHE) > ENTRIES:
            _CACHE.popitem(last=False)
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno, module=_module_of(filename))
    return data


def _module_of(filename: str) -> str | None:
    """The name of the loaded module at *filename* (what a warning's filters match), or None."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return None


def clear() -> None:
    """Forget every figure (and the counts of :data:`STATS`)."""
    _CACHE.clear()
    STATS.update(hits=0, misses=0, unpicklable=0)
