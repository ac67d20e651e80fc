"""Demo students for `flask seed-demo`: about thirty aided students in 西安 and 铜川."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from stdnum.cn import ric

from ..auth.models import User
from ..extensions import db
from ..unions.demo import DEMO_PASSWORD
from . import services

# (what, username, password): printed by `flask seed-demo`. Their passwords count as
# chosen, so the demo goes straight to the student's pages.
LOGINS = [
    ("学生 student (西安, 西北大学)", "stu_demo1", DEMO_PASSWORD),
    ("学生 student (铜川, 长安大学)", "stu_demo2", DEMO_PASSWORD),
]
KEY_UNIVERSITIES = {
    "西安交通大学",
    "西北工业大学",
    "西北农林科技大学",
    "西北大学",
    "长安大学",
    "陕西师范大学",
    "西安电子科技大学",
}
# username, name, union, county code, birth date, university, major, year, home city
# fmt: off
STUDENTS = [
    ("stu_demo1", "王小明", "XA", "610113", "20050312", "西北大学", "计算机科学与技术", 2023, "西安"),
    ("stu_demo2", "李小红", "TC", "610202", "20040821", "长安大学", "会计学", 2022, "铜川"),
    ("xa_s03", "张欣怡", "XA", "610104", "20050706", "西安交通大学", "临床医学", 2023, "西安"),
    ("xa_s04", "刘浩然", "XA", "610112", "20041130", "西北工业大学", "机械工程", 2022, "西安"),
    ("xa_s05", "陈思雨", "XA", "610111", "20060115", "陕西师范大学", "汉语言文学", 2024, "西安"),
    ("xa_s06", "杨子轩", "XA", "610102", "20050428", "西安电子科技大学", "电子信息工程", 2023, "西安"),
    ("xa_s07", "赵雨桐", "XA", "610103", "20040909", "西安建筑科技大学", "土木工程", 2022, "西安"),
    ("xa_s08", "黄俊杰", "XA", "610116", "20051203", "西安理工大学", "自动化", 2023, "西安"),
    ("xa_s09", "周佳怡", "XA", "610122", "20060602", "陕西科技大学", "食品科学与工程", 2024, "西安"),
    ("xa_s10", "吴宇航", "XA", "610124", "20040317", "西安外国语大学", "商务英语", 2022, "西安"),
    ("xa_s11", "徐梦琪", "XA", "610114", "20050825", "西北政法大学", "法学", 2023, "西安"),
    ("xa_s12", "孙博文", "XA", "610115", "20041008", "长安大学", "交通运输", 2022, "西安"),
    ("xa_s13", "马晓燕", "XA", "610117", "20060219", "西北大学", "新闻学", 2024, "西安"),
    ("xa_s14", "朱志强", "XA", "610402", "20050511", "西北农林科技大学", "农学", 2023, "咸阳"),
    ("xa_s15", "胡静怡", "XA", "610302", "20040726", "陕西师范大学", "学前教育", 2022, "宝鸡"),
    ("xa_s16", "郭家豪", "XA", "610502", "20051117", "西安交通大学", "金融学", 2023, "渭南"),
    ("xa_s17", "何雪", "XA", "610602", "20060404", "西安电子科技大学", "软件工程", 2024, "延安"),
    ("xa_s18", "高明轩", "XA", "610113", "20041222", "西北工业大学", "航空航天工程", 2022, "西安"),
    ("xa_s19", "林晓彤", "XA", "610104", "20050130", "西安建筑科技大学", "建筑学", 2023, "西安"),
    ("xa_s20", "罗一鸣", "XA", "610112", "20060808", "西北大学", "地质学", 2024, "西安"),
    ("tc_s03", "梁文静", "TC", "610203", "20050603", "西安交通大学", "护理学", 2023, "铜川"),
    ("tc_s04", "宋天宇", "TC", "610204", "20041015", "西北工业大学", "材料科学与工程", 2022, "铜川"),
    ("tc_s05", "郑可欣", "TC", "610222", "20060121", "陕西师范大学", "小学教育", 2024, "铜川"),
    ("tc_s06", "谢俊宇", "TC", "610202", "20050914", "长安大学", "工程管理", 2023, "铜川"),
    ("tc_s07", "韩雨萱", "TC", "610203", "20040502", "西安外国语大学", "日语", 2022, "铜川"),
    ("tc_s08", "唐浩宇", "TC", "610204", "20051026", "铜川职业技术学院", "电气自动化技术", 2023, "铜川"),
    ("tc_s09", "冯诗涵", "TC", "610202", "20060317", "西北大学", "社会工作", 2024, "铜川"),
    ("tc_s10", "董子豪", "TC", "610222", "20041204", "西安理工大学", "水利水电工程", 2022, "铜川"),
    ("tc_s11", "程欣妍", "TC", "610203", "20050719", "陕西科技大学", "市场营销", 2023, "铜川"),
    ("tc_s12", "曹志远", "TC", "610204", "20060930", "西安电子科技大学", "通信工程", 2024, "铜川"),
]
# fmt: on
HARDSHIPS = (
    "父亲因工伤致残，母亲务农，家中另有一名在读初中的弟弟。",
    "单亲家庭，母亲在超市做临时工，收入微薄。",
    "父母均为下岗职工，父亲患慢性病需长期服药。",
    "母亲重病住院，家庭医疗支出较大，已列入在档困难职工家庭。",
)
PHONE_PREFIXES = ("138", "139", "150", "152", "187", "189", "177", "135", "186", "158")


def _id_number(county: str, born: str, index: int) -> str:
    # The 17th digit is odd for men and even for women; here it only keeps numbers unique.
    body = f"{county}{born}{(index * 37 + 11) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder digit


def _phone(index: int) -> str:
    return f"{PHONE_PREFIXES[index % len(PHONE_PREFIXES)]}{29170000 + index * 4133:08d}"


DEMO_REGISTERED_AT = datetime(2025, 9, 1, tzinfo=UTC)


def seed() -> None:
    """Register the demo students with accounts and their 金秋助学 grants."""
    staff = {
        code: db.session.scalars(select(User).where(User.username == username)).one()
        for code, username in (("XA", "xa_staff"), ("TC", "tc_staff"))
    }
    for index, (username, name, union, county, born, university, major, year, home) in enumerate(
        STUDENTS
    ):
        actor = staff[union]
        student = services.create_student(
            actor,
            username=username,
            password=DEMO_PASSWORD,
            name=name,
            id_number=_id_number(county, born, index),
            phone=_phone(index),
            university=university,
            major=major,
            enrollment_year=year,
            home_city=home,
            union_code=union,
            family_hardship=HARDSHIPS[index % len(HARDSHIPS)] if index % 3 else None,
        )
        # The demo's students were registered before its first agreements began.
        student.created_at = DEMO_REGISTERED_AT
        # 金秋助学 is a one-off grant in the autumn of enrolment: ≥ 3000, ≥ 5000 for 985/211.
        key = university in KEY_UNIVERSITIES
        services.add_aid_record(
            actor,
            student.id,
            year=year,
            amount_yuan=(5000 if key else 3000) + 1000 * (index % 4 == 0),
            category="key_university" if key else "regular",
            note=f"{year}年金秋助学",
        )
    demo_users = db.session.scalars(
        select(User).where(User.username.in_([u for _, u, _ in LOGINS]))
    ).all()
    for user in demo_users:
        user.must_change_password = False  # the demo logins work without a first change
    db.session.commit()
