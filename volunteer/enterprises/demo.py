"""Demo enterprises for `flask seed-demo`: five partner enterprises in 西安 and 铜川."""

from __future__ import annotations

from sqlalchemy import select
from stdnum.cn import uscc

from ..auth.models import User
from ..auth.services import new_user
from ..extensions import db
from ..unions.demo import DEMO_PASSWORD
from . import services

LOGINS = [
    ("企业 enterprise (西安秦云信息, 无定位)", "ent_demo1", DEMO_PASSWORD),
    ("企业 enterprise (西安长安物流, 有定位)", "ent_demo2", DEMO_PASSWORD),
    ("企业 enterprise (西安康宁医疗)", "ent_demo3", DEMO_PASSWORD),
    ("企业 enterprise (铜川耀州机械)", "ent_demo4", DEMO_PASSWORD),
    ("企业 enterprise (铜川惠民商贸)", "ent_demo5", DEMO_PASSWORD),
]
# Sites: (name, address, latitude, longitude, radius_m); None coordinates = no location check.
# fmt: off
ENTERPRISES = [
    {"name": "西安秦云信息技术有限公司", "code": "91610100MA6TQY0A1", "union": "XA", "city": "西安",
     "industry": "信息技术", "address": "西安市雁塔区科技路48号", "capacity": 10,
     "contact": ("周经理", "13991234501"), "staff": ("ent_demo1", "周敏"),
     "sites": [("科技路服务点", "西安市雁塔区科技路48号创业广场B座3层", None, None, None)]},
    {"name": "西安长安物流有限公司", "code": "91610100MA6U2K7X1", "union": "XA", "city": "西安",
     "industry": "物流", "address": "西安市莲湖区北大街1号", "capacity": 8,
     "contact": ("孙主管", "13891234502"), "staff": ("ent_demo2", "孙丽"),
     "sites": [("钟楼服务点", "西安市莲湖区北大街1号", 34.2610, 108.9423, 300),
               ("西咸仓储服务点", "西咸新区沣东新城仓储园5号库", None, None, None)]},
    {"name": "西安康宁医疗健康有限公司", "code": "91610100MA6W3H8C2", "union": "XA", "city": "西安",
     "industry": "医疗健康", "address": "西安市曲江新区芙蓉西路9号", "capacity": 6,
     "contact": ("钱护士长", "13791234503"), "staff": ("ent_demo3", "钱芳"),
     "sites": [("曲江康养中心", "西安市曲江新区芙蓉西路9号", 34.2035, 108.9832, 200)]},
    {"name": "铜川耀州机械制造有限公司", "code": "91610200MA6Y1B2C3", "union": "TC", "city": "铜川",
     "industry": "机械制造", "address": "铜川市耀州区工业园区2号", "capacity": 8,
     "contact": ("吴厂长", "15991234504"), "staff": ("ent_demo4", "吴刚"),
     "sites": [("耀州厂区服务点", "铜川市耀州区工业园区2号", 34.9094, 108.9806, 500),
               ("新区展厅", "铜川市新区正阳路18号", None, None, None)]},
    {"name": "铜川惠民商贸有限公司", "code": "91610200MA6Y4D5E6", "union": "TC", "city": "铜川",
     "industry": "零售商贸", "address": "铜川市王益区红旗街66号", "capacity": 6,
     "contact": ("郑店长", "18791234505"), "staff": ("ent_demo5", "郑华"),
     "sites": [("红旗街门店", "铜川市王益区红旗街66号", None, None, None)]},
]
# fmt: on


def seed() -> None:
    """Register the demo enterprises with their sites and a staff account each."""
    if db.session.scalar(select(User.id).where(User.username == "ent_demo1")):
        return
    staff = {
        code: db.session.scalars(select(User).where(User.username == username)).one()
        for code, username in (("XA", "xa_staff"), ("TC", "tc_staff"))
    }
    for spec in ENTERPRISES:
        actor = staff[spec["union"]]
        contact_name, contact_phone = spec["contact"]
        enterprise = services.create_enterprise(
            actor,
            union_code=spec["union"],
            name=spec["name"],
            credit_code=spec["code"] + uscc.calc_check_digit(spec["code"]),
            city=spec["city"],
            industry=spec["industry"],
            address=spec["address"],
            capacity=spec["capacity"],
            contact_name=contact_name,
            contact_phone=contact_phone,
        )
        for name, address, lat, lon, radius in spec["sites"]:
            services.add_site(
                actor,
                enterprise.id,
                name=name,
                address=address,
                latitude=lat,
                longitude=lon,
                radius_m=radius,
            )
        username, person = spec["staff"]
        # Demo passwords count as chosen, so the demo goes straight to the pages.
        new_user(
            actor,
            username=username,
            password=DEMO_PASSWORD,
            name=person,
            role="enterprise_staff",
            enterprise_id=enterprise.id,
            initial=False,
        )
        db.session.commit()
