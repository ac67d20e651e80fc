"""Plain input documents for the report and certificate renderers (R23–R25).

The renderers take these dataclasses and return bytes or text; they never see the
database, so the queries that fill them can change without touching the layout.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

# The renderers take these two from here too.
from ..ui.text import month_text as month_text
from ..ui.text import percent_text as percent_text

# R19 status codes, in the order the rules decide them.
STATUS_LABELS_ZH: dict[str, str] = {
    "not_required": "无需服务",
    "exempt": "已免除",
    "met": "已达标",
    "awaiting_confirmation": "待确认",
    "on_track": "进行中",
    "at_risk": "有风险",
    "missed": "未达标",
}
STATUS_LABELS_EN: dict[str, str] = {
    "not_required": "Not required",
    "exempt": "Exempt",
    "met": "Met",
    "awaiting_confirmation": "Awaiting confirmation",
    "on_track": "On track",
    "at_risk": "At risk",
    "missed": "Missed",
}
FLAG_LABELS_ZH: dict[str, str] = {
    "poster": "海报码",
    "location_unverified": "未验证位置",
    "location_outside": "超出范围",
    "adjusted": "已调整",
    "auto_closed": "自动签退",
    "manual": "手工录入",
    "uninsured": "未投保",
}
FLAG_LABELS_EN: dict[str, str] = {
    "poster": "Poster code",
    "location_unverified": "Location unverified",
    "location_outside": "Outside the area",
    "adjusted": "Adjusted",
    "auto_closed": "Auto checked out",
    "manual": "Entered by hand",
    "uninsured": "Uninsured",
}
CERTIFICATE_TITLES: dict[str, str] = {"volunteer": "志愿服务记录证明", "internship": "实习证明"}


def status_label(code: str, lang: str = "zh") -> str:
    """Return the word for an R19 status code (the code itself if unknown)."""
    table = STATUS_LABELS_EN if lang == "en" else STATUS_LABELS_ZH
    return table.get(code, code)


def flag_label(code: str, lang: str = "zh") -> str:
    """Return the word for a session flag code (the code itself if unknown)."""
    table = FLAG_LABELS_EN if lang == "en" else FLAG_LABELS_ZH
    return table.get(code, code)


def flags_text(codes: list[str], lang: str = "zh") -> str:
    """Return flag words joined for one cell, each flag once, in first-seen order."""
    sep = ", " if lang == "en" else "、"
    return sep.join(flag_label(code, lang) for code in dict.fromkeys(codes))


def hours_value(minutes: int, places: int = 2) -> Decimal:
    """Return minutes as hours, rounded half-up to `places` decimals."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(minutes) / 60).quantize(quantum, rounding=ROUND_HALF_UP)


def hours_text(minutes: int, max_places: int = 2, min_places: int = 1) -> str:
    """Return minutes as an hours string with between min and max decimals (90 → "1.5")."""
    text = f"{hours_value(minutes, max_places):.{max_places}f}"
    # Trim only the optional trailing zeros: "1.50" → "1.5", but "1.0" stays.
    while max_places > min_places and text.endswith("0"):
        text, max_places = text[:-1], max_places - 1
    return text.rstrip(".")


