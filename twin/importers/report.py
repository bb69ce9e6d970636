"""What an import did: the problems it met (each naming its object) and the facts it defaulted.

An import keeps going past bad objects, so its report is the user's only way to know what
was skipped, renamed, moved or guessed. Issues are grouped by code when printed, so 30
cables to the same kind of missing end read as one line with a count, not 30 lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImportIssue:
    """One problem with one input object: `where` names it (a file and field, or model and pk)."""

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportReport:
    """Issues met and facts defaulted during one import."""

    source: str
    issues: list[ImportIssue] = field(default_factory=list)
    defaulted: Counter = field(default_factory=Counter)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def warn(self, code: str, where: str, message: str) -> None:
        self.issues.append(ImportIssue(code, where, message))

    def default(self, fact: str, n: int = 1) -> None:
        """Count a fact the source did not give and twin filled in (`fact` says with what)."""
        if n:
            self.defaulted[fact] += n

    def codes(self) -> Counter:
        return Counter(issue.code for issue in self.issues)

    def lines(self, per_code: int = 5) -> list[str]:
        """Issues as text, at most `per_code` of each kind followed by how many more there are."""
        out: list[str] = []
        by_code: dict[str, list[ImportIssue]] = {}
        for issue in self.issues:
            by_code.setdefault(issue.code, []).append(issue)
        for code, issues in by_code.items():
            out += [str(issue) for issue in issues[:per_code]]
            if len(issues) > per_code:
                out.append(f"… and {len(issues) - per_code} more like this ({code})")
        return out

    def reason_lines(self) -> list[str]:
        """One line per kind of warning, most frequent first: how many, and the reason's code."""
        return [f"{n:>6,}  {code}" for code, n in sorted(self.codes().items(), key=lambda kv: (-kv[1], kv[0]))]

    def defaulted_lines(self) -> list[str]:
        return [f"{n:>6,}  {fact}" for fact, n in sorted(self.defaulted.items(), key=lambda kv: (-kv[1], kv[0]))]
