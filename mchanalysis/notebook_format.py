"""nbformat, imported without the grammar jsonschema builds for a format it never checks here.

``import nbformat`` imports ``jsonschema``, whose format-checker module imports the optional
package ``rfc3987_syntax`` when it is installed (it is, as a dependency of the Jupyter stack).
That package compiles some forty Lark grammars at import: 0.9–1.0 s on this machine, out of
1.1 s for the whole ``import nbformat``, paid by every ``mch run`` (the parent reads and writes
notebooks) before its first region. The grammars serve only the ``iri`` and ``iri-reference``
string formats of a jsonschema ``FormatChecker``; nbformat validates notebooks without a format
checker, and nothing in this package checks formats.

So :func:`nbformat_module` imports ``jsonschema._format`` with ``rfc3987_syntax`` marked as not
importable, which jsonschema handles as "not installed" (it then leaves those two formats
unchecked), and removes the mark at once: a later ``import rfc3987_syntax`` works as usual.
Nothing is changed when jsonschema's format module or ``rfc3987_syntax`` was already imported in
the process. The notebooks and their HTML are the same bytes either way (test).
"""

from __future__ import annotations

import sys
from types import ModuleType

_SKIPPED = "rfc3987_syntax"


def nbformat_module() -> ModuleType:
    """The ``nbformat`` module, imported as the module docstring says."""
    if "jsonschema._format" not in sys.modules and _SKIPPED not in sys.modules:
        sys.modules[_SKIPPED] = None  # type: ignore[assignment]  # "import X" raises ImportError
        try:
            import jsonschema._format  # noqa: F401
        except ImportError:  # no jsonschema at all: nbformat says what it needs
            pass
        finally:
            if sys.modules.get(_SKIPPED, ...) is None:
                del sys.modules[_SKIPPED]
    import nbformat

    return nbformat
