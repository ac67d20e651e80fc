"""A short description of the device behind a scan, from its user-agent string: what a
person recognises ("iPhone · 微信"), not the raw string."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# First match wins: apps inside a platform before the platform's own browser.
_BROWSERS = (
    ("MicroMessenger", _l("微信")),
    ("AlipayClient", _l("支付宝")),
    ("DingTalk", _l("钉钉")),
    ("QQBrowser", _l("QQ浏览器")),
    ("UCBrowser", _l("UC浏览器")),
    ("HuaweiBrowser", _l("华为浏览器")),
    ("MiuiBrowser", _l("小米浏览器")),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome", _l("自动化浏览器")),
    ("Chrome/", "Chrome"),
    ("CriOS", "Chrome"),
    ("Safari/", "Safari"),
)


def _platform(ua: str) -> str:
    if "iPhone" in ua:
        return "iPhone"
    if "iPad" in ua:
        return "iPad"
    if "Android" in ua:
        return str(_l("安卓手机")) if "Mobile" in ua else str(_l("安卓平板"))
    if "HarmonyOS" in ua or "OpenHarmony" in ua:
        return str(_l("鸿蒙设备"))
    if "Windows" in ua:
        return str(_l("Windows 电脑"))
    if "Macintosh" in ua or "Mac OS X" in ua:
        return str(_l("Mac 电脑"))
    if "Linux" in ua:
        return str(_l("Linux 电脑"))
    return ""


def device_words(user_agent: str | None) -> str:
    """Return e.g. "iPhone · 微信" for a user-agent string, "未知设备" when unreadable."""
    ua = user_agent or ""
    platform = _platform(ua)
    browser = next((str(word) for marker, word in _BROWSERS if marker in ua), "")
    words = " · ".join(part for part in (platform, browser) if part)
    return words or str(_l("未知设备"))
