"""Where an export goes: default names, no silent overwrite, never a half-written file.

* Each export and format has its own default file, ``exports/<task>-<kind><suffix>``
  (:func:`default_path`), so exporting a second format never replaces the first.
* An existing file is not replaced unless asked (``force``): :class:`OutputExists`.
* Files are written to a temporary name in the same folder and moved into place only when
  everything (the data and its ``.meta.json``) was written: a failed write (a full disk, a
  file-size limit, an error half-way) leaves no partial file and the old file untouched.
  Without ``force`` the final move is a hard link, which fails if a file appeared meanwhile,
  so two exports racing for one name cannot replace each other.
* Standard output (``--out -``, ``/dev/stdout``, ``/dev/fd/1``) is written to, as it is:
  appended to when the shell opened it with ``>>``, never truncated, renamed over or given a
  provenance file beside it; a file or pipe it is redirected to gets the bytes as they are.
  When it is a terminal the export is refused (:class:`TerminalOutput`): raw data (escape
  sequences in a response) would act on the terminal. Standard error likewise.
* Any other pipe or device (a FIFO) is written through: renaming a file over it would
  replace the pipe (or, as root, the device); no provenance file beside it. A terminal
  device (``/dev/tty``) is refused as standard output is.
* The provenance file counts as part of the export: a ``<file>.meta.json`` left alone (its
  data file deleted) is not replaced without ``force`` either.
* Missing folders are created only under the working folder (``exports/`` included): a
  mistyped ``--out /data/x.csv`` is refused (:class:`FolderRefused`), never a new tree
  elsewhere.
* A symbolic link is followed: the file it points to is replaced, the link kept.

:func:`prepare_output` makes every check before any work; the CLI's exports and ``report``
call it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

EXPORTS_DIR = Path("exports")


class OutputExists(FileExistsError):
    """The output file exists and replacing it was not asked for (``--force``)."""

    def __init__(self, path: Path):
        super().__init__(errno.EEXIST, "exists already", str(path))
        self.path = path


class OutputRefused(ValueError):
    """An output that is refused before any work, with the message to show."""


class TerminalOutput(OutputRefused):
    pass


class FolderRefused(OutputRefused):
    pass


@dataclass(frozen=True)
class Descriptor:
    """An open file descriptor to write to as it is (standard output or error)."""

    fd: int
    name: str

    def __str__(self) -> str:
        return self.name


STANDARD_STREAMS = {"-": 1, "/dev/stdout": 1, "/dev/fd/1": 1, "/proc/self/fd/1": 1,
                    "/dev/stderr": 2, "/dev/fd/2": 2, "/proc/self/fd/2": 2}


def standard_stream(path: Path | str | Descriptor) -> Descriptor | None:
    """Standard output (``-``, ``/dev/stdout``, ...) or error named by ``path``, else None."""
    if isinstance(path, Descriptor):
        return path
    fd = STANDARD_STREAMS.get(str(path))
    if fd is None:
        return None
    return Descriptor(fd, "standard output" if fd == 1 else "standard error")


def is_terminal(target: Path | Descriptor) -> bool:
    """Whether writing to ``target`` would reach a terminal."""
    if isinstance(target, Descriptor):
        return os.isatty(target.fd)
    try:
        if not stat.S_ISCHR(os.stat(target).st_mode):
            return False
        fd = os.open(target, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def check_folder(path: Path) -> None:
    """Raise :class:`FolderRefused` unless ``path``'s folder exists or lies under the working
    folder (where ``exports/`` is), the only place missing folders are created."""
    folder = path.parent
    if folder.exists():  # a folder (or a file in the way: the write says so)
        return
    here = Path.cwd().resolve()
    where = folder.resolve()
    if where == here or here in where.parents or EXPORTS_DIR.resolve() in (where, *where.parents):
        return
    raise FolderRefused(f"the folder {folder} does not exist: folders are only created under the working folder "
                        f"({here}); create it first, or choose another --out")


def prepare_output(path: Path | str, force: bool, companions: tuple[Path, ...] = ()) -> Path | Descriptor:
    """Every check on an output before any work is done; returns what to write to.

    Standard output or error (``-``, ``/dev/stdout``) becomes a :class:`Descriptor`, refused
    when it is a terminal (:class:`TerminalOutput`), as is a terminal device; otherwise the
    file and its ``companions`` must be free (``force``: :class:`OutputExists`) and its folder
    must exist or be creatable (:class:`FolderRefused`)."""
    target: Path | Descriptor = standard_stream(path) or Path(path)
    if is_terminal(target):
        raise TerminalOutput(
            f"{target} is a terminal: an export is data, and its raw text (escape sequences in a response) could act "
            "on the terminal. Redirect it (> FILE, | less) or choose a file with --out")
    if isinstance(target, Descriptor):
        return target
    check_free(target, force, companions)
    if not is_stream(target):
        check_folder(target)
    return target


def checked_output(path: Path, force: bool, companions: tuple[Path, ...], fail, *,
                   streams: bool = True) -> Path | Descriptor:
    """:func:`prepare_output` for the CLI: a refusal (an existing file without ``force``, a
    terminal, a missing folder elsewhere; with ``streams=False``, as for ``report``, which
    writes files only, any stream) is ``fail(message)``."""
    try:
        target = prepare_output(path, force, companions)
    except OutputExists as e:
        fail(f"{e.path} exists already: pass --force to replace it, or choose another file with --out")
    except OutputRefused as e:
        fail(str(e))
    if not streams and is_stream(target):
        fail(f"{path}: the report is files (HTML, Markdown, figures); choose a file name with --out")
    return target


def default_path(task: str, kind: str, suffix: str) -> Path:
    """``exports/<task>-<kind><suffix>``, the task name made a safe file name (no folders, no
    leading dot): e.g. ``exports/demo-gold-chosen-rejected.jsonl``."""
    safe = re.sub(r"[^\w.-]+", "_", task).lstrip(".") or "task"
    return EXPORTS_DIR / f"{safe}-{kind}{suffix}"


def meta_path(path: Path) -> Path:
    """The provenance file beside an export: ``<file>.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def is_stream(path: Path | Descriptor) -> bool:
    """Whether ``path`` is a pipe, a terminal or a device (``/dev/stdout``): written through, never replaced."""
    if isinstance(path, Descriptor):
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def check_free(path: Path | Descriptor, force: bool, companions: tuple[Path, ...] = ()) -> None:
    """Raise :class:`OutputExists` when ``path`` or one of its ``companions`` (its
    ``.meta.json``) exists (as a file, or a link to one) and ``force`` is not set. Checked
    before any work, and again when each file is put in place."""
    if force or is_stream(path):
        return
    for p in (path, *companions):
        if p.exists() or p.is_symlink():
            raise OutputExists(p)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def output_files(path: Path | Descriptor, force: bool,
                 companions: tuple[Path, ...] = ()) -> Iterator[list[Path | Descriptor | None]]:
    """Temporary files to write for ``path`` and its ``companions`` (e.g. its ``.meta.json``),
    put in place together when the block ends without an exception.

    Yields one path to write to per file: a temporary file in the final folder, or ``path``
    itself when it is a stream or a :class:`Descriptor` (then no companion is written: ``None``
    in their places). ``force`` decides whether ``path`` and its companions may replace
    existing files. On any exception inside the block every temporary
    file is removed and nothing is put in place; if putting one in place fails, the files
    this call placed already are removed again.
    """
    check_free(path, force, companions)
    if is_stream(path):
        yield [path, *(None for _ in companions)]
        return
    if path.is_symlink():
        path = path.resolve()  # replace the file the link points to, not the link
    targets: list[tuple[Path, Path, bool]] = []
    try:
        for final in (path, *companions):
            check_folder(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
            os.close(fd)
            targets.append((final, Path(tmp), force))
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
