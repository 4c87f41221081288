"""When a snapshot's readings were taken: a date-time editor in local time over the store's UTC
ISO times, and the small dialog History uses to correct it."""
from __future__ import annotations

from datetime import datetime

from PyQt5.QtCore import QDateTime
from PyQt5.QtWidgets import QDateTimeEdit, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

FORMAT = "yyyy-MM-dd HH:mm:ss"


def make_edit(parent: QWidget | None = None) -> QDateTimeEdit:
    edit = QDateTimeEdit(parent)
    edit.setDisplayFormat(FORMAT)
    edit.setCalendarPopup(True)
    edit.setToolTip("Local time of this computer")
    return edit


def set_time(edit: QDateTimeEdit, when: str | datetime | None) -> None:
    """Show a stored time (UTC ISO text or an aware datetime) in local time; now when unknown."""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when) if when else None
        except ValueError:
            when = None
    moment = (when.astimezone() if when is not None else datetime.now().astimezone()).replace(tzinfo=None)
    edit.setDateTime(QDateTime(moment.replace(microsecond=0)))


def chosen_time(edit: QDateTimeEdit) -> datetime:
    """The edited local time as an aware datetime."""
    return edit.dateTime().toPyDateTime().astimezone()


class ReadingTimeDialog(QDialog):
    def __init__(self, name: str, current: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Readings taken at")
        self.edit = make_edit()
        set_time(self.edit, current)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        label = QLabel(f"When were the readings of '{name}' taken? Its equipment's history moves to this time.")
        label.setWordWrap(True)
        lay.addWidget(label)
        lay.addWidget(self.edit)
        lay.addWidget(buttons)
