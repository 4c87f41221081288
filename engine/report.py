"""The validation report: a list of issues with a fixed shape, never exceptions for bad data."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal, Sequence

import numpy as np

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

# Row-level issues kept in full detail; beyond this only counts are kept (the report says so).
DEFAULT_MAX_ISSUES = 1000


@dataclass(frozen=True)
class Issue:
    row: int | None          # spreadsheet row (header = 1); None for file-level issues
    column: str | None       # canonical column name, or None
    code: str                # stable snake_case identifier
    message: str             # a sentence a plant engineer understands
    severity: Severity

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Issue":
        return cls(d.get("row"), d.get("column"), d["code"], d["message"], d["severity"])


@dataclass
class Report:
    file_name: str = ""
    rows_total: int = 0
    rows_accepted: int = 0
    issues: list[Issue] = field(default_factory=list)
    issue_counts: Counter = field(default_factory=Counter)   # every issue, by code
    max_issues: int = DEFAULT_MAX_ISSUES
    excluded_reasons: Counter = field(default_factory=Counter)  # excluded rows, by first reason

    def add(self, issue: Issue) -> None:
        self.issue_counts[issue.code] += 1
        if issue.row is None or self._row_issues_kept() < self.max_issues:
            self.issues.append(issue)

    def add_rows(self, rows: Sequence[int] | np.ndarray, column: str | None, code: str, severity: Severity,
                 message: Callable[[int], str]) -> None:
        """One problem found on many rows: all of them are counted, the first ones (up to
        `max_issues` row issues in the whole report) are kept with `message(i)` for `rows[i]`."""
        room = max(0, self.max_issues - self._row_issues_kept())
        for i in range(min(room, len(rows))):
            self.issues.append(Issue(int(rows[i]), column, code, message(i), severity))
        self.issue_counts[code] += len(rows)

    def _row_issues_kept(self) -> int:
        return sum(1 for i in self.issues if i.row is not None)

    @property
    def rows_excluded(self) -> int:
        return self.rows_total - self.rows_accepted

    @property
    def file_errors(self) -> list[Issue]:
        return [i for i in self.issues if i.row is None and i.severity == "error"]

    @property
    def valid(self) -> bool:
        """Accepted: no file-level error and at least one usable row."""
        return not self.file_errors and self.rows_accepted > 0

    @property
    def issues_total(self) -> int:
        return sum(self.issue_counts.values())

    @property
    def truncated(self) -> bool:
        return self.issues_total > len(self.issues)

    @property
    def notes(self) -> list[str]:
        return [i.message for i in self.issues if i.severity == "info"]

    def summary(self) -> str:
        """One line for a status bar or a CLI: accepted, excluded and the main reasons."""
        if not self.valid:
            first = self.file_errors[0].message if self.file_errors else "No row could be used."
            return f"Rejected: {first}"
        reasons = self.excluded_reasons
        text = f"{self.rows_accepted} of {self.rows_total} rows accepted, {self.rows_excluded} excluded"
        if reasons:
            text += " (" + ", ".join(f"{n} {code.replace('_', ' ')}" for code, n in reasons.most_common()) + ")"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "file_name": self.file_name,
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "rows_excluded": self.rows_excluded,
            "issues": [i.to_dict() for i in self.issues],
            "issue_counts": dict(self.issue_counts),
            "excluded_reasons": dict(self.excluded_reasons),
            "issues_total": self.issues_total,
            "truncated": self.truncated,
            "notes": self.notes,
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        r = cls(file_name=d.get("file_name", ""), rows_total=d.get("rows_total", 0),
                rows_accepted=d.get("rows_accepted", 0),
                issues=[Issue.from_dict(i) for i in d.get("issues", [])])
        r.issue_counts = Counter(d.get("issue_counts") or Counter(i.code for i in r.issues))
        r.excluded_reasons = Counter(d.get("excluded_reasons") or {})
        return r
