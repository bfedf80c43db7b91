"""Open the built documentation in headless Chromium and check that it renders.

Usage: ``python docs/check_rendering.py [docs/_build/html] [--screenshots DIR]``.

Serves the build on 127.0.0.1 (a ``http.server`` in a thread, on a free port) and
loads the index, one example page and one API page in headless Chromium through
the system chromedriver (Debian packages ``chromium`` and ``chromium-driver``).
For each page it checks that:

- the theme's stylesheet loaded and applies: furo's CSS variables are defined and
  the body font is not the browser's default (Times);
- the page's main content is there (an ``h1``), and MathJax typeset the math
  where the page has any;
- example pages show their figures (images loaded, with a size);
- the browser logged no console errors or warnings (failed loads included), and
  every resource came from the local server (nothing from the web).

Exits 1 and says what failed otherwise.
"""

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

PAGES = {
    "index.html": {"math": True},
    "examples/delay_memory.html": {"figures": True},
    "api.html": {"math": True},
}
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--window-size=1280,900",
]

STYLE_PROBE = """
const body = getComputedStyle(document.body);
const sheets = Array.from(document.styleSheets).map(s => s.href || "inline");
return {
    font: body.fontFamily,
    furoColor: body.getPropertyValue("--color-foreground-primary").trim(),
    sidebarWidth: document.querySelector(".sidebar-drawer")
        ? getComputedStyle(document.querySelector(".sidebar-drawer")).width : null,
    sheets: sheets,
    h1: document.querySelector("h1") ? document.querySelector("h1").innerText : null,
    mathSource: document.querySelectorAll(".math").length,
    mathTypeset: document.querySelectorAll("mjx-container").length,
    images: Array.from(document.querySelectorAll("img.sphx-glr-single-img, "
                                                 + "img.sphx-glr-multi-img")).map(
        i => ({src: i.src, complete: i.complete, width: i.naturalWidth})),
    resources: performance.getEntriesByType("resource").map(r => r.name),
};
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root):
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_browser(profile):
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(binary).exists():
            options.binary_location = binary
            break
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for_math(driver, timeout=20):
    """Wait until MathJax has typeset every math element (if the page has any)."""

    def done(driver):
        return driver.execute_script(
            "const n = document.querySelectorAll('.math').length;"
            "return n === 0 || document.querySelectorAll('mjx-container').length"
            " >= n;"
        )

    WebDriverWait(driver, timeout).until(done)


def check_page(driver, base, page, expect, screenshots):
    url = f"{base}/{page}"
    driver.get(url)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    problems = []
    try:
        wait_for_math(driver)
    except Exception:
        problems.append("MathJax did not typeset the math within 20 s")
    time.sleep(0.5)
    info = driver.execute_script(STYLE_PROBE)
    logs = driver.get_log("browser")

    if not info["furoColor"]:
        problems.append(
            "furo's CSS variables are undefined: its stylesheet did not load"
        )
    if not info["font"] or info["font"].strip('"').lower().startswith("times"):
        problems.append(f"body font is the browser default ({info['font']!r})")
    if not any("furo" in sheet for sheet in info["sheets"]):
        problems.append(f"no furo stylesheet among {info['sheets']}")
    if not info["h1"]:
        problems.append("no h1 heading: the page content is missing")
    if expect.get("math") and info["mathSource"] == 0:
        problems.append("expected math on the page, found none")
    if info["mathSource"] and info["mathTypeset"] < info["mathSource"]:
        problems.append(
            f"MathJax typeset {info['mathTypeset']} of {info['mathSource']} formulas"
        )
    if expect.get("figures"):
        images = info["images"]
        if not images:
            problems.append("no gallery figures on the example page")
        for image in images:
            if not image["complete"] or image["width"] == 0:
                problems.append(f"figure did not load: {image['src']}")
    foreign = [r for r in info["resources"] if not r.startswith(base + "/")]
    if foreign:
        problems.append(f"resources loaded from outside the local server: {foreign}")
    for entry in logs:
        if entry["level"] in ("SEVERE", "WARNING"):
            problems.append(f"console {entry['level']}: {entry['message']}")

    if screenshots:
        name = page.replace("/", "_").replace(".html", ".png")
        driver.save_screenshot(str(Path(screenshots) / name))
    status = "ok" if not problems else "FAILED"
    print(
        f"{status}: {page} (title {info['h1']!r}, font {info['font'][:40]!r}, "
        f"{info['mathTypeset']} formulas, {len(info['images'])} figures, "
        f"{len(info['resources'])} resources, {len(logs)} console messages)"
    )
    return [f"{page}: {problem}" for problem in problems]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default="docs/_build/html")
    parser.add_argument("--screenshots", help="save a screenshot of each page here")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    missing = [page for page in PAGES if not (root / page).is_file()]
    if missing:
        print(f"check_rendering: not built: {missing}", file=sys.stderr)
        return 1
    if args.screenshots:
        Path(args.screenshots).mkdir(parents=True, exist_ok=True)

    server = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    profile = tempfile.mkdtemp(prefix="check_rendering_profile_")
    driver = None
    problems = []
    try:
        driver = start_browser(profile)
        for page, expect in PAGES.items():
            problems += check_page(driver, base, page, expect, args.screenshots)
    finally:
        if driver is not None:
            driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    for problem in problems:
        print(f"check_rendering: {problem}", file=sys.stderr)
    print(f"check_rendering: {len(PAGES)} pages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
