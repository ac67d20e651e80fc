"""Regenerate the initial migration from the models (before it has landed only)."""

from __future__ import annotations

import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import migrate  # noqa: E402

from volunteer import create_app  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    for path in glob.glob(os.path.join(ROOT, "migrations", "versions", "0001_*.py")):
        os.remove(path)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/m.sqlite"})
        with app.app_context():
            migrate(directory=os.path.join(ROOT, "migrations"), message="initial", rev_id="0001")


if __name__ == "__main__":
    main()
