"""Real headless Chromium for the web app's tests: Debian's `chromium` and `chromium-driver` through
Selenium (never a browser download), axe-core (shipped by the PyPI package selenium-axe-python) for
WCAG 2.1 A and AA, and screenshots for docs/.

Where Chromium is missing the browser tests skip, except under CI (`CI` set), where they fail:
.ci/run installs Debian's packages first.
"""

from __future__ import annotations

import atexit
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = (360, 800)
DESKTOP = (1280, 900)


def _executables() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (browser, driver) if browser and driver else None


def require_chromium() -> tuple[str, str]:
    found = _executables()
    if found is None:
        message = "Debian's chromium and chromium-driver are needed: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


_IDLE: dict[tuple[int, int], object] = {}  # one idle Chromium per window size, kept for the next walk


def _start_chromium(size: tuple[int, int]):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--lang=da-DK", f"--window-size={size[0]},{size[1]}",
                "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    if size[0] < 500:  # a desktop window is at least 500 px wide: emulate the phone's screen instead
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": size[0], "height": size[1], "deviceScaleFactor": 2, "mobile": True})
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def _forget(driver) -> None:
    """Back to a fresh browser's state: a blank page, no cookies (every site's), no cache, no storage."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": "*", "storageTypes": "all"})
    if driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"]:
        raise RuntimeError("Chromium kept cookies")


@atexit.register
def _quit_idle() -> None:
    while _IDLE:
        _IDLE.popitem()[1].quit()


@contextmanager
def chromium(size: tuple[int, int] = DESKTOP):
    """A headless Chromium with no cookies, at this size. Selenium is given both executables, so it
    never looks for (or downloads) anything. Starting Chromium takes about a second, so one per size
    is kept between walks (cookies, cache and storage cleared, a blank page), and quit when Python
    exits; after a walk that failed it is quit at once."""
    driver = _IDLE.pop(size, None) or _start_chromium(size)
    try:
        yield driver
    except BaseException:
        driver.quit()
        raise
    try:
        _forget(driver)
    except Exception:
        driver.quit()
        return
    if size in _IDLE:
        driver.quit()
    else:
        _IDLE[size] = driver


def axe_violations(driver) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the page the browser shows now."""
    from selenium_axe_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run(options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    return results["violations"]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                     + ", ".join(str(n["target"]) for n in v["nodes"][:5]) for v in violations)


def screenshot(driver, name: str, *, full_page: bool = True, max_height: int = 2400) -> Path:
    """A PNG of the page; into docs/screenshots when REGISTRY_UPDATE_SCREENSHOTS=1, else beside the
    test run (tmp), so an ordinary run never changes the repository."""
    folder = SCREENSHOTS if os.environ.get("REGISTRY_UPDATE_SCREENSHOTS") == "1" else Path(
        os.environ.get("TMPDIR", "/tmp")) / "registry-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    if full_page:  # the whole page, at the width it is shown at
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], max_height), "scale": 1}})
        import base64

        path.write_bytes(base64.b64decode(shot["data"]))
    else:
        driver.save_screenshot(str(path))
    return path


def click_through(driver, element, timeout: float = 20) -> None:
    """Click a link or a submit button and wait until the browser shows the next page."""
    from selenium.webdriver.support.ui import WebDriverWait

    from selenium.common.exceptions import WebDriverException

    page = driver.find_element("tag name", "html")
    try:
        element.click()
    except WebDriverException as exc:
        # Under phone emulation Chromium's inspector now and then loses a node while scrolling it into
        # view ("does not belong to the document"); the element is there: scroll, and click it in the page.
        if "does not belong to the document" not in str(exc):
            raise
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)
    WebDriverWait(driver, timeout).until(_gone(page))
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _gone(element):
    """Selenium's staleness_of, also when Chromium's inspector says the old page's node "does not
    belong to the document" (as it sometimes does, rather than calling it stale, once the next page
    is there)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def predicate(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" not in str(exc):
                raise
            return True
        return False
    return predicate


class Walk:
    """A browser walk that checks every page it shows with axe-core (and, on a phone, that nothing is
    wider than the screen), collecting the problems instead of stopping at the first."""

    def __init__(self, browser, url: str, width: int = DESKTOP[0]):
        self.b, self.url, self.width, self.problems, self.pages = browser, url, width, [], 0

    def check(self, name: str) -> None:
        self.pages += 1
        violations = axe_violations(self.b)
        if violations:
            self.problems.append(f"{name} ({self.b.current_url}): {describe(violations)}")
        wide = self.b.execute_script("return document.documentElement.scrollWidth")
        if self.width <= PHONE[0] and wide > self.width:
            self.problems.append(f"{name}: {wide} px wide on a {self.width} px phone")

    def open(self, path: str, name: str) -> None:
        self.b.get(self.url + path)
        self.check(name)

    def button(self, text: str):
        return self.b.find_element("xpath", f"//button[contains(normalize-space(.), '{text}')]")

    def link(self, text: str):
        return self.b.find_element("xpath", f"//a[contains(normalize-space(.), '{text}')]")

    def click(self, element, name: str | None = None) -> None:
        """Through to the next page; check it when it has a name."""
        click_through(self.b, element)
        if name is not None:
            self.check(name)

    def sign_in(self, name: str) -> None:
        from selenium.common.exceptions import WebDriverException

        for attempt in range(3):
            self.b.get(f"{self.url}/log-ind")
            try:
                self.click(self.button(f"Log ind som {name}"))
                break
            except WebDriverException:  # Chromium now and then loses the node it just found: once more
                self.b.get(f"{self.url}/")
                if "Goddag" in self.b.page_source:  # the click went through after all
                    break
                if attempt == 2:
                    raise
        assert "Goddag" in self.b.page_source, self.b.current_url

    def sign_out(self) -> None:
        self.click(self.button("Log ud"))

    def text(self) -> str:
        return self.b.find_element("tag name", "main").text

    def assert_clean(self) -> None:
        assert self.pages > 0
        assert not self.problems, "\n".join(self.problems)
