"""Two app servers behave as one: the login limit counts across both (Redis)."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from tests.system.conftest import needs_pg_and_redis


def post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urlopen(req, timeout=10) as resp:  # noqa: S310
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
    except HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else {}


@needs_pg_and_redis
def test_login_limit_counts_across_servers(cluster):
    c = cluster(LOGIN_LIMIT="4")
    codes = []
    for i in range(6):
        url = c.urls[i % 2] + "/api/v1/tokens"
        codes.append(post(url, {"username": "ghost-user", "password": "wrong-pass"})[0])
    assert codes[:4] == [401, 401, 401, 401]
    assert codes[4:] == [429, 429]
