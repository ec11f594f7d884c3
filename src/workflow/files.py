"""Uploaded files: the types allowed, told by their content (magic bytes) rather than their name; safe names."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from workflow.errors import Msg, PayloadTooLarge, UnsupportedMediaType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
OLE = "application/vnd.ms-office"  # legacy Word / Excel / PowerPoint (one compound-file container)
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"), DOCX: (".docx",), XLSX: (".xlsx",),
              PPTX: (".pptx",), OLE: (".doc", ".xls", ".ppt")}
_OOXML = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]')
MAX_NAME = 120
LIMIT = 10 * 1024 * 1024  # bytes; the default of WORKFLOW_MAX_ATTACHMENT_BYTES


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the sender gave it and its bytes."""

    filename: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def sniff(content: bytes) -> str | None:
    """The allowed type the content is, by its first bytes (and an OOXML zip's parts); None for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if content.startswith(b"PK\x03\x04"):
        return _ooxml(content)
    return None


def _ooxml(content: bytes) -> str | None:
    """A zip is an Office document only with ``[Content_Types].xml`` and a Word, Excel or PowerPoint part."""
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()  # reads the directory only, never inflates
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for prefix, kind in _OOXML if any(n.startswith(prefix) for n in names)), None)


def check(upload: Upload, limit: int) -> str:
    """The upload's type; 413 when larger than ``limit`` bytes, 415 when empty or not an allowed type."""
    if len(upload.content) > limit:
        raise PayloadTooLarge(Msg("文件过大：最大 %(n)s MB", n=round(limit / 1048576, 1)))
    kind = sniff(upload.content)
    if kind is None:
        raise UnsupportedMediaType(Msg("只接受 PDF、PNG、JPEG 图片和 Office 文档（按文件内容判断，不看扩展名）"))
    return kind


def safe_name(filename: str, kind: str) -> str:
    """A name safe in a header and on any disk: no path, no control or reserved characters, the type's extension."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or "." + ext.lower() not in EXTENSIONS[kind]:
        stem = name
        ext = EXTENSIONS[kind][0][1:]
    stem = (stem or "file")[: MAX_NAME - len(ext) - 1]
    return f"{stem}.{ext.lower()}"


def ascii_name(name: str) -> str:
    """The ASCII fallback of a name for ``Content-Disposition`` (the full name goes in ``filename*``)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem, _, ext = re.sub(r"[^A-Za-z0-9._-]", "_", text).rpartition(".")
    return f"{stem.strip('_') or 'file'}.{ext}"