def date_text(day: date) -> str:
    """Return a date as "2026年9月3日"."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class ReportRow:
    """One student's line on an enterprise's monthly report."""

    student_name: str
    university: str
    agreement_label: str
    sessions: int
    confirmed_minutes: int
    pending_minutes: int
    required_minutes: int
    status: str
    flags: list[str] = field(default_factory=list)
    student_id: int | None = None


@dataclass(frozen=True)
class EnterpriseReport:
    """An enterprise's monthly report (R23); totals are computed from the rows."""

    enterprise_name: str
    credit_code: str
    union_name: str
    month: str
    rows: list[ReportRow]
    generated_at: datetime
    attested_at: datetime | None = None
    attested_by: str | None = None
    # Set when the figures changed after the signature (R30): the signature no longer
    # covers the rows above, and every rendering says so.
    stale_since: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("generated_at", "attested_at", "stale_since"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")

    @property
    def is_attested(self) -> bool:
        """Say whether the enterprise's attestation covers the figures of this report."""
        return self.attested_at is not None and self.stale_since is None

    @property
    def attestation_status(self) -> str:
        """Return "none", "current" or "stale" (R30)."""
        if self.attested_at is None:
            return "none"
        return "stale" if self.stale_since is not None else "current"

    def attestation_line(self, local_time) -> str:
        """Return the attestation sentence every file prints (times through `local_time`)."""
        if self.attested_at is None:
            return "签字确认：本月名单尚未签字确认。"
        signed = f"{self.attested_by or ''} 于 {local_time(self.attested_at)}"
        if self.stale_since is not None:
            return (
                f"签字后已变更：本月数据于 {local_time(self.stale_since)} 变更，"
                f"{signed} 的签字确认不适用于以上数据，待企业重新签字确认。"
            )
        return f"签字确认：{signed} 确认本月名单与服务时长。"

    @property
    def total_sessions(self) -> int:
        """Return the number of sessions over all rows."""
        return sum(row.sessions for row in self.rows)

    @property
    def total_confirmed_minutes(self) -> int:
        """Return the confirmed minutes over all rows."""
        return sum(row.confirmed_minutes for row in self.rows)

    @property
    def total_pending_minutes(self) -> int:
        """Return the pending minutes over all rows."""
        return sum(row.pending_minutes for row in self.rows)

    @property
    def total_required_minutes(self) -> int:
        """Return the required minutes over all rows."""
        return sum(row.required_minutes for row in self.rows)

    @property
    def status_counts(self) -> Counter[str]:
        """Return how many rows have each status code."""
        return Counter(row.status for row in self.rows)

    def status_summary(self, lang: str = "zh") -> str:
        """Return e.g. "已达标 3 人、有风险 1 人" ("Met 3, At risk 1") in R19 order."""
        counts = self.status_counts
        if lang == "en":
            return ", ".join(
                f"{label} {counts[code]}"
                for code, label in STATUS_LABELS_EN.items()
                if counts[code]
            )
        parts = [
            f"{label} {counts[code]} 人" for code, label in STATUS_LABELS_ZH.items() if counts[code]
        ]
        return "、".join(parts)


@dataclass(frozen=True)
class UnionSummaryRow:
    """One child union's or enterprise's line on a union summary (R24)."""

    kind: str  # "union" | "enterprise"
    code_or_id: str
    name: str
    students: int
    required_minutes: int
    confirmed_minutes: int
    met: int
    at_risk: int
    missed: int
    compliance_rate: float | None

    def __post_init__(self) -> None:
        if self.kind not in ("union", "enterprise"):
            raise ValueError(f"unknown summary row kind: {self.kind!r}")


@dataclass(frozen=True)
class UnionSummary:
    """A union's monthly summary with the compliance history for its chart (R24)."""

    union_name: str
    union_code: str
    month: str
    rows: list[UnionSummaryRow]
    generated_at: datetime
    history: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def union_rows(self) -> list[UnionSummaryRow]:
        """Return the child-union rows."""
        return [row for row in self.rows if row.kind == "union"]

    @property
    def enterprise_rows(self) -> list[UnionSummaryRow]:
        """Return the enterprise rows."""
        return [row for row in self.rows if row.kind == "enterprise"]


@dataclass(frozen=True)
class CertificateEntry:
    """One recording enterprise's part of a certificate."""

    enterprise_name: str
    site_names: list[str]
    first_day: date
    last_day: date
    minutes: int
    service_content: str


@dataclass(frozen=True)
class CertificateDoc:
    """A volunteer-service or internship certificate for one student and period (R25)."""

    code: str
    kind: str  # "volunteer" | "internship"
    student_name: str
    id_number_masked: str
    university: str
    from_month: str
    to_month: str
    total_minutes: int
    entries: list[CertificateEntry]
    issuing_union_name: str
    issued_on: date
    contact: str
    verify_url: str
    status: str = "genuine"  # "genuine" | "superseded"
    # The national fields of R39 (民发〔2015〕149号): identity, issuer, number, seal.
    id_type: str = "居民身份证"
    volunteer_number: str | None = None
    number: str | None = None
    leader_name: str | None = None
    handler_name: str | None = None
    seal_png: bytes | None = None
    # An internship certificate carries the enterprises' evaluations (R38).
    evaluations: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in CERTIFICATE_TITLES:
            raise ValueError(f"unknown certificate kind: {self.kind!r}")
        if self.status not in ("genuine", "superseded"):
            raise ValueError(f"unknown certificate status: {self.status!r}")

    @property
    def title(self) -> str:
        """Return the document title: 志愿服务记录证明 or 实习证明."""
        return CERTIFICATE_TITLES[self.kind]

    @property
    def is_superseded(self) -> bool:
        """Say whether later changes to the hours have superseded this certificate."""
        return self.status == "superseded"

    @property
    def period_text(self) -> str:
        """Return the period as "2026年9月至2026年12月" (one month once)."""
        start, end = month_text(self.from_month), month_text(self.to_month)
        return start if start == end else f"{start}至{end}"
