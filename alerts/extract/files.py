"""The text of an uploaded notice: .txt, .docx (python-docx) or .pdf (pypdf)."""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum
from pathlib import PurePath

import docx
from docx.table import Table
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from alerts.domain.errors import ErrorCode, FieldError

#: Uploads larger than this are refused before reading (a notice's .docx or .pdf is far smaller).
MAX_FILE_BYTES = 5 * 1024 * 1024
SUFFIXES = (".txt", ".docx", ".pdf")


class FileProblem(StrEnum):
    """Why a file gives no text."""

    TYPE = "type"  # not .txt, .docx or .pdf
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"  # damaged, encrypted, or not what its name says
    EMPTY = "empty"  # no text in it (a scanned PDF)


class UnreadableFile(ValueError):
    """The upload gives no text; .problem says why."""

    def __init__(self, problem: FileProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.error = FieldError("notice_file", _FILE_ERRORS[problem])


_FILE_ERRORS = {
    FileProblem.TYPE: ErrorCode.FILE_TYPE,
    FileProblem.TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
    FileProblem.UNREADABLE: ErrorCode.FILE_UNREADABLE,
    FileProblem.EMPTY: ErrorCode.FILE_EMPTY,
}


def notice_text(value: object, max_text: int, field: str = "text") -> tuple[str, FieldError | None]:
    """A notice to read, or why it is refused (missing, empty, too long, not valid text)."""
    if not isinstance(value, str):
        code = ErrorCode.NOTICE_REQUIRED if value is None else ErrorCode.NOT_TEXT
        return "", FieldError(field, code)
    if not value.strip():
        return "", FieldError(field, ErrorCode.NOTICE_EMPTY)
    if len(value) > max_text:
        return "", FieldError(field, ErrorCode.NOTICE_TOO_LONG, {"max": max_text})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON escapes such as "\\ud800"
        return "", FieldError(field, ErrorCode.INVALID_TEXT)
    return value, None


def text_from_file(filename: str, data: bytes) -> str:
    """The text of a notice file, by its suffix; UnreadableFile when there is none."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(FileProblem.TYPE)
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(FileProblem.TOO_LARGE)
    try:
        if suffix == ".txt":
            text = _decode(data)
        elif suffix == ".docx":
            text = _docx(data)
        else:
            text = _pdf(data)
    except (zipfile.BadZipFile, KeyError, ValueError, PyPdfError, OSError) as exc:
        if isinstance(exc, UnreadableFile):
            raise
        raise UnreadableFile(FileProblem.UNREADABLE) from None
    if not text.strip():
        raise UnreadableFile(FileProblem.EMPTY)
    return text


def _decode(data: bytes) -> str:
    # Word's "plain text" export on West African machines is often Windows-1252.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _docx(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    # In document order: notices put title, place and deadline in a table at the top; each
    # row becomes one line, its cells tab-separated (merged cells repeat: kept once).
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                lines.append("\t".join(dict.fromkeys(c.text.strip() for c in row.cells)))
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _pdf(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UnreadableFile(FileProblem.UNREADABLE)
    return "\n".join(page.extract_text() or "" for page in reader.pages)
