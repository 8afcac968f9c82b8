"""Atomic writes: the final path only ever holds a whole file, with the usual permissions."""

import os
import stat

import pytest

from mchanalysis.atomic import atomic_path, write_text


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "t.csv"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer crashed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_written_file_has_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        p = write_text(tmp_path / "r.html", "<p>x</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
