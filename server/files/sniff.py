"""What an upload really is, read from its first bytes: never from its name or the type
the browser claims. Only PDF, JPEG and PNG are taken; an executable renamed ``.pdf``
is still an executable."""

from __future__ import annotations

from ..domain.errors import InvalidInput

ALLOWED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def content_type(head: bytes) -> str | None:
    """The type the bytes start like, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def check(data: bytes, limit: int) -> str:
    """The file's type, or a clear refusal (empty, too large, not a PDF/JPEG/PNG)."""
    if not data:
        raise InvalidInput("file_empty", "the file is empty", "文件为空", field="file")
    if len(data) > limit:
        raise file_too_large(limit)
    found = content_type(data[:16])
    if found is None:
        raise InvalidInput("file_type_not_allowed", "only PDF, JPEG or PNG files are accepted "
                           "(checked by content, not by name)",
                           "只能上传 PDF、JPEG 或 PNG 文件（按文件内容检查，而非文件名）",
                           field="file")  # fmt: skip
    if found == "application/pdf" and b"%%EOF" not in data[-1024:]:
        raise InvalidInput("file_damaged", "the PDF is incomplete", "PDF 文件不完整或已损坏",
                           field="file")  # fmt: skip
    return found


def file_too_large(limit: int) -> InvalidInput:
    err = InvalidInput("file_too_large", f"a file may be at most {limit // (1024 * 1024)} MB",
                       f"单个文件不能超过 {limit // (1024 * 1024)} MB", field="file")  # fmt: skip
    err.status = 413
    return err
