"""The HTML report in a real browser: headless Chromium renders it, charts and all, without a
console message. `.ci/run` installs Debian's chromium; elsewhere the test is skipped when
chromium is missing, unless CI is set."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from lxml import html

from pipeline.report.svg import PALETTE
from tests.report.helpers import report
from tests.report.png import decode

BROWSERS = ("chromium", "chromium-browser")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,2000",
    "--enable-logging=stderr",
    "--v=0",
)
WHITE = (255, 255, 255)


def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI is set: .ci/run should have installed it")
    pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")


def run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(profile)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_lines(stderr: str) -> list[str]:
    """Chromium logs each console message (errors, CSP refusals) as a CONSOLE line."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


@pytest.fixture
def browser() -> str:
    return chromium()


def test_chromium_renders_the_report(browser: str, hostile_warehouse: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    report(hostile_warehouse, "-o", str(page))
    url = page.resolve().as_uri()

    shot = tmp_path / "screenshot.png"
    taken = run_browser(browser, tmp_path / "profile-shot", f"--screenshot={shot}", url)
    dumped = run_browser(browser, tmp_path / "profile-dom", "--dump-dom", url)

    assert console_lines(taken.stderr + dumped.stderr) == []
    dom = html.fromstring(dumped.stdout)
    assert len(dom.xpath("//*[local-name()='svg']")) == 2
    assert len(dom.xpath("//*[local-name()='svg']//*[local-name()='rect']")) > 20
    assert not dom.xpath("//script | //img")
    assert "Top offenders" in dom.text_content()

    image = decode(shot.read_bytes(), max_rows=1200)
    assert (image.width, image.height) == (1280, 2000)
    pixels = Counter(image.pixels())
    inked = 1 - pixels[WHITE] / sum(pixels.values())
    assert inked > 0.03, f"page looks blank: {inked:.1%} of the top is not white"
    assert len(pixels) > 50, "too few colours for text, tables and charts"
    assert pixels[hex_rgb(PALETTE[0])] > 500, "the first chart colour is on screen"
