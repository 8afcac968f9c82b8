"""What the text of one cell of a counts file is: the rules every reader and validation share.

One rule, one place: the CSV reader and the XLSX reader (:mod:`mchanalysis.io`), the reader of
the 年报 as exported (:mod:`mchanalysis.nianbao_workbook`) and :mod:`mchanalysis.validation` all
take what a cell says from here, so a cell reads the same whichever path brought it.

* **Encoding.** CSV encodings are detected, not asked for, and deterministically
  (:func:`detect_encoding`): the bytes are decoded as UTF-8 (a byte-order mark is removed), and
  if that fails as GB18030, a superset of GBK and GB2312 (the encodings Excel and WPS use when
  saving "CSV" on Chinese Windows). UTF-8 is tried first because a GBK file with Chinese text is
  almost never valid UTF-8, while most UTF-8 files with Chinese text are also decodable, as
  nonsense, in GB18030; the one exception (a GBK file whose few Chinese characters happen to form
  valid UTF-8) is handled in :func:`detect_encoding`. A file neither decodes is an
  :class:`~mchanalysis.errors.MchError` naming the file and the first bad byte. Text that lost
  characters on the way (U+FFFD, 锟斤拷, mojibake) is refused by :func:`check_text`.
* **Headers.** Recognised through :data:`mchanalysis.schema.HEADER_ALIASES` after Unicode NFKC
  normalisation (full-width letters, digits and parentheses become half-width), removal of
  surrounding and repeated white space, and, failing that, removal of a trailing parenthetical
  note, so ``早孕建册人数（孕13周前建册并首次产检）`` and ``早孕建册人数`` are the same column
  (:func:`normalise_text`, :func:`canonical_column`).
* **A workbook value as text** (:func:`cell_text`): what the user sees written, no rounding.
* **A count** (:func:`parse_count`, :func:`odd_character`): the number formats accepted and the
  reason, in English and Chinese, a cell is not a count (the list is in
  :mod:`mchanalysis.validation`).

Written by hand: the encoding and count rules are the project's own decisions about what the
年报 and the spreadsheets exported from it contain; no library states them.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import math
import re
import unicodedata
from pathlib import Path

import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.schema import HEADER_ALIASES, LEVEL_ALIASES

#: Name of the column holding the spreadsheet row number of each record.
ROW = "_row"

#: Encodings tried, in order, for text files.
ENCODINGS = ("utf-8-sig", "gb18030")  # documentation; see detect_encoding

_SPACE = re.compile(r"\s+")
_PAREN_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
# keys as normalise_text leaves a header (NFKC: "（" -> "(", "～" -> "~"), in lower case
_LOWER_ALIASES = {
    " ".join(unicodedata.normalize("NFKC", k).split()).lower(): v for k, v in HEADER_ALIASES.items()
}
_LOWER_LEVELS = {k.lower(): v for k, v in LEVEL_ALIASES.items()}


def normalise_text(text: str) -> str:
    """Normalise a header or label for comparison: NFKC, no BOM, single inner spaces, stripped.

    Parameters
    ----------
    text : str
        A header or a cell as written.

    Returns
    -------
    str
        ``unicodedata.normalize("NFKC", text)`` without a byte-order mark, with runs of white
        space (including the ideographic space U+3000) collapsed to one space and stripped.

    Examples
    --------
    >>> normalise_text(" 活产数　")
    '活产数'
    >>> normalise_text("早孕建册人数（孕13周前建册并首次产检）")
    '早孕建册人数(孕13周前建册并首次产检)'
    """
    text = str(text)
    if text.isascii():  # fast path: NFKC changes no ASCII character
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    return _SPACE.sub(" ", text).strip()


def canonical_column(header: str) -> str | None:
    """The column id a header stands for, or ``None`` if it is not a known column.

    Parameters
    ----------
    header : str
        A header as written in the file: an id (``live_births``, any letter case), a Chinese
        name (``活产数``), or a variant listed in :data:`mchanalysis.schema.HEADER_ALIASES`.

    Returns
    -------
    str or None
        The canonical id (a key of ``ID_COLUMNS`` or ``MEASURES``, or ``measure`` / ``value``
        for the long form).

    Notes
    -----
    Tried in order: the normalised header (:func:`normalise_text`); the same in lower case;
    the same without a trailing parenthetical note (``宫颈癌应筛查妇女数 (35-64岁)`` ->
    ``宫颈癌应筛查妇女数``). The note is dropped only for the lookup; a header that matches
    nothing is never guessed (validation suggests the closest name instead).

    Examples
    --------
    >>> canonical_column("5岁以下儿童死亡数")
    'under5_deaths'
    >>> canonical_column(" Live_Births ")
    'live_births'
    >>> canonical_column("备注") is None
    True
    """
    text = normalise_text(header)
    for candidate in (text, _PAREN_NOTE.sub("", text)):
        if candidate in HEADER_ALIASES:
            return HEADER_ALIASES[candidate]
        if candidate.lower() in _LOWER_ALIASES:
            return _LOWER_ALIASES[candidate.lower()]
    return None


def canonical_level(text: str) -> str | None:
    """The canonical level (``province``, ``prefecture``, ``county``) of a label, or ``None``.

    Accepts the spellings of :data:`mchanalysis.schema.LEVEL_ALIASES` (``省级``, ``地市级``,
    ``县区级``, ``city``, ...) in any letter case and width.

    Examples
    --------
    >>> canonical_level("县区级"), canonical_level("City"), canonical_level("乡镇")
    ('county', 'prefecture', None)
    """
    text = normalise_text(text)
    return LEVEL_ALIASES.get(text, _LOWER_LEVELS.get(text.lower()))


def is_long_form(columns) -> bool:
    """Whether a table with these headers is in long form (``region_code, year, measure, value``).

    A table is long when its headers include both a ``measure`` and a ``value`` column
    (``指标`` / ``数值`` in Chinese), after :func:`canonical_column`.
    """
    ids = {canonical_column(c) for c in columns if isinstance(c, str) and c != ROW}
    return {"measure", "value"} <= ids


#: Chinese characters, CJK punctuation (、。《》) and full-width forms (，（）０-９).
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\U00020000-\U0002ffff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_NOT_ASCII_NOR_CJK = re.compile(f"[^\x00-\x7f\ufeff{_CJK}]")


def detect_encoding(data: bytes, *, file=None) -> str:
    """Name the encoding of a text file's bytes: ``"utf-8-sig"`` or ``"gb18030"``.

    Parameters
    ----------
    data : bytes
        The whole file.
    file : str or Path, optional
        Used in the error message.

    Returns
    -------
    str
        ``"utf-8-sig"`` (UTF-8, with or without a byte-order mark) or ``"gb18030"`` (GB18030,
        hence also GBK and GB2312).

    Raises
    ------
    MchError
        If neither UTF-8 nor GB18030 decodes the file; the message gives the byte offset at
        which UTF-8 failed.

    Notes
    -----
    Deterministic, no statistical guessing. The bytes are decoded strictly as UTF-8; if that
    fails, as GB18030. One exception keeps a GBK file from being misread: a GBK character
    whose two bytes are ``C2-DF 80-BF`` is also a valid UTF-8 character of U+0080..U+07FF
    (``省`` = ``CA A1`` = ``ʡ``). So when the UTF-8 reading has non-ASCII characters but not
    one Chinese character, while the GB18030 reading of the same bytes has only Chinese
    characters (and CJK punctuation, full-width forms) beyond ASCII, the file is GBK. A
    counts table with accented Latin letters and no Chinese at all is the one case this
    would misread; a UTF-8 file containing any Chinese character is always read as UTF-8.

    Examples
    --------
    >>> detect_encoding("省".encode("gbk")), detect_encoding("省".encode("utf-8"))
    ('gb18030', 'utf-8-sig')
    """
    try:
        text = codecs.decode(data, "utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        failure = exc
    else:
        if text.isascii() or _HAS_CJK.search(text):
            return "utf-8-sig"
        try:
            other = codecs.decode(data, "gb18030", errors="strict")
        except UnicodeDecodeError:
            return "utf-8-sig"
        if not _NOT_ASCII_NOR_CJK.search(other):
            return "gb18030"
        return "utf-8-sig"
    try:
        codecs.decode(data, "gb18030", errors="strict")
    except UnicodeDecodeError:
        check_mixed_lines(data, file=file)
        raise MchError(
            "cannot read the file as text: it is neither UTF-8 nor GBK/GB18030 "
            f"(undecodable byte at offset {failure.start}); save it again as "
            "'CSV UTF-8' or as an Excel workbook",
            file=file,
        ) from None
    return "gb18030"


#: Left by an earlier, lossy conversion: U+FFFD (a character that could not be decoded) and
#: 锟斤拷 (U+FFFD written as UTF-8 and read back as GBK).
_LOST = ("\ufffd", "锟斤拷")
_LATIN_SANDWICH = re.compile(f"[A-Za-z\u00c0-\u024f][{_CJK}]+[A-Za-z\u00c0-\u024f]")
_UTF8_CJK = re.compile(rb"[\xe3-\xe9][\x80-\xbf][\x80-\xbf]")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def text_passes_checks(text: str, encoding: str | None) -> bool:
    """Whether :func:`check_text` passes every cell of records parsed from ``text``, known from
    the text alone.

    True when ``text`` is not a GB18030 reading and holds, beyond ASCII, only Chinese
    characters, CJK punctuation and full-width forms, with no U+FFFD and no 锟斤拷: every
    non-ASCII cell then has a Chinese character (no mojibake check applies), and the checks of
    rare characters are for GB18030 readings only.
    """
    return (
        encoding != "gb18030"
        and not any(mark in text for mark in _LOST)
        and not _NOT_ASCII_NOR_CJK.search(text)
    )


def check_text(
    records: list[list[str]],
    *,
    file=None,
    encoding: str | None = None,
    raw: bytes | None = None,
    text: str | None = None,
) -> None:
    """Refuse text that was decoded wrongly or damaged by an earlier conversion.

    Parameters
    ----------
    records : list of list of str
        The file's rows (header first), as decoded.
    file : str or Path, optional
        Named in the error.
    encoding : str, optional
        The encoding the text was decoded with (``"gb18030"`` enables the checks that only a
        GB18030 reading needs).
    raw : bytes, optional
        The file's bytes, to name the likely encoding (Big5 when they decode as Big5).
    text : str, optional
        The whole decoded text the records were parsed from. When it is not a GB18030 reading
        and holds, beyond ASCII, only Chinese characters, CJK punctuation and full-width forms
        (no U+FFFD, no 锟斤拷), no cell can fail a check below, and the cells are not visited
        one by one (a national file has two million cells).

    Raises
    ------
    MchError
        With the row and column of the first implausible cell, the reason and the likely
        encoding:

        * a U+FFFD replacement character or 锟斤拷: characters were already lost when the file
          was made;
        * UTF-8 mojibake, Chinese text that went through Latin-1/Windows-1252 (``æ´»äº§æ•°``
          for 活产数): the cell's text re-encoded as Windows-1252 or Latin-1 is valid UTF-8
          with Chinese characters;
        * read as GB18030 only: Chinese characters between Latin letters of one word that are
          outside GB2312 (``Z黵ich``: Latin-1 ``Zürich`` read as GBK), or more than 10% of the
          file's distinct Chinese characters (at least 3) outside GB2312, the 6,763 characters that
          cover nearly all simplified-Chinese text (Big5, or UTF-8 and GBK mixed in one file).
    """
    if text is not None and text_passes_checks(text, encoding):
        return
    rare: set[str] = set()
    total: set[str] = set()
    first_rare = None
    checked: set[str] = set()  # a text fails at its first cell or nowhere: each is checked once
    for r, record in enumerate(records, start=1):
        for c, cell in enumerate(record, start=1):
            if not isinstance(cell, str) or cell.isascii() or cell in checked:
                continue
            checked.add(cell)
            where = dict(
                file=file, row=r, column=records[0][c - 1] if r > 1 and c <= len(records[0]) else None
            )
            for mark in _LOST:
                if mark in cell:
                    raise MchError(
                        f"{cell.strip()!r} contains {'U+FFFD' if mark == chr(0xFFFD) else mark!r}: characters "
                        "were lost in an earlier conversion of the file; export it again from the source "
                        "(as 'CSV UTF-8' or .xlsx)",
                        **where,
                    )
            if not _HAS_CJK.search(cell):
                for latin in ("cp1252", "latin-1"):
                    try:
                        fixed = cell.encode(latin).decode("utf-8")
                    except (UnicodeEncodeError, UnicodeDecodeError):
                        continue
                    if _HAS_CJK.search(fixed):
                        raise MchError(
                            f"{cell.strip()!r} is garbled text (mojibake): it reads {fixed.strip()!r} once "
                            f"undone, i.e. UTF-8 text was converted through {latin.replace('cp', 'Windows-')} "
                            "before it was saved; export the file again as 'CSV UTF-8'",
                            **where,
                        )
            if encoding != "gb18030":
                continue
            for m in _LATIN_SANDWICH.finditer(cell):
                if not all(_in_gb2312(ch) for ch in m.group() if _HAS_CJK.match(ch)):
                    raise MchError(
                        f"{cell.strip()!r} does not read as Chinese: the file is probably Latin-1 or "
                        "Windows-1252 (e.g. accented letters), not GBK; save it as 'CSV UTF-8'",
                        **where,
                    )
            for ch in cell:
                if _HAS_CJK.match(ch) and not ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"):
                    total.add(ch)
                    if ch not in rare and not _in_gb2312(ch):
                        rare.add(ch)
                        first_rare = first_rare or (r, where["column"], cell.strip())
    if encoding == "gb18030" and len(rare) >= 3 and len(rare) > 0.10 * len(total):
        rare, total = len(rare), len(total)
        r, column, cell = first_rare
        likely = "UTF-8 and GBK mixed in one file"
        if raw is not None:
            try:
                raw.decode("big5")
                likely = "Big5 (traditional Chinese)"
            except UnicodeDecodeError:
                pass
        raise MchError(
            f"the text does not read as simplified Chinese ({rare} of its {total} distinct characters "
            "are rare, "
            f"first {cell!r}): the file is probably {likely}; save it as 'CSV UTF-8'",
            file=file,
            row=r,
            column=column,
        )


def check_mixed_lines(data: bytes, *, file=None) -> None:
    """A file that is not UTF-8 as a whole, yet has lines of UTF-8 Chinese: two encodings mixed."""
    utf8_rows, other_rows = [], []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other_rows.append(n)
            continue
        if _HAS_CJK.search(text) and _UTF8_CJK.search(line):
            utf8_rows.append(n)
    if utf8_rows and other_rows:
        raise MchError(
            f"the file mixes two encodings: line(s) {', '.join(map(str, utf8_rows[:5]))} are UTF-8, "
            f"line(s) {', '.join(map(str, other_rows[:5]))} are not (GBK?); rows were probably pasted "
            "from another file: save the whole table again as 'CSV UTF-8'",
            file=file,
            row=utf8_rows[0],
        )


def cell_text(value) -> str:
    """Text of a spreadsheet or Parquet cell, as the user would see it written (no rounding).

    Integral floats are written without ``.0`` (Excel stores every number as a float: a cell
    showing 12 is 12.0 inside the file); other floats keep their shortest exact ``repr``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def open_workbook(path: Path, *, data_only: bool):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, data_only=data_only)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        raise MchError(f"cannot open as an Excel workbook: {exc}", file=path) from exc


