"""Sign-in dialog: server URL, user name, password, "remember me". It only collects input and
shows the outcome; the controller signs in on a worker thread, so the window never freezes.
The password lives in the line edit until the dialog closes and is never saved."""
from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core.sync.api_client import insecure_http_warning
from chemviz_desktop.core.sync.credentials import keychain_available


class AccountDialog(QDialog):
    signInRequested = pyqtSignal(str, str, str, bool)  # url, user, password, remember

    def __init__(self, parent: QWidget | None = None, server_url: str = "", username: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Sign in to a ChemViz server")
        self.url_edit = QLineEdit(server_url)
        self.url_edit.setPlaceholderText("https://chemviz.example.org")
        self.user_edit = QLineEdit(username)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.Password)
        self.remember = QCheckBox("Remember me on this computer")
        self.remember_why = QLabel("")
        self.remember_why.setObjectName("Muted")
        self.remember_why.setWordWrap(True)
        if keychain_available():
            self.remember.setToolTip("Keeps a sign-in token (never your password) in the system keychain.")
            self.remember_why.hide()
        else:   # said next to the box, not only in a tooltip
            self.remember.setEnabled(False)
            self.remember_why.setText("Not available: this computer has no system keychain to keep the "
                                      "sign-in safely, so you sign in each time.")
        self.warning = QLabel()
        self.warning.setObjectName("Warning")
        self.warning.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d62728;")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Server", self.url_edit)
        form.addRow("User name", self.user_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("", self.remember)
        form.addRow("", self.remember_why)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for edit in (self.url_edit, self.user_edit, self.password_edit):
            edit.setMinimumWidth(300)
            edit.setMinimumHeight(edit.sizeHint().height())   # never squashed by a long warning
        lay = QVBoxLayout(self)
        lay.setSizeConstraint(QLayout.SetMinimumSize)         # the dialog grows with its messages
        lay.addLayout(form)
        lay.addWidget(self.warning)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.url_edit.textChanged.connect(self._check_url)
        for edit in (self.url_edit, self.user_edit, self.password_edit):
            edit.textChanged.connect(self._clear_error)   # an old "unreachable" must not stay
        self._check_url()
        (self.password_edit if server_url and username else self.url_edit).setFocus()

    def _check_url(self) -> None:
        text = insecure_http_warning(self.url_edit.text()) if self.url_edit.text().strip() else None
        self.warning.setText(text or "")
        self.warning.setVisible(bool(text))

    def _clear_error(self) -> None:
        if self.error.isVisible():
            self.error.hide()
            self.error.setText("")

    def submit(self) -> None:
        url, user, pw = self.url_edit.text().strip(), self.user_edit.text().strip(), self.password_edit.text()
        if not (url and user and pw):
            self.show_error("Enter the server, your user name and your password.")
            return
        self.set_busy(True)
        self.signInRequested.emit(url, user, pw, self.remember.isChecked())

    def set_busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.Ok).setText("Signing in…" if busy else "Sign in")
        if busy:
            self.error.hide()

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()

    def succeeded(self, _note: str = "") -> None:
        self.password_edit.clear()
        self.accept()

    def done(self, result: int) -> None:  # noqa: D102 - every way out forgets the password
        self.password_edit.clear()
        super().done(result)
