"""Uploaded reports (上传报告): comparison and calibration reports are due within 5 working days
of being issued; a file is a PDF or an image, recognised by its content, not its name."""
from dataclasses import dataclass
from datetime import date

from emss_common.vocabulary import REPORT_FOR_FORM, REPORT_KINDS
from emss_common.files import sniff
from emss_common.workdays import working_deadline

__all__ = ["REPORT_FOR_FORM", "REPORT_KINDS", "sniff"]  # the vocabulary and the sniffing live in emss_common


@dataclass(frozen=True)
class UploadDeadline:
    working_days: int = 5

    def due(self, issued_on: date):
        return working_deadline(issued_on, self.working_days)

    def is_late(self, issued_on: date, uploaded_on: date) -> bool:
        return uploaded_on > self.due(issued_on).date
