"""Matching (R7): rank partner enterprises for a student, with the reasons shown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from volunteer.errors import N_

HOME_CITY_POINTS = 40
UNIVERSITY_CITY_POINTS = 30
CAPACITY_POINTS = 30
CAPACITY_POINTS_PER_PLACE = 3
AFFINITY_POINTS = 30

# Words that identify an industry in an enterprise's free-text `industry`.
INDUSTRY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "信息技术": (
        "信息技术",
        "信息",
        "互联网",
        "软件",
        "计算机",
        "通信",
        "电子",
        "数据",
        "科技",
        "IT",
    ),
    "金融": ("金融", "银行", "证券", "保险", "基金", "投资", "财务", "会计", "税务"),
    "制造": ("制造", "机械", "装备", "汽车", "电气", "电力", "能源", "工业", "机电", "设备"),
    "医疗": ("医疗", "医院", "医药", "卫生", "健康", "护理", "养老", "诊所"),
    "化工": ("化工", "化学", "石油", "石化", "材料", "制药"),
    "建筑": ("建筑", "建设", "土木", "施工", "房地产", "设计院"),
    "物流": ("物流", "快递", "运输", "仓储", "供应链", "交通"),
    "零售": ("零售", "电子商务", "商贸", "超市", "商场", "电商", "贸易", "销售", "百货"),
    "教育": ("教育", "学校", "培训", "幼儿园"),
    "法律": ("法律", "律师", "律所", "法务"),
    "文化传媒": ("传媒", "广告", "文化", "新闻", "出版", "影视"),
    "社会服务": ("社区", "公益", "社会工作", "社工", "志愿"),
    "酒店旅游": ("酒店", "旅游", "餐饮", "旅行"),
    "农业食品": ("农业", "食品", "农产品", "种植", "养殖"),
}

# Major keyword → industries it leads to, with points; the closest industry first.
MAJOR_AFFINITY: dict[str, tuple[tuple[str, int], ...]] = {
    "计算机": (("信息技术", 30), ("制造", 10)),
    "软件": (("信息技术", 30),),
    "人工智能": (("信息技术", 30), ("制造", 15)),
    "数据": (("信息技术", 30), ("金融", 15)),
    "通信": (("信息技术", 30),),
    "电子商务": (("零售", 30), ("信息技术", 15), ("物流", 15)),
    "电子": (("信息技术", 30), ("制造", 20)),
    "信息": (("信息技术", 30),),
    "会计": (("金融", 30), ("零售", 10)),
    "财务": (("金融", 30),),
    "金融": (("金融", 30),),
    "经济": (("金融", 20), ("零售", 10)),
    "统计": (("金融", 20), ("信息技术", 15)),
    "工商管理": (("零售", 20), ("金融", 10)),
    "市场营销": (("零售", 30), ("文化传媒", 15)),
    "机械": (("制造", 30),),
    "自动化": (("制造", 30), ("信息技术", 15)),
    "电气": (("制造", 30),),
    "车辆": (("制造", 30),),
    "材料": (("化工", 25), ("制造", 20)),
    "护理": (("医疗", 30),),
    "医学": (("医疗", 30),),
    "临床": (("医疗", 30),),
    "药学": (("医疗", 30), ("化工", 15)),
    "化工": (("化工", 30),),
    "化学": (("化工", 30), ("医疗", 10)),
    "土木": (("建筑", 30),),
    "建筑": (("建筑", 30),),
    "工程管理": (("建筑", 30),),
    "物流": (("物流", 30), ("零售", 15)),
    "交通": (("物流", 25), ("建筑", 10)),
    "教育": (("教育", 30),),
    "师范": (("教育", 30),),
    "法学": (("法律", 30),),
    "法律": (("法律", 30),),
    "新闻": (("文化传媒", 30),),
    "传播": (("文化传媒", 30),),
    "社会工作": (("社会服务", 30),),
    "旅游": (("酒店旅游", 30),),
    "酒店": (("酒店旅游", 30),),
    "食品": (("农业食品", 30), ("化工", 10)),
    "农学": (("农业食品", 30),),
}
# Longer keywords first, so that 电子商务 is read before 电子.
_MAJOR_KEYWORDS = sorted(MAJOR_AFFINITY, key=len, reverse=True)


@dataclass(frozen=True)
class StudentProfile:
    """What matching needs to know about a student."""

    home_city: str | None
    university_city: str | None
    major: str | None


@dataclass(frozen=True)
class Candidate:
    """A partner enterprise and its busiest day's occupancy in the requested period."""

    enterprise_id: int
    name: str
    city: str | None
    industry: str | None
    capacity: int
    in_use_peak: int


