"""The package's own exception types.

A user error carries *where* (file, row, column, region, year) and *why*, in words an analyst
understands; the CLI prints it on one line and exits 1. Programming errors stay ordinary
exceptions with tracebacks.
"""

from __future__ import annotations


class MchError(Exception):
    """A user error: bad input file, bad parameter, unknown region code, ...

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    file, row, column : optional
        Where. ``row`` is the row number the user sees in a spreadsheet (header = row 1).
    """

    def __init__(self, message: str, *, file=None, row=None, column=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:  # one line, location first
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ValidationError(MchError):
    """Raised when validation finds one or more errors; carries every finding at once.

    Attributes
    ----------
    findings : pandas.DataFrame
        The findings table (see :func:`mchanalysis.schema.validate`), errors and warnings.
    """

    def __init__(self, findings, *, file=None):
        import pandas as pd  # here, not at the top: `mch --help` must not pay for pandas

        self.findings = findings
        errors = findings[findings["severity"] == "error"]
        lines = [
            f"{r.file or file or '<data>'}: row {r.row}, column {r.column}: {r.message_en}"
            if r.row is not None and not pd.isna(r.row)
            else f"{r.file or file or '<data>'}: column {r.column}: {r.message_en}"
            for r in errors.itertuples()
        ]
        msg = f"{len(errors)} error(s) in the counts table:\n  " + "\n  ".join(lines)
        super().__init__(msg, file=None)
