"""CLI: `flask import-students FILE [--union CODE]` for large class lists (R27)."""

from __future__ import annotations

import os

import click
from tqdm import tqdm

from ..errors import DomainError, ValidationError
from . import importing, services


@click.command("import-students")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--union", "union_code", default=None, help="Only accept rows of this union's subtree."
)
def import_students(file: str, union_code: str | None) -> None:
    """Import students from an .xlsx or .csv file: all rows, or none."""
    with open(file, "rb") as handle:
        data = handle.read()
    labels = {c.field: c.label for c in importing.COLUMNS}
    click.echo("正在检查每一行……")
    bars: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        # The bar starts once every row has passed its checks: then hashing is what remains.
        if not bars:
            bars.append(tqdm(total=total, unit="行", desc="创建账号", dynamic_ncols=True))
        bars[0].update(done - bars[0].n)

    try:
        created = services.import_students(
            None, os.path.basename(file), data, union_code=union_code, progress=progress
        )
    except ValidationError as exc:
        # Every bad row, one per line on stderr, so a long list can be saved with 2> file.
        for err in exc.rows or []:
            where = f"第 {err['row']} 行" if err["row"] else "文件"
            column = labels.get(err["field"], err["field"])
            click.echo(f"  {where}  {column}：{err['message']}", err=True)
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    finally:
        for bar in bars:
            bar.close()
    click.echo(f"已导入 {len(created)} 名学生（初始密码，首次登录须修改）。")


commands = [import_students]