@dataclass(frozen=True)
class Match:
    """An enterprise's fit for the student: a score out of 100 and why."""

    enterprise_id: int
    score: int
    reasons: list[str]
    remaining: int = 0
    is_full: bool = field(default=False)


def city_key(text: str | None) -> str:
    """Return a comparable city name: 陕西省西安市雁塔区 → 西安."""
    key = re.sub(r"\s", "", text or "")
    for marker in ("自治区", "省"):
        _head, found, rest = key.partition(marker)
        if found and rest:
            key = rest
            break
    key = key.split("市", 1)[0] if "市" in key[1:] else key
    for suffix in ("特别行政区", "地区", "盟"):
        key = key.removesuffix(suffix)
    return key


def same_city(a: str | None, b: str | None) -> bool:
    """Return whether two place names denote the same city."""
    left, right = city_key(a), city_key(b)
    if not left or not right:
        return False
    shorter, longer = sorted((left, right), key=len)
    # "西安" and "西安雁塔区" are one city; a one-character key is too vague to trust.
    return left == right or (len(shorter) >= 2 and longer.startswith(shorter))


def _city_points(student: StudentProfile, city: str | None) -> tuple[int, str | None]:
    if same_city(student.home_city, city):
        return HOME_CITY_POINTS, N_("与学生家庭所在地同城（%(city)s）", city=city_key(city))
    if same_city(student.university_city, city):
        return UNIVERSITY_CITY_POINTS, N_("与学生就读学校同城（%(city)s）", city=city_key(city))
    return 0, None


def industries_of(industry: str | None) -> set[str]:
    """Return the canonical industries named in an enterprise's industry text."""
    text = (industry or "").upper()
    return {name for name, words in INDUSTRY_KEYWORDS.items() if any(w in text for w in words)}


def major_keywords(major: str | None) -> list[str]:
    """Return the affinity keywords of a major in reading order, without overlaps."""
    text = major or ""
    found: list[tuple[int, str]] = []
    for keyword in _MAJOR_KEYWORDS:
        index = text.find(keyword)
        if index >= 0:
            found.append((index, keyword))
            # Blank it out (same length, positions kept) so 电子 is not read in 电子商务.
            text = text.replace(keyword, "\0" * len(keyword))
    # The major's leading word names it best: 机械设计制造及其自动化 is 机械 first.
    return [keyword for _, keyword in sorted(found)]


def affinity(major: str | None, industry: str | None) -> tuple[int, str | None]:
    """Return the points and reason for how well an industry suits a major."""
    offered = industries_of(industry)
    best: tuple[int, str | None] = (0, None)
    for keyword in major_keywords(major):
        for name, points in MAJOR_AFFINITY[keyword]:
            if name in offered and points > best[0]:
                best = (
                    min(points, AFFINITY_POINTS),
                    N_("行业与专业相关：%(keyword)s → %(name)s", keyword=keyword, name=name),
                )
    return best


def score_candidate(student: StudentProfile, candidate: Candidate) -> Match:
    """Return the score and reasons of one enterprise for the student."""
    reasons: list[str] = []
    score = 0
    points, reason = _city_points(student, candidate.city)
    score += points
    reasons += [reason] if reason else []
    remaining = max(0, candidate.capacity - candidate.in_use_peak)
    if remaining:
        score += min(CAPACITY_POINTS, remaining * CAPACITY_POINTS_PER_PLACE)
        reasons.append(N_("剩余名额 %(n)s 个", n=remaining))
    else:
        reasons.append(N_("名额已满"))
    points, reason = affinity(student.major, candidate.industry)
    score += points
    reasons += [reason] if reason else []
    return Match(candidate.enterprise_id, score, reasons, remaining, is_full=not remaining)


def rank_candidates(student: StudentProfile, candidates: Iterable[Candidate]) -> list[Match]:
    """Return every candidate scored, best first; full enterprises last; ties by name."""
    scored = [(score_candidate(student, c), c.name) for c in candidates]
    scored.sort(key=lambda pair: (pair[0].is_full, -pair[0].score, pair[1], pair[0].enterprise_id))
    return [match for match, _ in scored]
