"""Student import (R27): reading XLSX/CSV uploads, row checks, the template."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from tests.student_data import numeral
from volunteer.errors import ValidationError
from volunteer.students import importing
from volunteer.students.importing import (
    COLUMNS,
    MAX_CELL_CHARS,
    MAX_ROWS,
    parse_upload,
    template_xlsx,
    validate_rows,
)

TODAY = date(2026, 3, 15)
EN_HEADER = [c.field for c in COLUMNS]
ZH_HEADER = [c.label for c in COLUMNS]


def make_id(seq: int = 123, born: str = "20040315") -> str:
    body = f"610103{born}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def row(n: int = 1, **overrides: str) -> dict[str, str]:
    """Return one valid raw row; n makes the unique columns unique."""
    values = {
        "name": f"学生{numeral(n)}",
        "id_number": make_id(n),
        "phone": f"138{n:08d}",
        "university": "西北大学",
        "major": "会计学",
        "enrollment_year": "2024",
        "home_city": "西安",
        "volunteer_number": "",
        "union_code": "SX-XA",
        "username": f"student{n}",
        "password": "Welcome2024",
    }
    values.update(overrides)
    return values


def as_list(values: dict[str, str], header: list[str] = EN_HEADER) -> list[object]:
    fields = [importing.HEADER_ALIASES[importing._header_key(h)] for h in header]
    return [values.get(f, "") for f in fields]


def csv_bytes(rows: list[list[object]], *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[object]], *, title: str = "学生名单") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_error(filename: str, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        parse_upload(filename, data)
    error = exc.value
    assert error.code == "import_invalid"
    assert error.status == 400
    assert error.rows, "an import error lists its rows"
    for item in error.rows:
        assert set(item) == {"row", "field", "message"}
    return error


# --- parse_upload: good files -----------------------------------------------------


def test_english_csv():
    data = csv_bytes([EN_HEADER, as_list(row(1)), as_list(row(2))])
    rows = parse_upload("students.csv", data)
    assert [n for n, _ in rows] == [2, 3]
    assert rows[0][1] == row(1)


def test_chinese_header_csv_with_bom():
    data = csv_bytes([ZH_HEADER, as_list(row(1), ZH_HEADER)], bom=True)
    rows = parse_upload("名单.CSV", data)
    assert rows == [(2, row(1))]


def test_header_aliases_and_decorations():
    header = [
        "姓名*",
        "身份证号码",
        "手机号码",
        "就读学校",
        "专业（选填）",
        "入学年份",
        "生源地",
        "所属工会代码",
        "登录名",
        "密码",
        "备注",
    ]
    values = as_list(row(1), header[:10]) + ["某备注"]
    rows = parse_upload("a.csv", csv_bytes([header, values]))
    expected = row(1)
    del expected["volunteer_number"]  # an optional column the file does not have
    assert rows == [(2, expected)]  # 备注 is ignored


def test_english_headers_are_case_and_space_insensitive():
    header = ["Name", "ID Number", "PHONE", "University", "union code", "User-Name", "Password"]
    values = ["张三", make_id(), "13800138000", "西北大学", "SX", "zhangsan", "Welcome2024"]
    [(number, record)] = parse_upload("a.csv", csv_bytes([header, values]))
    assert number == 2
    assert record["id_number"] == make_id()
    assert record["union_code"] == "SX"
    assert "major" not in record


def test_blank_rows_are_skipped_but_row_numbers_stay_true():
    data = csv_bytes([EN_HEADER, as_list(row(1)), [], [""] * 10, as_list(row(2))])
    assert [n for n, _ in parse_upload("a.csv", data)] == [2, 5]


def test_title_row_above_the_header():
    data = csv_bytes([["2025年金秋助学受助学生名单"], ZH_HEADER, as_list(row(1), ZH_HEADER)])
    assert parse_upload("a.csv", data) == [(3, row(1))]


def test_cells_are_trimmed():
    values = as_list(row(1, name="  张三 "))
    [(_, record)] = parse_upload("a.csv", csv_bytes([EN_HEADER, values]))
    assert record["name"] == "张三"


def test_tab_separated_text():
    data = "\t".join(EN_HEADER) + "\n" + "\t".join(map(str, as_list(row(1)))) + "\n"
    assert parse_upload("a.csv", data.encode()) == [(2, row(1))]


def test_quoted_newline_stays_in_one_spreadsheet_row():
    data = csv_bytes([EN_HEADER, as_list(row(1, major="会计\n学")), as_list(row(2))])
    rows = parse_upload("a.csv", data)
    assert [n for n, _ in rows] == [2, 3]
    assert rows[0][1]["major"] == "会计\n学"


def test_xlsx_with_excel_types():
    values = as_list(row(1))
    values[EN_HEADER.index("enrollment_year")] = 2024.0
    values[EN_HEADER.index("phone")] = 13800000001
    data = xlsx_bytes([EN_HEADER, values])
    [(number, record)] = parse_upload("students.xlsx", data)
    assert number == 2
    assert record["enrollment_year"] == "2024"
    assert record["phone"] == "13800000001"
    assert record == row(1)


def test_xlsx_id_number_stored_as_number_is_refused_not_rounded():
    values = as_list(row(1))
    all_digits = next(make_id(s) for s in range(1000) if make_id(s).isdigit())
    values[EN_HEADER.index("id_number")] = int(all_digits)
    data = xlsx_bytes([EN_HEADER, values])
    [(_, record)] = parse_upload("a.xlsx", data)
    assert "E+17" in record["id_number"]
    records, errors = validate_rows(parse_upload("a.xlsx", data), today=TODAY)
    assert records == []
    assert len(errors) == 1
    assert errors[0]["field"] == "id_number"
    assert "存成了数字" in errors[0]["message"]


def test_csv_saved_by_excel_with_a_numeric_id_is_refused_clearly():
    values = as_list(row(1, id_number="6.10103E+17"))
    _, errors = validate_rows(parse_upload("a.csv", csv_bytes([EN_HEADER, values])), today=TODAY)
    assert [e["field"] for e in errors] == ["id_number"]
    assert "文本" in errors[0]["message"]


def test_xlsx_dates_and_floats_become_readable_text():
    values = as_list(row(1))
    values[EN_HEADER.index("enrollment_year")] = datetime(2024, 9, 1)
    values[EN_HEADER.index("major")] = 3.5
    values[EN_HEADER.index("home_city")] = True
    [(_, record)] = parse_upload("a.xlsx", xlsx_bytes([EN_HEADER, values]))
    assert record["enrollment_year"] == "2024-09-01"
    assert record["major"] == "3.5"
    assert record["home_city"] == "TRUE"


def test_xlsx_reads_the_first_sheet_and_skips_gaps():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ZH_HEADER)
    for i, value in enumerate(as_list(row(1), ZH_HEADER), start=1):
        sheet.cell(row=7, column=i, value=value)
    book.create_sheet("其他").append(["不应读取"])
    out = io.BytesIO()
    book.save(out)
    assert parse_upload("a.xlsx", out.getvalue()) == [(7, row(1))]


def test_workbook_uploaded_with_a_csv_name_is_read_as_a_workbook():
    data = xlsx_bytes([EN_HEADER, as_list(row(1))])
    assert parse_upload("students.csv", data) == [(2, row(1))]


def test_exactly_the_row_limit_is_accepted():
    lines = [EN_HEADER] + [as_list(row(1))] * MAX_ROWS
    assert len(parse_upload("a.csv", csv_bytes(lines))) == MAX_ROWS


# --- parse_upload: bad files --------------------------------------------------------


@pytest.mark.parametrize("name", ["a.xls", "a.txt", "a", "", "a.xlsx.exe", "csv"])
def test_unknown_extension(name):
    error = import_error(name, b"x")
    assert error.rows == [{"row": 0, "field": "file", "message": "仅支持 .xlsx 或 .csv 文件。"}]


@pytest.mark.parametrize("name", ["a.xlsx", "a.csv"])
def test_empty_file(name):
    assert "文件为空" in import_error(name, b"").message


def test_whitespace_only_csv():
    assert "没有数据" in import_error("a.csv", b"\n \n,,,\n").message


def test_header_only():
    assert "没有学生数据行" in import_error("a.csv", csv_bytes([EN_HEADER])).message
    assert "没有学生数据行" in import_error("a.xlsx", xlsx_bytes([ZH_HEADER])).message


def test_renamed_binary():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert "不是有效的 Excel" in import_error("a.xlsx", png).message


def test_old_xls_is_named():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
    assert ".xls" in import_error("a.xlsx", ole).message


def test_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "不是有效的 Excel" in import_error("a.xlsx", out.getvalue()).message


def test_truncated_workbook():
    data = xlsx_bytes([EN_HEADER, as_list(row(1))])
    assert "不是有效的 Excel" in import_error("a.xlsx", data[: len(data) // 2]).message


def test_workbook_with_broken_sheet_xml():
    data = xlsx_bytes([EN_HEADER, as_list(row(1))])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            target.writestr(info, content)
    import_error("a.xlsx", out.getvalue())


def test_zip_bomb_is_refused_before_unpacking(monkeypatch):
    monkeypatch.setattr(importing, "MAX_XLSX_UNCOMPRESSED", 1000)
    error = import_error("a.xlsx", xlsx_bytes([EN_HEADER, as_list(row(1))]))
    assert "过大" in error.message


def test_gbk_csv_says_to_save_as_utf8():
    data = csv_bytes([ZH_HEADER, as_list(row(1), ZH_HEADER)], encoding="gbk")
    error = import_error("a.csv", data)
    assert "请将文件另存为 UTF-8 编码的 CSV" in error.message
    assert "GBK" in error.message


def test_utf16_csv_is_refused():
    data = ",".join(EN_HEADER).encode("utf-16")
    assert "UTF-8" in import_error("a.csv", data).message


def test_missing_required_columns_are_all_listed():
    header = ["姓名", "手机号", "学校", "用户名", "初始密码"]
    error = import_error(
        "a.csv", csv_bytes([header, ["张三", "13800138000", "西北大学", "zs1", "Welcome2024"]])
    )
    assert {(r["row"], r["field"]) for r in error.rows} == {(1, "id_number"), (1, "union_code")}
    messages = {r["message"] for r in error.rows}
    assert "缺少必填列“身份证号”" in messages
    assert "缺少必填列“工会代码”" in messages


def test_unrecognised_header_reports_missing_columns():
    error = import_error("a.csv", csv_bytes([["foo", "bar"], ["1", "2"]]))
    assert {r["field"] for r in error.rows} == set(importing.REQUIRED_FIELDS)


def test_duplicated_column():
    header = EN_HEADER + ["学校"]
    error = import_error("a.csv", csv_bytes([header, as_list(row(1)) + ["x"]]))
    assert error.rows == [{"row": 1, "field": "university", "message": "“学校”列出现了两次"}]


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    lines = [EN_HEADER] + [as_list(row(i)) for i in range(4)]
    assert "超过 3 行" in import_error("a.csv", csv_bytes(lines)).message
    assert "超过 3 行" in import_error("a.xlsx", xlsx_bytes(lines)).message


def test_default_row_limit_is_20000():
    assert MAX_ROWS == 20000
    lines = [EN_HEADER] + [as_list(row(1))] * (MAX_ROWS + 1)
    assert "20000" in import_error("a.csv", csv_bytes(lines)).message


def test_far_away_row_in_xlsx_is_refused_quickly(monkeypatch):
    monkeypatch.setattr(importing, "MAX_PHYSICAL_ROWS", 50)
    book = openpyxl.Workbook()
    book.active.append(EN_HEADER)
    book.active.cell(row=1_000_000, column=1, value="x")
    out = io.BytesIO()
    book.save(out)
    assert "空行过多" in import_error("a.xlsx", out.getvalue()).message


def test_too_long_cells_are_listed_with_row_and_column():
    long_text = "很" * (MAX_CELL_CHARS + 1)
    lines = [EN_HEADER, as_list(row(1)), as_list(row(2, university=long_text, major=long_text))]
    error = import_error("a.csv", csv_bytes(lines))
    assert [(r["row"], r["field"]) for r in error.rows] == [(3, "university"), (3, "major")]
    assert str(MAX_CELL_CHARS) in error.rows[0]["message"]


def test_long_text_in_an_ignored_column_is_fine():
    lines = [EN_HEADER + ["备注"], as_list(row(1)) + ["很" * 500]]
    assert parse_upload("a.csv", csv_bytes(lines)) == [(2, row(1))]


def test_huge_csv_field_is_refused_not_crashed():
    data = (",".join(EN_HEADER) + "\n" + "x" * 200_000).encode()
    import_error("a.csv", data)


# --- parse_upload never raises anything else -----------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_refuse(filename: str, data: bytes) -> None:
    try:
        rows = parse_upload(filename, data)
    except ValidationError as exc:
        assert exc.code == "import_invalid"
        assert exc.rows
        return
    assert isinstance(rows, list)
    for number, record in rows:
        assert number >= 2
        assert all(isinstance(v, str) for v in record.values())


@FUZZ
@given(
    name=st.sampled_from(["a.xlsx", "a.csv", "a.txt", "A.XLSX"]),
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
    ),
)
def test_arbitrary_bytes_only_ever_raise_validation_error(name, data):
    _parse_or_refuse(name, data)


@FUZZ
@given(text=st.text(max_size=500))
def test_arbitrary_utf8_text_only_ever_raises_validation_error(text):
    _parse_or_refuse("a.csv", (",".join(EN_HEADER) + "\n" + text).encode())


_GOOD_XLSX = xlsx_bytes([EN_HEADER, as_list(row(1)), as_list(row(2))])


@FUZZ
@given(
    position=st.integers(min_value=0, max_value=len(_GOOD_XLSX) - 1),
    byte=st.integers(min_value=0, max_value=255),
    cut=st.booleans(),
)
def test_damaged_workbooks_only_ever_raise_validation_error(position, byte, cut):
    data = bytearray(_GOOD_XLSX)
    if cut:
        data = data[:position]
    else:
        data[position] = byte
    _parse_or_refuse("a.xlsx", bytes(data))


# --- validate_rows ----------------------------------------------------------------------


def test_valid_rows_are_normalized():
    id_number = make_id(7)
    raw = row(
        1,
        id_number=f" {id_number.lower()} ",
        phone="138 0000 0001",
        enrollment_year="2024年",
        major="",
        home_city="",
    )
    records, errors = validate_rows([(2, raw)], today=TODAY)
    assert errors == []
    assert records == [
        {
            "row": 2,
            "name": "学生一",
            "id_number": id_number,
            "phone": "13800000001",
            "university": "西北大学",
            "major": None,
            "enrollment_year": 2024,
            "home_city": None,
            "volunteer_number": None,
            "union_code": "SX-XA",
            "username": "student1",
            "password": "Welcome2024",
        }
    ]


def test_optional_columns_may_be_absent():
    raw = {k: v for k, v in row(1).items() if k not in ("major", "enrollment_year", "home_city")}
    records, errors = validate_rows([(2, raw)], today=TODAY)
    assert errors == []
    assert records[0]["enrollment_year"] is None


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", "请填写姓名"),
        ("name", "张" * 51, "姓名不能超过50个字"),
        ("id_number", "", "请填写身份证号"),
        ("id_number", "123", "身份证号长度应为18位（当前3位）"),
        ("phone", "12345", "手机号应为以1开头的11位数字"),
        ("university", "", "请填写学校"),
        ("major", "专" * 101, "专业不能超过100个字"),
        ("enrollment_year", "1989", "入学年份应为1990–2100之间的四位数年份"),
        ("enrollment_year", "2101", "入学年份应为1990–2100之间的四位数年份"),
        ("enrollment_year", "二〇二四", "入学年份应为1990–2100之间的四位数年份"),
        ("enrollment_year", "2024-09-01", "入学年份应为1990–2100之间的四位数年份"),
        ("home_city", "城" * 51, "家庭所在城市不能超过50个字"),
        ("union_code", "", "请填写工会代码"),
        ("username", "", "请填写用户名"),
        ("username", "ab", "用户名应为3–64位字母、数字或 _ . - @"),
        ("username", "张三", "用户名应为3–64位字母、数字或 _ . - @"),
        ("username", "a b c", "用户名应为3–64位字母、数字或 _ . - @"),
        ("username", "a" * 65, "用户名应为3–64位字母、数字或 _ . - @"),
        ("password", "", "请填写初始密码"),
        ("password", "short7!", "初始密码应为8–128个字符"),
        ("name", "张\x00三", "姓名含有不可见的控制字符"),
    ],
)
def test_each_field_is_checked(field, value, message):
    records, errors = validate_rows([(4, row(1, **{field: value}))], today=TODAY)
    assert records == []
    assert errors == [{"row": 4, "field": field, "message": message}]


@pytest.mark.parametrize("username", ["abc", "li.ming@x-y_z", "A" * 64])
def test_good_usernames(username):
    _, errors = validate_rows([(2, row(1, username=username))], today=TODAY)
    assert errors == []


def test_every_bad_field_of_every_row_is_reported():
    rows = [(2, row(1, name="", phone="1")), (3, row(2)), (4, row(3, password="x"))]
    records, errors = validate_rows(rows, today=TODAY)
    assert [r["row"] for r in records] == [3]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "name"), (2, "phone"), (4, "password")]


def test_future_birth_date_uses_today():
    raw = row(1, id_number=make_id(born="20260401"))
    _, errors = validate_rows([(2, raw)], today=TODAY)
    assert errors[0]["message"] == "身份证号中的出生日期晚于今天"


def test_duplicates_within_the_file_name_both_rows():
    rows = [
        (2, row(1)),
        (3, row(2)),
        (5, row(3, id_number=make_id(1))),
        (6, row(4, username="STUDENT2")),
        (9, row(5, id_number=make_id(1))),
    ]
    records, errors = validate_rows(rows, today=TODAY)
    assert [r["row"] for r in records] == [2, 3]
    assert errors == [
        {"row": 5, "field": "id_number", "message": "第 2 行和第 5 行的身份证号相同"},
        {"row": 6, "field": "username", "message": "第 3 行和第 6 行的用户名相同"},
        {"row": 9, "field": "id_number", "message": "第 2 行和第 9 行的身份证号相同"},
    ]


def test_duplicate_detection_uses_normalized_id_numbers():
    number = next(make_id(s) for s in range(1000) if make_id(s).endswith("X"))
    rows = [(2, row(1, id_number=number)), (3, row(2, id_number=number.lower()))]
    _, errors = validate_rows(rows, today=TODAY)
    assert errors == [{"row": 3, "field": "id_number", "message": "第 2 行和第 3 行的身份证号相同"}]


def test_end_to_end_from_xlsx():
    lines = [ZH_HEADER] + [as_list(row(i), ZH_HEADER) for i in range(1, 51)]
    records, errors = validate_rows(parse_upload("a.xlsx", xlsx_bytes(lines)), today=TODAY)
    assert errors == []
    assert len(records) == 50
    assert records[-1]["row"] == 51


# --- template ---------------------------------------------------------------------------


def test_template_layout():
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    assert book.sheetnames == ["学生名单", "说明"]
    sheet = book["学生名单"]
    assert [c.value for c in sheet[1]] == ZH_HEADER
    # No example in the sheet that gets imported: only empty cells formatted as text.
    assert all(c.value is None for r in sheet.iter_rows(min_row=2) for c in r)
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["B1"].comment is not None and "文本" in sheet["B1"].comment.text
    assert sheet.column_dimensions["B"].width == 22
    assert sheet.column_dimensions["B"].number_format == "@"
    # The ID and phone cells people type into are text, not General (Excel would turn an
    # 18-digit ID number into 6.10113E+17).
    header = [c.value for c in sheet[1]]
    for label in ("身份证号", "手机号"):
        column = header.index(label) + 1
        assert sheet.cell(row=2, column=column).number_format == "@"
        assert sheet.cell(row=400, column=column).number_format == "@"


def test_template_example_union_code_exists_in_the_demo():
    from volunteer.students.importing import COLUMN_BY_FIELD

    assert COLUMN_BY_FIELD["union_code"].example in ("SX", "XA", "TC")


def test_template_help_sheet_explains_every_column_and_has_a_valid_example():
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    help_sheet = book["说明"]
    values = [[c.value for c in r] for r in help_sheet.iter_rows()]
    labels = [r[0] for r in values]
    for column in COLUMNS:
        assert column.label in labels
    example = values[-1]
    example_cell = help_sheet.cell(row=help_sheet.max_row, column=1)
    assert example_cell.font.italic
    assert example_cell.font.color.rgb.endswith("808080")
    raw = dict(zip([c.field for c in COLUMNS], [str(v) for v in example], strict=True))
    records, errors = validate_rows([(2, raw)], today=TODAY)
    assert errors == []
    assert records[0]["name"] == "张三"


def test_filled_in_template_imports():
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = book["学生名单"]
    for column, value in enumerate(as_list(row(1), ZH_HEADER), start=1):
        sheet.cell(row=2, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    assert parse_upload("模板.xlsx", out.getvalue()) == [(2, row(1))]


def test_empty_template_is_refused_as_having_no_rows():
    assert "没有学生数据行" in import_error("模板.xlsx", template_xlsx()).message


def test_validate_rows_trims_and_reads_non_text_values():
    raw = {**row(1), "name": "  张三\t", "enrollment_year": 2024, "major": None}
    records, errors = validate_rows([(2, raw)], today=TODAY)  # type: ignore[list-item]
    assert errors == []
    assert records[0]["name"] == "张三"
    assert records[0]["enrollment_year"] == 2024
    assert records[0]["major"] is None
