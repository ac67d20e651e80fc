"""A rendered file and the HTTP answer that hands it over as a download."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import Response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Download:
    """A file for a person: bytes, a Chinese name and an ASCII name for old clients."""

    data: bytes
    filename: str
    ascii_filename: str
    fmt: str

    @property
    def mimetype(self) -> str:
        """Return the MIME type of the format."""
        return MIMETYPES[self.fmt]


def content_disposition(filename: str, ascii_filename: str) -> str:
    """Return an attachment header with an ASCII name and the RFC 5987 UTF-8 name."""
    plain = ascii_filename.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(download: Download) -> Response:
    """Return the response that downloads the file (never cached: it holds personal data)."""
    response = Response(download.data, content_type=download.mimetype)
    response.headers["Content-Disposition"] = content_disposition(
        download.filename, download.ascii_filename
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Length"] = str(len(download.data))
    return response
