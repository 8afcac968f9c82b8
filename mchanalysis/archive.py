"""Byte-reproducible Office files (DOCX, XLSX are ZIP archives): the package's one ZIP normaliser.

python-docx and openpyxl stamp every ZIP entry with the current time and openpyxl writes the
save time into ``docProps/core.xml``. :func:`normalise_zip` rewrites an archive with a fixed
entry time (1980-01-01, the ZIP epoch), the entries in their original order, DEFLATE
compression, and the core properties' dates pinned, so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

#: The date written into core properties (created / modified) of every Office file.
FIXED_DATE = "2000-01-01T00:00:00Z"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_DATE_RE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def pin_core_dates(xml: bytes) -> bytes:
    """Replace dcterms:created / dcterms:modified values in a core.xml with :data:`FIXED_DATE`."""
    return _DATE_RE.sub(lambda m: m.group(1) + FIXED_DATE.encode() + m.group(3), xml)


def normalise_entries(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of ``(name, bytes)`` entries, in the order given, made reproducible: the
    ZIP epoch as every entry's time, DEFLATE at level 6, ``-rw-------`` Unix attributes, and the
    dates of ``docProps/core.xml`` pinned (:func:`pin_core_dates`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, body in entries:
            if name == "docProps/core.xml":
                body = pin_core_dates(body)
            zi = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zi.create_system = 3
            dst.writestr(zi, body, compresslevel=6)
    return out.getvalue()


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a ZIP archive (DOCX/XLSX) so that identical content gives identical bytes
    (:func:`normalise_entries` of its entries, in their order)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    return normalise_entries((info.filename, src.read(info.filename)) for info in src.infolist())
