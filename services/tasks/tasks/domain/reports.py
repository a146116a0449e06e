"""Uploaded reports (上传报告): comparison and calibration reports are due within 5 working days
of being issued; a file is a PDF or an image, recognised by its content, not its name."""
from dataclasses import dataclass
from datetime import date

from emss_common.vocabulary import REPORT_FOR_FORM, REPORT_KINDS
from emss_common.workdays import working_deadline

__all__ = ["REPORT_FOR_FORM", "REPORT_KINDS"]  # the vocabulary lives in the common catalogue


_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff(content: bytes):
    """The file's real type from its first bytes, or None when it is not an accepted type."""
    for magic, mime in _SIGNATURES:
        if content.startswith(magic):
            return mime
    return None


@dataclass(frozen=True)
class UploadDeadline:
    working_days: int = 5

    def due(self, issued_on: date):
        return working_deadline(issued_on, self.working_days)

    def is_late(self, issued_on: date, uploaded_on: date) -> bool:
        return uploaded_on > self.due(issued_on).date
