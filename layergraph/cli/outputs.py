"""Output files named on the command line, checked before any work is done.

A command that trains for minutes and then cannot write its ``--save`` or
``--plot`` file has lost the work; :func:`check_writable` fails first,
naming the option and the path as the user gave them.

Example
-------
>>> import tempfile
>>> check_writable(tempfile.mkdtemp() + "/model.lg", "--save")
>>> check_writable("/nonexistent-folder/model.lg", "--save")
Traceback (most recent call last):
...
ValueError: --save /nonexistent-folder/model.lg: the folder /nonexistent-folder does not exist
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["check_writable"]


def check_writable(path, option, create_folders=False):
    """Raise ``ValueError`` naming ``option`` and ``path`` unless a file can be written at ``path``.

    Writing is tried for real (a temporary file is created and removed in the
    folder), since permission bits do not tell, e.g. for root or in ``/sys``.

    Parameters
    ----------
    path : str or os.PathLike
    option : str
        The command-line option, for the message (``"--save"``).
    create_folders : bool
        The writer creates missing folders (figures do): then the nearest
        existing folder must take new entries.
    """
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{option} {path}: is a folder; give a file name")
    folder = target.parent
    if not create_folders and not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise ValueError(f"{option} {path}: the folder {folder} {reason}")
    while not folder.exists():  # the writer will create the missing folders below the nearest existing one
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"{option} {path}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".layergraph-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{option} {path}: cannot write in {folder} ({err.strerror or err})") from None
