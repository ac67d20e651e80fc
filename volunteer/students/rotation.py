"""Re-encrypt ID numbers under the current ID_ENCRYPTION_KEY, in batches (R26)."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from .identity import IdCipher
from .models import Student


def cipher_from_config() -> IdCipher:
    """Return the app's cipher (ID_ENCRYPTION_KEY plus ID_ENCRYPTION_OLD_KEYS)."""
    from .services import id_cipher

    return id_cipher()


def rotate_id_key(batch_size: int = 500) -> int:
    """Re-encrypt and re-hash every row not under the primary key; commits per batch."""
    cipher = cipher_from_config()
    primary = cipher.primary_key_id
    done = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(Student)
            .where(Student.id > last_id, Student.id_key_id != primary)
            .order_by(Student.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        for student in rows:
            plain = cipher.decrypt(student.id_number_cipher, student.id_key_id)
            student.id_number_cipher, student.id_key_id = cipher.encrypt(plain)
            student.id_number_hash = cipher.lookup_hash(plain)
            last_id = student.id
        done += len(rows)
        audit.record(
            None,
            "id_key_rotated",
            "student",
            f"{rows[0].id}-{rows[-1].id}",
            after={"key_id": primary, "rows": len(rows)},
        )
        db.session.commit()
    return done


def remaining_rows() -> int:
    """Count rows still encrypted under an old key."""
    primary = cipher_from_config().primary_key_id
    return db.session.scalar(
        select(func.count()).select_from(Student).where(Student.id_key_id != primary)
    )


@click.command("rotate-id-key")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10000))
def rotate_id_key_command(batch_size: int) -> None:
    """Re-encrypt ID numbers with ID_ENCRYPTION_KEY (old keys in ID_ENCRYPTION_OLD_KEYS)."""
    count = rotate_id_key(batch_size)
    click.echo(f"re-encrypted {count} rows; {remaining_rows()} left under old keys")


commands = [rotate_id_key_command]
