"""Where an export goes: default names, no silent overwrite, never a half-written file.

* Each export and format has its own default file, ``exports/<task>-<kind><suffix>``
  (:func:`default_path`), so exporting a second format never replaces the first.
* An existing file is not replaced unless asked (``force``): :class:`OutputExists`.
* Files are written to a temporary name in the same folder and moved into place only when
  everything (the data and its ``.meta.json``) was written: a failed write (a full disk, a
  file-size limit, an error half-way) leaves no partial file and the old file untouched.
  Without ``force`` the final move is a hard link, which fails if a file appeared meanwhile,
  so two exports racing for one name cannot replace each other.
* A pipe, a terminal or a device (``--out /dev/stdout``) is written through: renaming a file
  over it would replace the pipe (or, as root, the device); no provenance file beside it.
* A symbolic link is followed: the file it points to is replaced, the link kept.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

EXPORTS_DIR = Path("exports")


class OutputExists(FileExistsError):
    """The output file exists and replacing it was not asked for (``--force``)."""

    def __init__(self, path: Path):
        super().__init__(errno.EEXIST, "exists already", str(path))
        self.path = path


def default_path(task: str, kind: str, suffix: str) -> Path:
    """``exports/<task>-<kind><suffix>``, the task name made a safe file name (no folders, no
    leading dot): e.g. ``exports/demo-gold-chosen-rejected.jsonl``."""
    safe = re.sub(r"[^\w.-]+", "_", task).lstrip(".") or "task"
    return EXPORTS_DIR / f"{safe}-{kind}{suffix}"


def meta_path(path: Path) -> Path:
    """The provenance file beside an export: ``<file>.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a pipe, a terminal or a device (``/dev/stdout``): written through, never replaced."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def check_free(path: Path, force: bool) -> None:
    """Raise :class:`OutputExists` when ``path`` exists (as a file, or a link to one) and
    ``force`` is not set. Checked before any work, and again when the file is put in place."""
    if force or is_stream(path):
        return
    if path.exists() or path.is_symlink():
        raise OutputExists(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def output_files(path: Path, force: bool, companions: tuple[Path, ...] = ()) -> Iterator[list[Path | None]]:
    """Temporary files to write for ``path`` and its ``companions`` (e.g. its ``.meta.json``),
    put in place together when the block ends without an exception.

    Yields one path to write to per file: a temporary file in the final folder, or ``path``
    itself when it is a stream (then no companion is written: ``None`` in their places).
    ``force`` decides whether ``path`` may replace an existing file; companions belong to
    the export and are always replaced. On any exception inside the block every temporary
    file is removed and nothing is put in place; if putting one in place fails, the files
    this call placed already are removed again.
    """
    check_free(path, force)
    if is_stream(path):
        yield [path, *(None for _ in companions)]
        return
    if path.is_symlink():
        path = path.resolve()  # replace the file the link points to, not the link
    targets: list[tuple[Path, Path, bool]] = []
    try:
        for final, replace in [(path, force), *((c, True) for c in companions)]:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
            os.close(fd)
            targets.append((final, Path(tmp), replace))
        yield [tmp for _, tmp, _ in targets]
        placed: list[Path] = []
        try:
            for final, tmp, replace in targets:
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private (0600); an export is meant to be shared
                _place(tmp, final, replace)
                placed.append(final)
        except BaseException:
            for final in placed:
                final.unlink(missing_ok=True)
            raise
    finally:
        for _, tmp, _ in targets:
            tmp.unlink(missing_ok=True)


def _place(tmp: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if the name was taken meanwhile: never replaces
    except FileExistsError:
        raise OutputExists(path) from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if path.exists():  # a file system without hard links: check, then rename
            raise OutputExists(path) from None
        os.replace(tmp, path)
