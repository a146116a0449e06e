"""Uploaded reports (上传报告): comparison and calibration reports are due within 5 working days
of being issued; a file is a PDF or an image, recognised by its content, not its name."""
from dataclasses import dataclass
from datetime import date

from emss_common.workdays import working_deadline

REPORT_KINDS = {
    "water_comparison": "实际水样比对",
    "periodic_check": "定期校验",
    "accuracy_check": "正确度核查",
    "calibration": "校准",
    "monitoring": "监测报告",
}

# Which form kind's occurrences expect which report kind.
REPORT_FOR_FORM = {"ww_comparison": "water_comparison", "fg_periodic_check": "periodic_check"}

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
