"""End to end in a real headless Chromium: log in to the dashboard and open the red/black list."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from plaintrail.cli import main

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser_paths() -> tuple[str, str]:
    done = subprocess.run([str(ROOT / "infra" / "chromium.sh")], capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        pytest.fail(f"Chromium could not be installed: {done.stderr[-2000:]}")
    chromium, driver = done.stdout.strip().splitlines()[-2:]
    return chromium, driver


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "home"
    data = str(tmp_path / "d")
    assert main(["--home", str(home), "demo-data", "--outlets", "40", "--months", "3", "--out", data]) == 0
    assert main(["--home", str(home), "org", "load", str(tmp_path / "d" / "bank.yaml")]) == 0
    assert main(["--home", str(home), "import", str(tmp_path / "d" / "actions.jsonl")]) == 0
    assert main(["--home", str(home), "users", "demo"]) == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "--home", str(home), "dashboard", "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the dashboard and its streamlit child, by process group id
        server.wait(timeout=30)


def test_manager_logs_in_and_sees_the_red_black_list(browser_paths: tuple[str, str], dashboard: str,
                                                      tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, driver_path = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(dashboard)
        wait = WebDriverWait(driver, 60)
        inputs = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "input[type='text'], input[type='password']")
                            if len(d.find_elements(By.CSS_SELECTOR, "input")) >= 2 else False)
        inputs[0].send_keys("manager")
        driver.find_element(By.CSS_SELECTOR, "input[type='password']").send_keys("plaintrail-manager")
        driver.find_element(By.XPATH, "//button[.//p[text()='Login'] or text()='Login']").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Black list"))
        time.sleep(2)  # let the tables draw before the picture
        shot = tmp_path / "red-black-list.png"
        driver.save_screenshot(str(shot))
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "红黑榜" in body and "Red list" in body and "manager" in body
        assert shot.stat().st_size > 20_000
    finally:
        driver.quit()