# ASCII digits only: ``\d`` would also accept Arabic-Indic (٩), Devanagari, ... digits
_INT = re.compile(r"^\+?[0-9]+$")
_GROUPED = re.compile(r"^\+?[0-9]{1,3}(,[0-9]{3})+$")
_ZERO_FRACTION = re.compile(r"^\+?([0-9]+)\.0*$")
_NUMBER = re.compile(r"^[+-]?([0-9]+(,[0-9]{3})*|[0-9]*)(\.[0-9]+)?$")

#: The largest count accepted (10^9): above every count China's MCH reports can hold (about 300
#: million women aged 35-64 nationally); a larger number is a typing or export error. Sums over
#: any plausible number of regions stay far below 2^53, so they are exact in int64 and float64.
MAX_COUNT = 10**9

#: The 年报's code for an item not carried out (未开展): no count, and not "not reported" either.
NOT_CARRIED_OUT_CODE = "-2"

_PLACEHOLDERS = {"-", "--", "—", "——", "/", "\\", "无", "空", "na", "n/a", "null", "none", "nan", "."}


_FULL_WIDTH_NUMBER = set("０１２３４５６７８９，．＋")


def odd_character(text: str, *, number: bool = False) -> tuple[str, str, str] | None:
    """The first character a cell must not hold, as ``(check, reason, reason_zh)``, or None.

    Parameters
    ----------
    text : str
        A cell as written.
    number : bool
        The cell holds a count: beyond ASCII only full-width digits, comma, full stop and plus
        sign (normalised by NFKC) and white space are accepted.

    Notes
    -----
    Refused in every cell: control characters (Unicode category Cc other than tab, line feed
    and carriage return, e.g. U+0001 or an ANSI escape) and invisible format characters
    (category Cf, e.g. a zero-width space; a byte-order mark at the start of the file is removed
    by the reader). Refused in a count: footnote marks, circled and superscript digits (``①``,
    ``²``: NFKC would turn ``6266①`` into 62661), digits of other scripts (``٩``) and any other
    character. Nothing is removed silently: the cell is an error naming the character.

    Examples
    --------
    >>> odd_character("6266①", number=True)[0]
    'footnote_mark'
    >>> odd_character("东城区\x01")[0]
    'control_character'
    >>> odd_character("１２３", number=True) is None
    True
    """
    for ch in text:
        if ch.isascii() and (ch.isprintable() or ch in "\t\n\r"):
            continue
        cat = unicodedata.category(ch)
        code = f"U+{ord(ch):04X}"
        name = unicodedata.name(ch, "")
        if cat == "Cc" and ch not in "\t\n\r" or (cat == "Cf" and ch != "\ufeff"):
            label = f"{code} {name}" if name else code
            return (
                "control_character",
                f"contains an invisible control character ({label}): delete it",
                f"含有不可见的控制字符（{code}）：请删除",
            )
        name = name or code
        if not number or ch.isspace() or ch in _FULL_WIDTH_NUMBER:
            continue
        if cat == "No" or (cat == "Nd" and not ch.isascii()) or ch in "*※#†‡§":
            what = "a digit of another script" if cat == "Nd" else "a footnote mark or superscript"
            what_zh = "其他文字的数字" if cat == "Nd" else "脚注符号或上标"
            return (
                "non_ascii_digit" if cat == "Nd" else "footnote_mark",
                f"{text.strip()!r} contains {ch!r} ({name}), {what}: write the count with the digits "
                "0-9 only and put notes in another column",
                f"{text.strip()!r} 含有 {ch!r}（{what_zh}）：计数只能用0-9书写，注释请另列",
            )
        return (
            "non_numeric",
            f"{text.strip()!r} contains {ch!r} ({name}): a count is written with the digits 0-9 only",
            f"{text.strip()!r} 含有字符 {ch!r}：计数只能用0-9书写",
        )
    return None


