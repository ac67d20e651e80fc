"""Rows of a synthetic province: unions, enterprises, students, agreements, a year of sessions.

Everything is generated from one seeded random generator and the current time, as plain
tuples in the column order of `COLUMNS`, so that the loader can COPY them (PostgreSQL) or
executemany them (SQLite). Datetimes are naive UTC, as the app stores them (R1).
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from stdnum.cn import ric, uscc

from volunteer.calendar.rules import MonthCalendar, add_months, month_of
from volunteer.checkin.rules import split_minutes_by_month
from volunteer.students.identity import IdCipher, mask_id_number

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Bench-2026!"
BIG_ENTERPRISE_ID = 1

# (code, name, share of students, ID area code, universities)
CITIES = [
    (
        "XA",
        "西安市总工会",
        30,
        "610102",
        ["西北大学", "西安交通大学", "西北工业大学", "陕西师范大学", "长安大学"],
    ),
    ("BJ", "宝鸡市总工会", 8, "610302", ["宝鸡文理学院"]),
    ("XY", "咸阳市总工会", 9, "610402", ["咸阳师范学院", "陕西中医药大学"]),
    ("WN", "渭南市总工会", 9, "610502", ["渭南师范学院"]),
    ("HZ", "汉中市总工会", 7, "610702", ["陕西理工大学"]),
    ("YL", "榆林市总工会", 7, "610802", ["榆林学院"]),
    ("YA", "延安市总工会", 6, "610602", ["延安大学"]),
    ("AK", "安康市总工会", 6, "610902", ["安康学院"]),
    ("SL", "商洛市总工会", 5, "611002", ["商洛学院"]),
    ("TC", "铜川市总工会", 4, "610202", ["铜川职业技术学院"]),
    ("YLQ", "杨凌示范区总工会", 5, "610403", ["西北农林科技大学"]),
    ("HC", "韩城市总工会", 4, "610581", ["渭南师范学院"]),
]
CITY_NAMES = {
    "XA": "西安",
    "BJ": "宝鸡",
    "XY": "咸阳",
    "WN": "渭南",
    "HZ": "汉中",
    "YL": "榆林",
    "YA": "延安",
    "AK": "安康",
    "SL": "商洛",
    "TC": "铜川",
    "YLQ": "杨凌",
    "HC": "韩城",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫宇浩然子涵欣怡梓轩一诺雨泽思远佳琪晨阳博文嘉怡俊杰"
MAJORS = [
    "计算机科学与技术",
    "会计学",
    "机械工程",
    "护理学",
    "汉语言文学",
    "电气工程",
    "市场营销",
    "农学",
    "土木工程",
    "英语",
]
INDUSTRIES = ["制造业", "信息技术", "零售", "医疗卫生", "教育", "餐饮", "物流", "农业", "金融"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "unions": ("code", "name", "parent_code", "path", "created_at"),
    "enterprises": (
        "id",
        "name",
        "credit_code",
        "union_code",
        "city",
        "industry",
        "address",
        "capacity",
        "contact_name",
        "contact_phone",
        "created_at",
        "updated_at",
    ),
    "sites": (
        "id",
        "enterprise_id",
        "name",
        "address",
        "latitude",
        "longitude",
        "radius_m",
        "is_active",
        "secret",
        "secret_rotated_at",
        "created_at",
    ),
    "students": (
        "id",
        "name",
        "id_number_cipher",
        "id_key_id",
        "id_number_hash",
        "id_number_masked",
        "phone",
        "university",
        "university_city",
        "major",
        "enrollment_year",
        "home_city",
        "union_code",
        "family_hardship",
        "created_at",
        "updated_at",
    ),
    "aid_records": ("id", "student_id", "year", "amount_yuan", "category", "note", "created_at"),
    "users": (
        "id",
        "username",
        "password_hash",
        "role",
        "name",
        "union_code",
        "enterprise_id",
        "student_id",
        "must_change_password",
        "is_enabled",
        "password_version",
        "created_at",
        "password_changed_at",
        "last_login_at",
    ),
    "agreements": (
        "id",
        "student_id",
        "enterprise_id",
        "kind",
        "starts_on",
        "ends_on",
        "monthly_hours",
        "allow_workdays",
        "student_signed_at",
        "enterprise_signed_at",
        "paper_signed_on",
        "terminated_on",
        "termination_reason",
        "terminated_at",
        "created_by_id",
        "created_at",
    ),
    "service_sessions": (
        "id",
        "student_id",
        "enterprise_id",
        "site_id",
        "agreement_id",
        "check_in_at",
        "check_out_at",
        "status",
        "flags",
        "reason",
        "minutes",
        "distance_m",
        "latitude",
        "longitude",
        "accuracy_m",
        "decided_at",
        "decided_by_id",
        "created_at",
        "updated_at",
    ),
    "session_months": (
        "id",
        "session_id",
        "student_id",
        "enterprise_id",
        "agreement_id",
        "month",
        "minutes",
        "status",
    ),
    "exemptions": (
        "id",
        "student_id",
        "month",
        "minutes",
        "reason",
        "created_by_id",
        "created_at",
        "revoked_at",
    ),
}
# Load order respects the foreign keys.
TABLES = tuple(COLUMNS)


@dataclass
class Plan:
    """What to generate."""

    students: int = 1000
    months: int = 12
    sessions_min: int = 4
    sessions_max: int = 8
    enterprises: int = 0  # 0: students // 50
    sites_per_enterprise: int = 2
    scan_students: int = 0  # internship students of the kiosk enterprises (scan load)
    scan_sites: int = 6  # sites of each kiosk enterprise
    big_enterprise_students: int = 500  # the report benchmark's enterprise
    seed: int = 20261128
    open_months: int = 2  # the current and last month stay open; earlier ones are closed
    id_key: str = "bench-id-encryption-key"
    password_hash: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.enterprises <= 0:
            self.enterprises = max(len(CITIES) * 2, self.students // 50)
        self.big_enterprise_students = min(self.big_enterprise_students, self.students // 4)
        self.scan_students = min(self.scan_students, self.students // 2)


@dataclass
class _Agreement:
    id: int
    student_id: int
    enterprise_id: int
    starts_on: date
    last_day: date  # termination included
    allow_workdays: bool


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


class Province:
    """Generate a province's rows table by table (call the methods in TABLES order)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.now = plan.now.astimezone(UTC)
        self.now_naive = _naive(self.now)
        self.today = self.now.astimezone(TZ).date()
        self.current_month = month_of(self.today)
        self.month_list = [add_months(self.current_month, -i) for i in range(plan.months)][::-1]
        self.window_start = date.fromisoformat(self.month_list[0] + "-01")
        self.ends_on = date(self.today.year + (self.today.month >= 7), 6, 30)
        self.calendars = {m: MonthCalendar.for_month(m, {}) for m in self.month_list}
        self.created = _naive(
            datetime.combine(self.window_start, datetime.min.time(), TZ)
        ) - timedelta(days=30)
        self.cities = [c[0] for c in CITIES]
        self.student_city: list[str] = []
        self.enterprise_city: dict[int, str] = {}
        self.enterprise_sites: dict[int, list[int]] = {}
        self.enterprise_staff: dict[int, int] = {}
        self.agreements: list[_Agreement] = []
        self.scan_pool: list[dict] = []
        self.counts: dict[str, int] = {}
        self._midnights: dict[date, datetime] = {}
        self._layout()

    # -- layout: who belongs where -------------------------------------------------
    def _layout(self) -> None:
        p = self.plan
        weights = [c[2] for c in CITIES]
        self.student_city = self.rng.choices(self.cities, weights=weights, k=p.students)
        self.scan_enterprises = max(1, math.ceil(p.scan_students / 100)) if p.scan_students else 0
        regular = max(len(CITIES), p.enterprises - 1 - self.scan_enterprises)
        # Enterprise ids: 1 = the big one (XA), then the kiosk ones (XA), then regular.
        ids = iter(range(1, 10**9))
        self.big_id = next(ids)
        self.enterprise_city[self.big_id] = "XA"
        self.kiosk_ids = [next(ids) for _ in range(self.scan_enterprises)]
        for eid in self.kiosk_ids:
            self.enterprise_city[eid] = "XA"
        self.by_city: dict[str, list[int]] = {c: [] for c in self.cities}
        for i in range(regular):
            eid = next(ids)
            city = (
                self.cities[i]
                if i < len(self.cities)
                else self.rng.choices(self.cities, weights=weights)[0]
            )
            self.enterprise_city[eid] = city
            self.by_city[city].append(eid)
        self.regular_ids = [e for ids_ in self.by_city.values() for e in ids_]
        n = p.students
        # Students 1..scan are the kiosk (internship) pool; the next ones serve at the big one.
        self.scan_range = range(1, p.scan_students + 1)
        self.big_range = range(p.scan_students + 1, p.scan_students + 1 + p.big_enterprise_students)
        self.assigned: dict[int, int] = {}
        for sid in range(1, n + 1):
            if sid in self.scan_range:
                self.assigned[sid] = self.kiosk_ids[(sid - 1) % len(self.kiosk_ids)]
            elif sid in self.big_range:
                self.assigned[sid] = self.big_id
            else:
                city = self.student_city[sid - 1]
                pool = (
                    self.by_city[city]
                    if self.rng.random() < 0.9 and self.by_city[city]
                    else self.regular_ids
                )
                self.assigned[sid] = self.rng.choice(pool)

    # -- tables ----------------------------------------------------------------------
    def unions(self) -> Iterator[tuple]:
        yield ("SX", "陕西省总工会", None, "/SX/", self.created)
        for code, name, *_ in CITIES:
            yield (code, name, "SX", f"/SX/{code}/", self.created)

    def enterprises(self) -> Iterator[tuple]:
        members: dict[int, int] = {}
        for eid in self.assigned.values():
            members[eid] = members.get(eid, 0) + 1
        for eid, city in self.enterprise_city.items():
            # Switchers hold two agreements in a year, never on the same day: +20% covers them.
            capacity = max(10, int(members.get(eid, 0) * 1.2) + 5)
            body = f"916100{eid:011d}"
            credit = body + uscc.calc_check_digit(body)
            name = "西安星火集团" if eid == self.big_id else f"{CITY_NAMES[city]}爱心企业{eid}号"
            yield (
                eid,
                name,
                credit,
                city,
                CITY_NAMES[city],
                self.rng.choice(INDUSTRIES),
                f"{CITY_NAMES[city]}市某路{eid}号",
                capacity,
                "联系人",
                f"139{eid:08d}",
                self.created,
                self.created,
            )

    def sites(self) -> Iterator[tuple]:
        sid = 0
        for eid in self.enterprise_city:
            count = (
                self.plan.scan_sites if eid in self.kiosk_ids else self.plan.sites_per_enterprise
            )
            self.enterprise_sites[eid] = []
            for k in range(count):
                sid += 1
                self.enterprise_sites[eid].append(sid)
                yield (
                    sid,
                    eid,
                    f"{k + 1}号服务点",
                    None,
                    None,
                    None,
                    None,
                    True,
                    secrets.token_urlsafe(32),
                    None,
                    self.created,
                )

    def students(self) -> Iterator[tuple]:
        cipher = IdCipher(self.plan.id_key)
        area = {c[0]: c[3] for c in CITIES}
        unis = {c[0]: c[4] for c in CITIES}
        rng = self.rng
        for sid in range(1, self.plan.students + 1):
            city = self.student_city[sid - 1]
            i = sid - 1
            # (birth date, sequence) is unique per index, so the number is unique.
            born = date(2002, 1, 1) + timedelta(days=i // 900)
            body = f"{area[city]}{born:%Y%m%d}{i % 900 + 100:03d}"
            number = body + ric.calc_check_digit(body)
            text, key_id = cipher.encrypt(number)
            name = (
                rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            )
            yield (
                sid,
                name,
                text,
                key_id,
                cipher.lookup_hash(number),
                mask_id_number(number),
                f"13{sid:09d}",
                rng.choice(unis[city]),
                CITY_NAMES[city],
                rng.choice(MAJORS),
                2022 + sid % 4,
                CITY_NAMES[rng.choice(self.cities)],
                city,
                None,
                self.created,
                self.created,
            )

    def aid_records(self) -> Iterator[tuple]:
        for sid in range(1, self.plan.students + 1):
            key = self.rng.random() < 0.2
            yield (
                sid,
                sid,
                self.today.year - (self.today.month < 9),
                5000 if key else 3000,
                "key_university" if key else "regular",
                None,
                self.created,
            )

    def users(self) -> Iterator[tuple]:
        h, c = self.plan.password_hash, self.created
        uid = 1
        yield (
            uid,
            "sx_admin",
            h,
            "union_staff",
            "省总管理员",
            "SX",
            None,
            None,
            False,
            True,
            1,
            c,
            c,
            None,
        )
        for code, name, *_ in CITIES:
            uid += 1
            yield (
                uid,
                f"{code.lower()}_staff",
                h,
                "union_staff",
                f"{name}工作人员",
                code,
                None,
                None,
                False,
                True,
                1,
                c,
                c,
                None,
            )
        for eid in self.enterprise_city:
            uid += 1
            self.enterprise_staff[eid] = uid
            yield (
                uid,
                f"ent_{eid}",
                h,
                "enterprise_staff",
                f"企业管理员{eid}",
                None,
                eid,
                None,
                False,
                True,
                1,
                c,
                c,
                None,
            )
        self.student_user_base = uid
        for sid in range(1, self.plan.students + 1):
            yield (
                uid + sid,
                f"s{sid:06d}",
                h,
                "student",
                f"学生{sid}",
                None,
                None,
                sid,
                False,
                True,
                1,
                c,
                c,
                None,
            )

    # -- helpers -----------------------------------------------------------------
    def midnight(self, d: date) -> datetime:
        """Return the naive-UTC instant of a local midnight (cached)."""
        m = self._midnights.get(d)
        if m is None:
            m = self._midnights[d] = _naive(datetime.combine(d, datetime.min.time(), TZ))
        return m

    def split(self, start: datetime, end: datetime) -> dict[str, int]:
        """Split minutes by local month (R15) with the app's own rule."""
        return split_minutes_by_month(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC), TZ)
