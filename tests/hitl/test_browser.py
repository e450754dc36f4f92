"""The review flow in a real browser: Debian's chromium driven by Playwright, headless.

Screenshots of the queue and the detail page go to ``SCIDISCO_ARTIFACTS`` (default
``.artifacts/``)/hitl.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from hitl import service
from hitl.settings import Settings
from hitl.web.app import create_app
from tests.hitl.hitl_helpers import PASSWORD, missing_service

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = (
    Path(os.environ.get("SCIDISCO_ARTIFACTS", Path(__file__).resolve().parents[2] / ".artifacts"))
    / "hitl"
)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Skip without Debian's chromium, or fail when SCIDISCO_REQUIRE_SERVICES=1 (CI)."""
    if not CHROMIUM.exists():
        missing_service(
            f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(loaded: str) -> Iterator[str]:
    """The app under uvicorn on a loopback port, in a thread of this process."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(Settings(env="development", db_url=loaded)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_review_flow_in_chromium(
    server: str, loaded: str, hyps, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    backend = "postgres" if loaded.startswith("postgresql") else "sqlite"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_context(
            viewport={"width": 1300, "height": 900}, accept_downloads=True
        ).new_page()

        # Log in: the queue redirects to the login page and back.
        page.goto(f"{server}/hypotheses")
        expect(page).to_have_url(f"{server}/login?next=%2Fhypotheses")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        expect(page.locator("h1")).to_contain_text("18 match")
        page.screenshot(path=str(ARTIFACTS / f"queue-{backend}.png"), full_page=True)

        # Filter the queue by entity, then open a hypothesis.
        page.fill("input[name=entity]", "lithium")
        page.click("#filters button:has-text('Apply')")
        expect(page.locator("h1")).to_contain_text("3 match")
        page.click("text=lithium induces hypertension")
        expect(page.locator("#hypothesis-text")).to_have_text("lithium induces hypertension")
        # PMID 1378968's 26 annotated mentions, the 14 of lithium (also "Li") and the 2 of
        # hypertension emphasised; chemicals green (#d5f0dc), diseases orange (#fde1cc).
        marks, focus = page.locator(".passage mark"), page.locator(".passage mark.focus")
        expect(marks).to_have_count(26)
        expect(focus).to_have_count(16)
        expect(focus.nth(9)).to_have_text("Li")
        expect(focus.nth(11)).to_have_text("hypertension")
        expect(marks.first).to_have_css("background-color", "rgb(213, 240, 220)")
        expect(marks.first).to_have_css("font-weight", "700")
        expect(marks.nth(1)).to_have_text("chronic renal failure")
        expect(marks.nth(1)).to_have_css("background-color", "rgb(253, 225, 204)")
        expect(marks.nth(1)).to_have_css("font-weight", "400")
        expect(page.locator("#evidence a").first).to_have_attribute(
            "href", "https://pubmed.ncbi.nlm.nih.gov/1378968/"
        )

        # Accept with a comment and see the audit entry.
        page.fill("#decision-form textarea[name=comment]", "Dose-dependent in two cohorts")
        page.click("#decision-form button[value=accept]")
        expect(page.locator(".flash")).to_have_text("Recorded: accept.")
        expect(page.locator("#status")).to_have_text("accepted")
        entry = page.locator("#history tbody tr").first
        expect(entry).to_contain_text("alice")
        expect(entry).to_contain_text("accept")
        expect(entry).to_contain_text("Dose-dependent in two cohorts")

        # Record the lab's outcome.
        page.select_option("#outcome-form select[name=result]", "confirmed")
        page.fill("#outcome-form input[name=lab]", "Lab B")
        page.click("#outcome-form button")
        expect(page.locator(".flash")).to_have_text("Outcome recorded: confirmed.")
        expect(page.locator("#outcomes")).to_contain_text("Lab B")
        page.screenshot(path=str(ARTIFACTS / f"detail-{backend}.png"), full_page=True)

        # Export the accepted selection as CSV.
        page.goto(f"{server}/hypotheses?status=accepted")
        expect(page.locator("h1")).to_contain_text("1 match")
        with page.expect_download() as info:
            page.click("#export-csv")
        lines = Path(info.value.path()).read_text().strip().splitlines()
        with page.expect_download() as info:
            page.click("#export-json")
        records = json.loads(Path(info.value.path()).read_text())
        browser.close()

    assert lines[0].startswith("id,text,subject_id") and len(lines) == 2
    assert (
        "lithium induces hypertension" in lines[1] and "Dose-dependent in two cohorts" in lines[1]
    )
    assert [(r["text"], r["status"], r["reviewer"], r["outcome"]) for r in records] == [
        ("lithium induces hypertension", "accepted", "alice", "true")
    ]
    outcome = service.recorded_outcome(loaded, hyps[4].id)
    assert outcome is not None and outcome.confirmed is True and outcome.lab == "Lab B"
