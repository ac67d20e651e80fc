"""R41 in a browser: the phone without network scans a kiosk code with the in-page
scanner (a QR fed to Chromium as its camera), keeps it as 待上传 and sends it when the
network is back; the kiosk without network keeps showing codes the server accepts; the
scan page's weight and time on Chromium's "Slow 3G"."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import qrcode
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, DESKTOP, PHONE, ROOT, SHOTS, TABLET
from tests.e2e.steps import activate_kiosk, create_kiosk_link, log_in_at, read_code

STUDENT = "stu_demo1"  # serves at ent_demo1 any day (allow_workdays), no coordinates
ENTERPRISE_LOGIN = "ent_demo1"
RESULTS = ROOT / "bench" / "results"


@pytest.fixture(autouse=True)
def real_clock(server):
    server.set_clock(None)
    yield
    server.set_clock(None)


def y4m_of(text: str, path: Path, width: int = 640, height: int = 480) -> Path:
    """Write a still Y4M video of a QR code of `text` (Chromium's fake camera plays it)."""
    qr = qrcode.QRCode(border=4, box_size=8)
    qr.add_data(text)
    code = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    side = min(width, height) - 40
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(code.resize((side, side), Image.NEAREST), ((width - side) // 2, 20))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            fh.write(b"FRAME\n" + planes)
    return path


def _kiosk(new_context, name: str):
    """An enterprise creates a kiosk; a tablet activates it. Returns the tablet page."""
    enterprise = new_context(DESKTOP).new_page()
    log_in_at(enterprise, "/checkin/enterprise/sites", ENTERPRISE_LOGIN)
    link = create_kiosk_link(enterprise, name)
    tablet_context = new_context(TABLET)
    tablet = tablet_context.new_page()
    activate_kiosk(tablet, link)
    return tablet_context, tablet


def test_phone_offline_scans_with_the_in_page_scanner(browser, server, new_context, shot, tmp_path):
    _tablet_context, tablet = _kiosk(new_context, "离线测试平板")
    code = read_code(tablet)
    video = y4m_of(code["url"], tmp_path / "kiosk-qr.y4m")

    # A phone whose camera sees the kiosk's code.
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera.new_context(base_url=server.url, locale="zh-CN", **PHONE)
        context.grant_permissions(["camera"], origin=server.url)
        errors: list[str] = []
        phone = context.new_page()
        phone.on("console", lambda m: m.type in ("error", "warning") and errors.append(m.text))
        phone.on("pageerror", lambda e: errors.append(str(e)))
        log_in_at(phone, "/checkin/me", STUDENT)
        # The app installs itself: the service worker caches the shell and the decoder.
        phone.wait_for_function(
            "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
            " || navigator.serviceWorker.ready.then(() => true)"
        )
        phone.evaluate("() => navigator.serviceWorker.ready")
        phone.wait_for_function(
            """() => caches.open('volunteer-app-v1').then(c => c.match('/static/vendor/jsQR.min.js'))
                      .then(hit => !!hit)"""
        )
        phone.goto("/checkin/scan")
        expect(phone.locator("h1")).to_have_text("扫一扫")
        shot(phone, "scanner")

        # No network: scan with the page's own camera scanner.
        context.set_offline(True)
        phone.reload()  # served by the service worker
        expect(phone.locator("#scanner-start")).to_be_visible()
        phone.click("#scanner-start")
        choice = phone.locator("#scanner-choice")
        try:
            expect(choice).to_be_visible(timeout=20000)
        except AssertionError:
            raise AssertionError(
                f"no code decoded: {errors}, status: "
                + phone.locator("#scanner-status").inner_text()
            ) from None
        expect(phone.locator("#scanner-status")).to_contain_text("当前没有网络")
        shot(phone, "scanner-offline-decoded")
        choice.locator("button.primary").click()
        queue = phone.locator("#scan-queue")
        expect(queue.locator(".queue-pending")).to_contain_text("待上传")
        shot(phone, "scanner-queued")
        assert (
            phone.evaluate(
                """() => new Promise(r => { const q = indexedDB.open('volunteer-scans');
                 q.onsuccess = () => { const g = q.result.transaction('scans').objectStore('scans').getAll();
                 g.onsuccess = () => r(g.result.length); }; })"""
            )
            == 1
        )

        # Back online: the queue is sent by itself, and the session is there.
        context.set_offline(False)
        expect(queue.locator(".queue-sent")).to_contain_text("已上传", timeout=30000)
        expect(queue.locator(".queue-pending")).to_have_count(0)
        shot(phone, "scanner-sent")
        phone.goto("/checkin/me")
        expect(phone.locator("main")).to_contain_text("离线扫码")
        shot(phone, "home-after-offline-scan")
        assert not errors, errors
    finally:
        camera.close()


def test_kiosk_offline_keeps_showing_codes_the_server_accepts(server, new_context, shot):
    tablet_context, tablet = _kiosk(new_context, "断网平板")
    online_token = read_code(tablet)["token"]
    tablet_context.set_offline(True)
    badge = tablet.locator("#kiosk-offline")
    expect(badge).to_be_visible(timeout=40000)
    expect(badge).to_have_text("离线模式")
    expect(tablet.locator("#kiosk-status")).to_contain_text("离线模式")
    qr = tablet.locator("#kiosk-qr")
    expect(qr).to_have_attribute("data-token", re.compile(r"^[A-Za-z0-9_-]{31}$"))
    shot(tablet, "kiosk-offline")
    # A fresh step, drawn offline (the student may have used this site's current step).
    time.sleep(30 - time.time() % 30 + 2)
    token = qr.get_attribute("data-token")
    svg = qr.inner_html()
    assert "<svg" in svg
    assert token[:7] == online_token[:7]  # the same kind, site and kiosk in the clear

    # A phone (online) reads that QR and scans its code: accepted.
    phone = new_context(PHONE).new_page()
    log_in_at(phone, "/checkin/me", STUDENT)
    decoded = phone.evaluate(
        """async (svg) => {
             await new Promise((ok, bad) => { const s = document.createElement('script');
               s.src = '/static/vendor/jsQR.min.js'; s.onload = ok; s.onerror = bad; document.head.appendChild(s); });
             const img = new Image();
             img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
             await img.decode();
             const c = document.createElement('canvas'); c.width = 600; c.height = 600;
             const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 600, 600);
             g.drawImage(img, 0, 0, 600, 600);
             const d = g.getImageData(0, 0, 600, 600);
             const code = jsQR(d.data, 600, 600);
             return code && code.data; }""",
        svg,
    )
    assert decoded == f"{server.url}/s/{token}"
    phone.goto(decoded)
    tap = phone.locator("#scan-form button[type=submit]")
    expect(tap).to_be_visible()
    tap.tap()
    phone.wait_for_url(re.compile(r"/checkin/sessions/\d+/done"))
    expect(phone.locator("h1")).to_have_text(re.compile("签到成功|签退成功"))
    shot(phone, "scanned-offline-kiosk-code")

    # Back online, the kiosk leaves 离线模式.
    tablet_context.set_offline(False)
    expect(badge).to_be_hidden(timeout=40000)


def test_scan_page_on_slow_3g(browser, server, new_context, shot):
    """First visit of the scan page on Chromium's "Slow 3G" (DevTools preset: 400 kbit/s,
    2,000 ms latency per request): bytes transferred and time until the button works."""
    _tablet_context, tablet = _kiosk(new_context, "慢网平板")
    context = new_context(PHONE)
    phone = context.new_page()
    # Logged in, but a first visit: no page that installs the app's service worker.
    log_in_at(phone, "/privacy", STUDENT)
    # A fresh 30-second step: the student may have scanned this site's code of the current
    # step in the test before (R11 token_reused, which the scan page says on opening).
    time.sleep(30 - time.time() % 30 + 1)
    tablet.reload()
    url = read_code(tablet)["url"]
    cdp = context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    conditions = {
        "offline": False,
        "latency": 2000,
        "downloadThroughput": 500 * 1000 / 8 * 0.8,
        "uploadThroughput": 500 * 1000 / 8 * 0.8,
    }
    cdp.send("Network.emulateNetworkConditions", conditions)
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    phone.goto(url, wait_until="commit")
    button = phone.locator("#scan-form button[type=submit]")
    expect(button).to_be_enabled(timeout=30000)
    phone.wait_for_load_state("load")
    phone.wait_for_timeout(1500)
    timing = phone.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
                   const paint = performance.getEntriesByType('paint')
                     .find(p => p.name === 'first-contentful-paint');
                   const css = performance.getEntriesByType('resource')
                     .find(r => r.name.endsWith('/css/app.css'));
                   return {request_start: n.requestStart, first_byte: n.responseStart,
                           html_done: n.responseEnd, first_paint: paint && paint.startTime,
                           app_css_done: css && css.responseEnd,
                           dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }"""
    )
    # The button is styled from the inline sheet: its first paint is already the real one.
    assert button.evaluate("b => getComputedStyle(b).minHeight") == "88px"
    total = sum(sizes.values())
    shot(phone, "scan-page-slow-3g")
    usable = timing["first_paint"] - timing["request_start"]
    report = {
        "conditions": conditions,
        "bytes": total,
        "requests": {urls.get(k, k).replace(server.url, ""): v for k, v in sizes.items()},
        "navigation_ms": {k: round(v) for k, v in timing.items()},
        "usable_ms_after_request": round(usable),
        "usable_ms_after_first_byte": round(timing["first_paint"] - timing["first_byte"]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scan_page_slow3g.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    assert total < 100_000, report
    # The page paints its working button before its stylesheet arrives: the preset's
    # 2,000 ms latency on the one response, plus the HTML's own bytes, and nothing else
    # (scripts are deferred and optional: the form posts without them).
    assert timing["first_paint"] < timing["app_css_done"], report
    # (slack for a loaded machine: painting itself once took 170 ms there)
    assert timing["first_paint"] <= timing["html_done"] + 500, report
    assert usable < 2000 + 800, report


SHOTS  # noqa: B018 (screenshots land under tests/e2e/screenshots/<test>/)


INSTALLED = """() => navigator.serviceWorker.ready.then(() =>
    caches.open('volunteer-app-v1')).then(c => Promise.all(
      ['/checkin/scan', '/checkin/me', '/static/js/scanner.js', '/static/js/queue.js']
        .map(p => c.match(p)))).then(hits => hits.every(Boolean))"""
QUEUED = """() => new Promise(r => { const q = indexedDB.open('volunteer-scans');
    q.onsuccess = () => { const g = q.result.transaction('scans').objectStore('scans').getAll();
    g.onsuccess = () => r(g.result); }; })"""


def _installed_phone(new_context, username: str = STUDENT):
    """A phone whose student opened the app once: the service worker keeps its shell."""
    context = new_context(PHONE)
    phone = context.new_page()
    log_in_at(phone, "/checkin/me", username)
    phone.wait_for_function(INSTALLED, timeout=30000)
    # Controlled from now on (the first page was loaded before the worker existed).
    phone.reload()
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return context, phone


def _throttle_worker(browser, origin: str, conditions: dict):
    """Emulate `conditions` in the origin's service worker (a target of its own, which a
    page's emulation does not reach); returns the browser session that holds it."""
    session = browser.new_browser_cdp_session()
    targets = session.send("Target.getTargets")["targetInfos"]
    (target,) = [
        t for t in targets if t["type"] == "service_worker" and t["url"].startswith(origin)
    ]
    attached = session.send("Target.attachToTarget", {"targetId": target["targetId"]})
    for n, (method, params) in enumerate(
        (("Network.enable", {}), ("Network.emulateNetworkConditions", conditions))
    ):
        message = {"id": n + 1, "method": method, "params": params}
        session.send(
            "Target.sendMessageToTarget",
            {"sessionId": attached["sessionId"], "message": json.dumps(message)},
        )
    return session


def test_installed_app_answers_a_kiosk_link_on_slow_3g(browser, server, new_context, shot):
    """The student has opened the app before (the service worker keeps the scanner): on
    "Slow 3G" a kiosk link is answered by the kept scanner after SLOW_MS, the student taps
    at once, and the scan is sent as the network allows."""
    _tablet_context, tablet = _kiosk(new_context, "慢网已安装")
    context, phone = _installed_phone(new_context)
    time.sleep(30 - time.time() % 30 + 1)  # a step this student has not used yet
    tablet.reload()
    url = read_code(tablet)["url"]
    conditions = {
        "offline": False,
        "latency": 2000,
        "downloadThroughput": 500 * 1000 / 8 * 0.8,
        "uploadThroughput": 500 * 1000 / 8 * 0.8,
    }
    cdp = context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", conditions)
    # The worker's own fetches are what go to the network: they are throttled too.
    worker = _throttle_worker(browser, server.url, conditions)
    started = time.monotonic()
    phone.goto(url, wait_until="commit")
    choice = phone.locator("#scanner-choice button.primary")
    expect(choice).to_be_visible(timeout=15000)
    usable_ms = (time.monotonic() - started) * 1000
    expect(phone.locator("#scanner-status")).to_contain_text("网络很慢")
    shot(phone, "installed-app-slow-3g")
    action = choice.get_attribute("value")
    tapped = time.monotonic()
    choice.tap()
    queue = phone.locator("#scan-queue")
    expect(queue.locator(".queue-sent")).to_contain_text("已上传", timeout=30000)
    sent_ms = (time.monotonic() - tapped) * 1000
    shot(phone, "installed-app-slow-3g-sent")
    worker.detach()
    report = {
        "conditions": conditions,
        "usable_ms_after_navigation": round(usable_ms),
        "sent_ms_after_tap": round(sent_ms),
        "action": action,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scan_page_slow3g_installed.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    # Measured 1.6 s (bench/README.md); the slack keeps a busy CI machine from failing it.
    assert usable_ms < 2000 + 500, report
    # The upload itself waited out the emulated latency: the throttling was real.
    assert sent_ms > 2000, report


def test_a_kept_scanner_times_scans_by_the_phone_not_by_its_copy(server, new_context, shot):
    """A scanner page kept hours ago carries the server's time of that day: the scan made
    with it offline is timed from the phone's clock as last measured, not from the copy.
    Logging out forgets the kept pages; the scan waits for its own student."""
    server.set_clock(
        (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    )
    context, phone = _installed_phone(new_context)
    kept_now = phone.evaluate(
        """() => caches.open('volunteer-app-v1').then(c => c.match('/checkin/scan'))
                 .then(r => r.text()).then(t => Number(/data-now="(\\d+)"/.exec(t)[1]))"""
    )
    assert abs(kept_now - (time.time() - 3 * 3600)) < 600, kept_now
    # Back to the real clock: a fresh page measures the phone against the server again.
    server.set_clock(None)
    phone.goto("/checkin/scan")
    phone.wait_for_function("() => localStorage.getItem('clock_offset') !== null")
    # ...and the worker keeps the copy it had (a later visit to the home would refresh it).
    phone.evaluate(
        """(old) => caches.open('volunteer-app-v1').then(c => c.match('/checkin/scan')
             .then(r => r.text()).then(t => c.put('/checkin/scan', new Response(
               t.replace(/data-now="\\d+"/g, 'data-now="' + old + '"'),
               {headers: {'Content-Type': 'text/html; charset=utf-8'}}))))""",
        kept_now,
    )
    context.set_offline(True)
    phone.goto("/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    expect(phone.locator("#scanner")).to_have_attribute("data-stale", "1")
    expect(phone.locator("#scanner-status")).to_contain_text("当前没有网络")
    phone.locator("#scanner-choice button.primary").tap()
    expect(phone.locator("#scan-queue .queue-pending")).to_contain_text("待上传")
    shot(phone, "kept-scanner-offline")
    (item,) = phone.evaluate(QUEUED)
    scanned = datetime.fromisoformat(item["scanned_at"].replace("Z", "+00:00")).timestamp()
    assert abs(scanned - time.time()) < 120, item  # not three hours ago
    assert item["owner"]

    # Logged out (from a page that sends nothing): the kept pages are forgotten; the
    # scan stays for its student. (Left before the network is back: the page would send
    # the scan, which this test keeps.)
    phone.goto("about:blank")
    context.set_offline(False)
    phone.goto("/privacy")
    phone.locator("details.account summary").click()
    phone.locator("form[action$='/logout'] button").click()
    phone.wait_for_url(re.compile(r"/login"))
    phone.wait_for_function(
        """() => caches.open('volunteer-app-v1').then(c => Promise.all(
             [c.match('/checkin/me'), c.match('/checkin/scan')]))
             .then(hits => hits.every(h => !h))""",
        timeout=10000,
    )
    # Another student on the same phone neither sees nor sends it.
    log_in_at(phone, "/checkin/me", "stu_demo2")
    phone.wait_for_timeout(1500)
    expect(phone.locator("#scan-queue .queue-pending")).to_have_count(0)
    assert len(phone.evaluate(QUEUED)) == 1
    shot(phone, "other-student-same-phone")
