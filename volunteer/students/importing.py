"""Student list import (R27): read an uploaded XLSX or CSV and check every row."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from stdnum.cn import ric

from volunteer.errors import N_, ValidationError
from volunteer.students.identity import normalize_id_number, normalize_phone
from volunteer.students.rules import clean_volunteer_number

MAX_ROWS = 20000
MAX_CELL_CHARS = 200
# Columns beyond this are ignored: a real list has a dozen, and a sheet whose
# dimension claims 16 384 columns must not make every row that wide.
MAX_COLUMNS = 64
# Blank rows count towards this bound too, so a sheet that jumps to row 1 000 000
# is refused quickly instead of being walked row by row.
MAX_PHYSICAL_ROWS = MAX_ROWS * 5
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
_HEADER_SEARCH_ROWS = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_USERNAME_RE = re.compile(r"[A-Za-z0-9_.@-]{3,64}")
# What Excel makes of a long number: "6.10102E+17" — the last digits are gone.
_SCIENTIFIC_RE = re.compile(r"[+-]?\d+(\.\d+)?E[+-]?\d+", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Column:
    """One importable column: its field, its Chinese header, accepted aliases, help."""

    field: str
    label: str
    aliases: tuple[str, ...]
    required: bool
    width: int
    note: str
    example: str


def _example_id() -> str:
    body = "61010320040315002"
    return body + ric.calc_check_digit(body + "0")


# The one table of columns: template, header matching and messages all come from it.
# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("学生姓名",), True, 12,
           N_("学生真实姓名，最多50字。"), "张三"),
    Column("id_number", "身份证号", ("身份证号码", "身份证", "公民身份号码"), True, 22,
           N_("18位居民身份证号，末位可为X。请保持该列为“文本”格式，否则 Excel 会丢失后几位。"),
           _example_id()),
    Column("phone", "手机号", ("手机号码", "手机", "联系电话"), True, 14,
           N_("以1开头的11位手机号。"), "13800138000"),
    Column("university", "学校", ("就读学校", "就读高校", "高校", "学校名称"), True, 24,
           N_("就读高校全称。"), "西北大学"),
    Column("major", "专业", ("所学专业",), False, 16,
           N_("所学专业，可不填；用于匹配相关行业的企业。"), "会计学"),
    Column("enrollment_year", "入学年份", ("入学年度", "入学时间"), False, 10,
           N_("四位数年份（1990–2100），可不填。"), "2024"),
    Column("home_city", "家庭所在城市", ("生源地", "家庭所在地", "家庭住址城市"), False, 14,
           N_("家庭所在的城市，用于就近匹配爱心企业，可不填。"), "西安"),
    Column("volunteer_number", "志愿者编号", ("全国志愿者编号", "志愿者号"), False, 16,
           N_("全国志愿服务信息系统中的志愿者编号：字母和数字，最多32位，可不填。"),
           "61010320240001"),
    Column("union_code", "工会代码", ("所属工会代码", "工会编码"), True, 14,
           N_("登记该学生的工会代码，须在您的管辖范围内。"), "XA"),
    Column("username", "用户名", ("登录名", "账号", "登录账号"), True, 16,
           N_("学生登录用的用户名：3–64位字母、数字或 _ . - @。"), "zhangsan2024"),
    Column("password", "初始密码", ("密码",), True, 14,
           N_("至少8位；学生首次登录后须修改。"), "Welcome2024"),
)
# fmt: on
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED_FIELDS = tuple(c.field for c in COLUMNS if c.required)


def _header_key(text: str) -> str:
    """Reduce a header to a comparable key: no spaces, marks, case or (备注)."""
    key = re.sub(r"[\s_\-*＊:：]", "", text).lower()
    return re.sub(r"[（(\[【][^）)\]】]*[）)\]】]$", "", key)


HEADER_ALIASES: dict[str, str] = {
    _header_key(name): c.field for c in COLUMNS for name in (c.field, c.label, *c.aliases)
}


def _invalid(message: str, row: int = 0, field: str = "file") -> ValidationError:
    return ValidationError(
        message,
        code="import_invalid",
        rows=[{"row": row, "field": field, "message": message}],
    )


def _cell_text(value: Any) -> str:
    """Turn a spreadsheet value into the text a person sees in the cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        # 15 significant digits, as Excel shows: 2024.0 → "2024", but an 18-digit
        # ID stored as a number becomes "6.10102199001011E+17" and is refused later.
        return format(value, ".15G")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    """Return the first worksheet's rows as text, or raise import_invalid."""
    if data.startswith(_OLE_MAGIC):
        raise _invalid(N_("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传。"))
    not_xlsx = N_("文件不是有效的 Excel（.xlsx）工作簿，可能已损坏或只是改了扩展名。")
    if not data.startswith(_ZIP_MAGIC):
        raise _invalid(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # any damage in an untrusted archive is the uploader's problem
        raise _invalid(not_xlsx) from None
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise _invalid(N_("工作簿解压后过大，请只保留学生名单后再上传。"))
    import openpyxl  # imported here: only uploads need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _invalid(not_xlsx) from None
    try:
        if not book.worksheets:
            raise _invalid(N_("工作簿中没有工作表。"))
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # dimensions written by other tools are often wrong
        rows: list[list[str]] = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            if len(rows) >= MAX_PHYSICAL_ROWS:
                raise _too_many_rows()
            rows.append([_cell_text(v) for v in values])
        return rows
    except ValidationError:
        raise
    except Exception:
        raise _invalid(not_xlsx) from None
    finally:
        book.close()


def _too_many_rows() -> ValidationError:
    return _invalid(N_("数据超过 %(n)s 行（或空行过多），请分批导入。", n=MAX_ROWS))


def _csv_rows(data: bytes) -> list[list[str]]:
    """Return the rows of a UTF-8 CSV (with or without BOM), or raise import_invalid."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        hint = ""
        try:
            data.decode("gbk")
            hint = N_("（看起来是 Excel 默认的 GBK 编码）")
        except UnicodeDecodeError:
            pass
        raise _invalid(
            N_(
                "文件不是 UTF-8 编码%(hint)s。请将文件另存为 UTF-8 编码的 CSV"
                "（Excel：另存为 →“CSV UTF-8（逗号分隔）”）后再上传。",
                hint=hint,
            )
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = "," if "," in first_line or "\t" not in first_line else "\t"
    rows: list[list[str]] = []
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) >= MAX_PHYSICAL_ROWS:
                raise _too_many_rows()
            rows.append([v.strip() for v in values[:MAX_COLUMNS]])
    except csv.Error:
        raise _invalid(N_("CSV 文件格式错误（引号不配对或单元格过长），请检查后再上传。")) from None
    return rows


def _find_header(rows: list[list[str]]) -> int:
    """Return the index of the header row: the first early row naming known columns."""
    first_filled = None
    for index, values in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if not any(values):
            continue
        if first_filled is None:
            first_filled = index
        # A title line above the header ("2025年受助学生名单") is skipped.
        if sum(_header_key(v) in HEADER_ALIASES for v in values) >= 2:
            return index
    if first_filled is None:
        raise _invalid(N_("文件中没有数据。"))
    return first_filled


def _map_header(header: list[str], row_number: int) -> dict[int, str]:
    """Map column positions to fields; refuse duplicated or missing required columns."""
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    errors = []
    for index, text in enumerate(header):
        field = HEADER_ALIASES.get(_header_key(text)) if text else None
        if field is None:
            continue  # extra columns (备注 …) are allowed and ignored
        if field in seen:
            label = COLUMN_BY_FIELD[field].label
            errors.append(
                {
                    "row": row_number,
                    "field": field,
                    "message": N_("“%(label)s”列出现了两次", label=label),
                }
            )
        seen[field] = index
        positions[index] = field
    for field in REQUIRED_FIELDS:
        if field not in seen:
            label = COLUMN_BY_FIELD[field].label
            errors.append(
                {
                    "row": row_number,
                    "field": field,
                    "message": N_("缺少必填列“%(label)s”", label=label),
                }
            )
    if errors:
        raise ValidationError(errors[0]["message"], code="import_invalid", rows=errors)
    return positions


def parse_upload(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Return (spreadsheet row number, {field: text}) for each non-empty data row."""
    extension = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if extension not in ("xlsx", "csv"):
        raise _invalid(N_("仅支持 .xlsx 或 .csv 文件。"))
    if not data:
        raise _invalid(N_("文件为空。"))
    # A workbook saved with a .csv name is still a workbook; read what it is.
    rows = (
        _xlsx_rows(data) if extension == "xlsx" or data.startswith(_ZIP_MAGIC) else _csv_rows(data)
    )
    header_index = _find_header(rows)
    positions = _map_header(rows[header_index], header_index + 1)
    records: list[tuple[int, dict[str, str]]] = []
    too_long: list[dict[str, Any]] = []
    for index in range(header_index + 1, len(rows)):
        values = rows[index]
        record = {field: (values[i] if i < len(values) else "") for i, field in positions.items()}
        if not any(record.values()):
            continue
        if len(records) >= MAX_ROWS:
            raise _too_many_rows()
        for field, text in record.items():
            if len(text) > MAX_CELL_CHARS:
                message = N_(
                    "“%(label)s”超过 %(n)s 个字符",
                    label=COLUMN_BY_FIELD[field].label,
                    n=MAX_CELL_CHARS,
                )
                too_long.append({"row": index + 1, "field": field, "message": message})
        records.append((index + 1, record))
    if too_long:
        raise ValidationError(too_long[0]["message"], code="import_invalid", rows=too_long)
    if not records:
        raise _invalid(N_("文件中没有学生数据行（只有表头）。"))
    return records


def _text(value: str, label: str, max_chars: int, *, required: bool) -> str | None:
    """Return the trimmed text, None when optional and empty, or raise with a reason."""
    if not value:
        if required:
            raise ValueError(N_("请填写%(label)s", label=label))
        return None
    if len(value) > max_chars:
        raise ValueError(N_("%(label)s不能超过%(n)s个字", label=label, n=max_chars))
    return value


def _id_number(value: str, today: date | None) -> str:
    if _SCIENTIFIC_RE.fullmatch(value):
        raise ValueError(
            N_("身份证号被 Excel 存成了数字，后几位已丢失；请把该列设为“文本”格式后重新填写")
        )
    try:
        return normalize_id_number(value, today=today)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


def _enrollment_year(value: str) -> int | None:
    text = value.removesuffix("年")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1990 <= int(text) <= 2100:
        raise ValueError(N_("入学年份应为1990–2100之间的四位数年份"))
    return int(text)


def _username(value: str) -> str:
    if not value:
        raise ValueError(N_("请填写用户名"))
    if not _USERNAME_RE.fullmatch(value):
        raise ValueError(N_("用户名应为3–64位字母、数字或 _ . - @"))
    return value


def _password(value: str) -> str:
    if not value:
        raise ValueError(N_("请填写初始密码"))
    if not 8 <= len(value) <= 128:
        raise ValueError(N_("初始密码应为8–128个字符"))
    return value


def _check_field(field: str, value: str, today: date | None) -> Any:
    """Return the normalised value of one field, or raise ValueError with the reason."""
    if _CONTROL_RE.search(value):
        raise ValueError(N_("%(label)s含有不可见的控制字符", label=COLUMN_BY_FIELD[field].label))
    match field:
        case "name":
            return _text(value, N_("姓名"), 50, required=True)
        case "id_number":
            return _id_number(value, today)
        case "phone":
            return _phone(value)
        case "university":
            return _text(value, N_("学校"), 100, required=True)
        case "major":
            return _text(value, N_("专业"), 100, required=False)
        case "enrollment_year":
            return _enrollment_year(value)
        case "home_city":
            return _text(value, N_("家庭所在城市"), 50, required=False)
        case "volunteer_number":
            return clean_volunteer_number(value)
        case "union_code":
            return _text(value, N_("工会代码"), 64, required=True)
        case "username":
            return _username(value)
        case "password":
            return _password(value)
    raise AssertionError(field)


def validate_rows(
    rows: Iterable[tuple[int, dict[str, str]]], *, today: date | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (clean records with their "row", errors [{row, field, message}])."""
    records: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    first_row: dict[str, dict[str, int]] = {"id_number": {}, "username": {}}
    for row_number, raw in rows:
        record: dict[str, Any] = {"row": row_number}
        row_errors = []
        for column in COLUMNS:
            try:
                text = _cell_text(raw.get(column.field))
                record[column.field] = _check_field(column.field, text, today)
            except ValueError as exc:
                row_errors.append(
                    {
                        "row": row_number,
                        "field": column.field,
                        "message": exc.args[0] if exc.args else str(exc),
                    }
                )
        row_errors.extend(_duplicates(record, first_row))
        errors.extend(row_errors)
        if not row_errors:
            records.append(record)
    return records, errors


def _duplicates(record: dict[str, Any], first_row: dict[str, dict[str, int]]) -> Iterator[dict]:
    """Yield an error for each unique value that an earlier row of the file already used."""
    row_number = record["row"]
    for field, seen in first_row.items():
        value = record.get(field)
        if not value:
            continue
        # Usernames differing only in case would confuse people logging in.
        earlier = seen.setdefault(value.casefold(), row_number)
        if earlier != row_number:
            label = COLUMN_BY_FIELD[field].label
            message = N_(
                "第 %(a)s 行和第 %(b)s 行的%(label)s相同", a=earlier, b=row_number, label=label
            )
            yield {"row": row_number, "field": field, "message": message}


TEMPLATE_TEXT_ROWS = 500  # rows of the template pre-formatted as text
TEXT_FIELDS = ("id_number", "phone")  # digits Excel would otherwise turn into numbers


def template_xlsx() -> bytes:
    """Return the import template: sheet 学生名单 to fill in, sheet 说明 with help and an example."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from ..spreadsheets import workbook_bytes

    book = Workbook()
    sheet = book.active
    sheet.title = "学生名单"
    sheet.append([c.label for c in COLUMNS])
    edge = Side(style="thin", color="8EA9C1")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        # Required columns stand out; optional ones are paler.
        cell.fill = PatternFill("solid", fgColor="1F4E78" if column.required else "8EA9C1")
        cell.font = Font(bold=True, color="FFFFFF")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = Border(left=edge, right=edge, top=edge, bottom=edge)
        cell.comment = Comment(("必填。" if column.required else "选填。") + column.note, "工会")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        # Text format keeps Excel from turning ID numbers and phones into numbers: set on
        # the column and on the rows people fill in (Excel reads the cells' own format).
        sheet.column_dimensions[letter].number_format = "@"
        if column.field in TEXT_FIELDS:
            for row in range(2, TEMPLATE_TEXT_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.row_dimensions[1].height = 22
    sheet.freeze_panes = "A2"
    _help_sheet(book.create_sheet("说明"))
    return workbook_bytes(book)


def _help_sheet(sheet: Any) -> None:
    """Fill the 说明 sheet: one line per column, then a greyed example row."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    sheet.append(["导入时只读取第一个工作表“学生名单”；本页仅作说明，不会被导入。"])
    sheet.append(["任何一行有误时整个文件都不会导入，系统会列出每个出错的行、列和原因。"])
    sheet.append([])
    sheet.append(["列名", "是否必填", "说明", "示例"])
    for cell in sheet[4]:
        cell.font = bold
    for column in COLUMNS:
        required = "必填" if column.required else "选填"
        sheet.append([column.label, required, column.note, column.example])
    sheet.append([])
    sheet.append(["示例（仅供参考，请在“学生名单”页填写）"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([c.label for c in COLUMNS])
    sheet.append([c.example for c in COLUMNS])
    grey = Font(italic=True, color="808080")
    for cell in sheet[sheet.max_row]:
        cell.font = grey
        cell.number_format = "@"
    for letter, width in zip("ABCD", (16, 10, 60, 22), strict=True):
        sheet.column_dimensions[letter].width = width
