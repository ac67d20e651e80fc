"""The scan log names devices in words, never the raw user-agent string."""

from __future__ import annotations

import pytest

from volunteer.checkin.devices import device_words

IPHONE_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"
)
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("ua", "words"),
    [
        (IPHONE_WECHAT, "iPhone · 微信"),
        (ANDROID_CHROME, "安卓手机 · Chrome"),
        (WINDOWS_EDGE, "Windows 电脑 · Edge"),
        (IPAD_SAFARI, "iPad · Safari"),
        ("python-requests/2.31", "未知设备"),
        (None, "未知设备"),
        ("", "未知设备"),
    ],
)
def test_device_words(app, ua, words):
    with app.test_request_context():
        assert device_words(ua) == words