def parse_count(text: str) -> tuple[int | None, str | None, str | None, str | None]:
    """Read one measure cell as a non-negative whole number.

    Parameters
    ----------
    text : str
        The cell as written.

    Returns
    -------
    value : int or None
        The count; ``None`` when the cell is empty (not reported) or invalid.
    check : str or None
        ``None`` if fine, else ``non_numeric``, ``negative`` or ``non_integer``.
    reason, reason_zh : str or None
        Why, in English and Chinese.

    Notes
    -----
    See the module docstring for the accepted number formats.

    Examples
    --------
    >>> parse_count("1,234")[0], parse_count(" 12 ")[0], parse_count("")
    (1234, 12, (None, None, None, None))
    >>> parse_count("12.5")[1], parse_count("-3")[1], parse_count("abc")[1]
    ('non_integer', 'negative', 'non_numeric')
    """
    bad = None if normalise_text(text).lower() in _PLACEHOLDERS else odd_character(text, number=True)
    if bad:
        return None, bad[0], bad[1], bad[2]
    t = normalise_text(text)
    if t == "":
        return None, None, None, None
    value = None
    if _INT.match(t):
        value = int(t)
    elif _GROUPED.match(t):
        value = int(t.replace(",", ""))
    elif _ZERO_FRACTION.match(t):
        value = int(_ZERO_FRACTION.match(t).group(1))
    if value is not None:
        if value > MAX_COUNT:
            return (
                None,
                "implausible_count",
                f"{t!r} is not a plausible count (above {MAX_COUNT:,}): a typing or export error",
                f"{t!r} 不是合理的计数（超过{MAX_COUNT:,}）：疑似录入或导出错误",
            )
        return value, None, None, None
    if _NUMBER.match(t) and any(c.isdigit() for c in t):
        if t.startswith("-"):
            return (
                None,
                "negative",
                f"negative count {t!r}: counts cannot be below 0",
                f"计数为负数 {t!r}：计数不能小于0",
            )
        if "." in t:
            return (
                None,
                "non_integer",
                f"{t!r} is not a whole number: counts are whole numbers of people",
                f"{t!r} 不是整数：计数必须是整数（人数）",
            )
    hint = ""
    hint_zh = ""
    if t.lower() in _PLACEHOLDERS:
        hint, hint_zh = "; leave the cell empty if not reported", "；未报告请留空"
    elif t[-1:] in "*#" and t[:-1].isdigit():
        hint, hint_zh = "; a footnote mark? put notes in another column", "；是否为脚注符号？注释请另列"
    elif "," in t:
        hint = "; a comma is read only as a thousands separator in groups of three (1,234)"
        hint_zh = "；逗号只可作千位分隔符（如 1,234）"
    return (
        None,
        "non_numeric",
        f"{t!r} is not a number{hint}",
        f"{t!r} 不是数字{hint_zh}",
    )
