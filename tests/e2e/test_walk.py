"""Each demo role on a 390-px phone walks every page reachable from its home by links;
every page must speak plainly, fit the screen, answer fast and pass axe-core."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, login
from tests.e2e.walk import walk_from

ROLES = ["sx_admin", "xa_staff", "ent_demo1", "ent_demo2", "stu_demo1", "stu_demo2"]


@pytest.mark.parametrize("username", ROLES)
def test_every_page_reachable_from_home_reads_plainly(server, new_context, username):
    page = new_context(PHONE).new_page()
    page.goto("/login")
    login(page, username)
    page.wait_for_load_state()
    home = page.url
    walk = walk_from(page, server.url, home, PHONE["viewport"]["width"])
    assert len(walk.pages) > 3, walk.pages
    assert not walk.problems, "\n".join(walk.problems)
