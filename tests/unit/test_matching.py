"""Matching (R7): scores, reasons and order of partner enterprises for a student."""

from __future__ import annotations

import pytest

from volunteer.agreements.matching import (
    INDUSTRY_KEYWORDS,
    MAJOR_AFFINITY,
    Candidate,
    Match,
    StudentProfile,
    affinity,
    city_key,
    industries_of,
    major_keywords,
    rank_candidates,
    same_city,
    score_candidate,
)

STUDENT = StudentProfile(home_city="西安市", university_city="咸阳", major="会计学")


def candidate(eid=1, name="甲企业", city=None, industry=None, capacity=10, in_use=10):
    return Candidate(eid, name, city, industry, capacity, in_use)


@pytest.mark.parametrize(
    "text,key",
    [
        ("西安", "西安"),
        ("西安市", "西安"),
        (" 西安 市 ", "西安"),
        ("陕西省西安市", "西安"),
        ("陕西省西安市雁塔区", "西安"),
        ("北京市朝阳区", "北京"),
        ("内蒙古自治区呼和浩特市", "呼和浩特"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("香港特别行政区", "香港"),
        ("", ""),
        (None, ""),
    ],
)
def test_city_key(text, key):
    assert city_key(text) == key


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ("西安", "西安市", True),
        ("陕西省西安市", "西安", True),
        ("西安", "西安雁塔区", True),
        ("西安", "咸阳", False),
        ("长沙", "长春", False),
        ("", "", False),
        (None, "西安", False),
    ],
)
def test_same_city(a, b, expected):
    assert same_city(a, b) is expected


def test_home_city_match():
    match = score_candidate(STUDENT, candidate(city="西安"))
    assert match.score == 40
    assert "与学生家庭所在地同城（西安）" in match.reasons


def test_university_city_match():
    match = score_candidate(STUDENT, candidate(city="咸阳市"))
    assert match.score == 30
    assert "与学生就读学校同城（咸阳）" in match.reasons


def test_home_city_wins_over_university_city_without_adding_up():
    student = StudentProfile("西安", "西安", None)
    match = score_candidate(student, candidate(city="西安"))
    assert match.score == 40
    assert match.reasons == ["与学生家庭所在地同城（西安）", "名额已满"]


def test_no_city_match_and_missing_cities():
    assert score_candidate(STUDENT, candidate(city="宝鸡")).score == 0
    assert score_candidate(StudentProfile(None, None, None), candidate(city=None)).score == 0


@pytest.mark.parametrize(
    "capacity,in_use,points,reason",
    [
        (10, 3, 21, "剩余名额 7 个"),
        (10, 9, 3, "剩余名额 1 个"),
        (20, 0, 30, "剩余名额 20 个"),
        (10, 10, 0, "名额已满"),
        (10, 12, 0, "名额已满"),
        (0, 0, 0, "名额已满"),
    ],
)
def test_remaining_capacity(capacity, in_use, points, reason):
    match = score_candidate(
        StudentProfile(None, None, None), candidate(capacity=capacity, in_use=in_use)
    )
    assert match.score == points
    assert match.reasons == [reason]
    assert match.is_full is (reason == "名额已满")
    assert match.remaining == max(0, capacity - in_use)


@pytest.mark.parametrize(
    "major,industry,points,reason",
    [
        ("会计学", "金融服务", 30, "行业与专业相关：会计 → 金融"),
        ("会计学", "商贸零售", 10, "行业与专业相关：会计 → 零售"),
        ("计算机科学与技术", "互联网/软件", 30, "行业与专业相关：计算机 → 信息技术"),
        ("电子商务", "连锁超市", 30, "行业与专业相关：电子商务 → 零售"),
        ("电子商务", "软件开发", 15, "行业与专业相关：电子商务 → 信息技术"),
        ("护理学", "社区医院", 30, "行业与专业相关：护理 → 医疗"),
        ("土木工程", "建筑施工", 30, "行业与专业相关：土木 → 建筑"),
        ("市场营销", "百货零售", 30, "行业与专业相关：市场营销 → 零售"),
        ("法学", "律师事务所", 30, "行业与专业相关：法学 → 法律"),
        ("小学教育", "教育培训", 30, "行业与专业相关：教育 → 教育"),
        ("机械设计制造及其自动化", "装备制造", 30, "行业与专业相关：机械 → 制造"),
        ("应用化学", "石油化工", 30, "行业与专业相关：化学 → 化工"),
        ("物流管理", "快递", 30, "行业与专业相关：物流 → 物流"),
        ("电气工程", "IT服务", 0, None),
        ("会计学", None, 0, None),
        (None, "金融", 0, None),
        ("哲学", "金融", 0, None),
    ],
)
def test_affinity(major, industry, points, reason):
    assert affinity(major, industry) == (points, reason)


def test_longer_major_keywords_hide_shorter_ones():
    assert major_keywords("电子商务") == ["电子商务"]
    assert major_keywords("电子信息工程") == ["电子", "信息"]
    assert major_keywords("") == []


def test_industry_keywords():
    assert industries_of("医药化工") == {"医疗", "化工"}
    assert industries_of("it outsourcing") == {"信息技术"}
    assert industries_of(None) == set()


def test_affinity_table_points_to_known_industries():
    for pairs in MAJOR_AFFINITY.values():
        for industry, points in pairs:
            assert industry in INDUSTRY_KEYWORDS
            assert 0 < points <= 30


def test_full_score_and_reason_order():
    match = score_candidate(
        STUDENT, candidate(eid=9, city="西安", industry="银行", capacity=50, in_use=0)
    )
    assert match == Match(
        9,
        100,
        ["与学生家庭所在地同城（西安）", "剩余名额 50 个", "行业与专业相关：会计 → 金融"],
        remaining=50,
        is_full=False,
    )


def test_ranking_best_first_full_last_ties_by_name():
    candidates = [
        candidate(1, "丙公司", city="宝鸡", capacity=10, in_use=5),  # 15
        candidate(2, "乙银行", city="西安", industry="银行", capacity=10, in_use=10),  # full
        candidate(3, "甲公司", city="咸阳", capacity=10, in_use=5),  # 45
        candidate(4, "A公司", city="宝鸡", capacity=10, in_use=5),  # 15, name sorts first
        candidate(5, "丁公司", city="西安", industry="会计师事务所", capacity=3, in_use=0),  # 79
    ]
    ranked = rank_candidates(STUDENT, candidates)
    assert [m.enterprise_id for m in ranked] == [5, 3, 4, 1, 2]
    assert [m.score for m in ranked] == [79, 45, 15, 15, 70]
    assert ranked[-1].reasons[-2:] == ["名额已满", "行业与专业相关：会计 → 金融"]


def test_ranking_nothing():
    assert rank_candidates(STUDENT, []) == []
