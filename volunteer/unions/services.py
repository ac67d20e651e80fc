"""Use cases for the union hierarchy."""

from __future__ import annotations

import io
import re
from datetime import datetime

from sqlalchemy import select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..texts import labelled_text
from .models import Union, UnionSeal

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


def validate_code(code: str) -> str:
    """Return a clean union code or raise a 400."""
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError.field("code", N_("工会代码为 1–32 位字母、数字或连字符。"))
    return code


def create_union(actor: User | None, code: str, name: str, parent_code: str | None) -> Union:
    """Create a union under a parent in the actor's scope (no actor: a root, from the CLI)."""
    code = validate_code(code)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.field("name", N_("名称必填，最多 100 字。"))
    parent = None
    if actor is not None:
        if actor.role != "union_staff":
            raise Forbidden()
        if parent_code is None:
            raise ValidationError.field("parent_code", N_("请指定上级工会。"))
        parent = scope.get_or_404(scope.unions(actor), Union, parent_code)
    elif parent_code is not None:
        parent = db.session.get(Union, parent_code)
        if parent is None:
            raise ValidationError.field("parent_code", N_("上级工会不存在。"))
    if db.session.get(Union, code) is not None:
        raise Conflict(
            "duplicate", N_("工会代码已存在。"), fields={"code": [N_("工会代码已存在。")]}
        )
    union = Union(
        code=code,
        name=name,
        parent_code=parent.code if parent else None,
        path=(parent.path if parent else "/") + code + "/",
        created_at=clock.now(),
    )
    db.session.add(union)
    audit.record(actor, "created", "union", code, after=union.to_dict(), union_path=union.path)
    commit_or_conflict()
    return union


def union_path(code: str | None) -> str | None:
    """Return a union's path, for audit scoping."""
    if code is None:
        return None
    return db.session.scalar(select(Union.path).where(Union.code == code))


def list_unions(actor: User) -> list[Union]:
    """Return the unions in the actor's subtree, by path."""
    return list(db.session.scalars(scope.unions(actor).order_by(Union.path)))


def list_staff(actor: User) -> list[User]:
    """Return the union staff accounts of the actor's subtree."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "union_staff", scope.in_subtree(actor, User.union_code))
            .order_by(User.union_code, User.username)
        )
    )


# --- profile and seal (R37, R39) ---------------------------------------------------------

PROFILE_TEXTS = {"leader_name": (50, N_("负责人")), "contact": (100, N_("联系方式"))}
SEAL_MAX_BYTES = 512 * 1024
SEAL_MIN_SIDE, SEAL_MAX_SIDE = 64, 2000
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def profile_dict(union: Union) -> dict:
    """Serialise a union's profile as PUT /unions/{code}/profile answers it."""
    return {
        "code": union.code,
        "name": union.name,
        "leader_name": union.leader_name,
        "contact": union.contact,
        "require_insurance": union.require_insurance,
        "has_seal": db.session.get(UnionSeal, union.code) is not None,
    }


def managed_union(actor: User, code: str) -> Union:
    """Return a union in the actor's subtree (403 for other roles, 404 outside it)."""
    if actor is None or actor.role != "union_staff":
        raise Forbidden()
    return scope.get_or_404(scope.unions(actor), Union, code)


def update_profile(actor: User, code: str, **changes: object) -> Union:
    """Set a union's 负责人, contact and require_insurance (only those given); audited; commits."""
    union = managed_union(actor, code)
    clean: dict[str, object] = {}
    for field in PROFILE_TEXTS:
        if field in changes:
            limit, label = PROFILE_TEXTS[field]
            clean[field] = labelled_text(field, changes[field], limit, label)
    if "require_insurance" in changes:
        if not isinstance(changes["require_insurance"], bool):
            raise ValidationError.field("require_insurance", N_("应为 true 或 false。"))
        clean["require_insurance"] = changes["require_insurance"]
    before = {k: getattr(union, k) for k in clean}
    changed = {k: v for k, v in clean.items() if before[k] != v}
    if changed:
        for field, value in changed.items():
            setattr(union, field, value)
        audit.record(
            actor,
            "profile_updated",
            "union",
            union.code,
            before={k: before[k] for k in changed},
            after=changed,
            union_path=union.path,
        )
        db.session.commit()
    return union


def _seal_error(message: str) -> ValidationError:
    return ValidationError.field("file", message)


def clean_seal(data: bytes) -> tuple[bytes, int, int]:
    """Return a seal re-encoded as PNG with its size, or 400 on `file`: a real PNG image,
    at most 512 KB, each side 64–2000 pixels."""
    if not data:
        raise _seal_error(N_("请上传印章图片（PNG）。"))
    if len(data) > SEAL_MAX_BYTES:
        raise _seal_error(N_("印章图片不能超过 %(n)s KB。", n=SEAL_MAX_BYTES // 1024))
    if not data.startswith(_PNG_MAGIC):
        raise _seal_error(N_("印章图片须为 PNG 格式。"))
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != "PNG":
                raise _seal_error(N_("印章图片须为 PNG 格式。"))
            width, height = probe.size
            if not (
                SEAL_MIN_SIDE <= width <= SEAL_MAX_SIDE and SEAL_MIN_SIDE <= height <= SEAL_MAX_SIDE
            ):
                raise _seal_error(
                    N_(
                        "印章图片的长和宽应在 %(low)s–%(high)s 像素之间。",
                        low=SEAL_MIN_SIDE,
                        high=SEAL_MAX_SIDE,
                    )
                )
            probe.load()  # a truncated or corrupt file fails here, not on a certificate
            image = probe.convert("RGBA")
    except ValidationError:
        raise
    except Exception:  # anything Pillow refuses in an untrusted file is the uploader's problem
        raise _seal_error(N_("无法读取该 PNG 图片，文件可能已损坏。")) from None
    out = io.BytesIO()
    # Re-encoded: what is stored and printed is pixels, never the upload's other chunks.
    image.save(out, format="PNG", optimize=True)
    return out.getvalue(), width, height


def upload_seal(actor: User, code: str, data: bytes, now: datetime | None = None) -> UnionSeal:
    """Store (or replace) a union's seal image; audited; commits."""
    union = managed_union(actor, code)
    png, width, height = clean_seal(data)
    seal = db.session.get(UnionSeal, union.code)
    replaced = seal is not None
    if seal is None:
        seal = UnionSeal(union_code=union.code)
        db.session.add(seal)
    seal.png, seal.width, seal.height = png, width, height
    seal.uploaded_at, seal.uploaded_by_id = now or clock.now(), actor.id
    audit.record(
        actor,
        "seal_replaced" if replaced else "seal_uploaded",
        "union",
        union.code,
        after={"seal_bytes": len(png), "width": width, "height": height},
        union_path=union.path,
    )
    db.session.commit()
    return seal


def seal_png(code: str | None) -> bytes | None:
    """Return a union's seal image, or None when it has not uploaded one."""
    if code is None:
        return None
    return db.session.scalar(select(UnionSeal.png).where(UnionSeal.union_code == code))
