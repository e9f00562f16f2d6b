"""axe-core (the accessibility engine) in a Playwright page: WCAG 2.1 A and AA violations.

axe-core comes from the npm registry once per machine, into
``~/.cache/onewindow-test/axe`` (or ``$ONEWINDOW_AXE_CACHE``), under a file lock so
parallel test processes install it once. Nothing is fetched at run time by the page.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE_VERSION = "4"  # the major version: rules and their ids are stable within it
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "onewindow-test" / "axe"
    return Path(os.environ.get("ONEWINDOW_AXE_CACHE", default))


@functools.cache
def axe_source() -> str:
    """The text of axe.min.js, installed with npm the first time on this machine."""
    root = cache_dir()
    script = root / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        root.mkdir(parents=True, exist_ok=True)
        with (root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be installing it
            if not script.exists():
                npm = shutil.which("npm")
                if npm is None:
                    raise RuntimeError("npm is needed to fetch axe-core (apt-get install npm)")
                done = subprocess.run(
                    [npm, "install", "--no-save", "--no-audit", "--no-fund",
                     "--prefix", str(root), f"axe-core@{AXE_VERSION}"],
                    capture_output=True, text=True, timeout=600, check=False,
                )  # fmt: skip
                if done.returncode != 0 or not script.exists():
                    raise RuntimeError(f"npm install axe-core failed:\n{done.stderr[-2000:]}")
    return script.read_text(encoding="utf-8")


async def inject(page: Page) -> None:
    if await page.evaluate("typeof window.axe !== 'undefined'"):
        return
    # Evaluated by the test harness, not added as a script tag: the pages' strict
    # Content-Security-Policy refuses inline scripts, and says so on the console.
    await page.evaluate(axe_source() + "\n;true")


async def violations(
    page: Page, tags: tuple[str, ...] = WCAG_21_AA, context: str = "document"
) -> list[dict[str, Any]]:
    """What axe finds wrong on the page as it is now: [{id, impact, help, nodes: [...]}]."""
    await inject(page)
    found: list[dict[str, Any]] = await page.evaluate(
        """async ([context, tags]) => {
            const result = await axe.run(
                context === "document" ? document : document.querySelector(context),
                { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] },
            );
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
            }));
        }""",
        [context, list(tags)],
    )
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """Violations in words, for an assertion message."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"][:5]:
            lines.append(f"    {n['target']}: {n['summary']}")
    return "\n".join(lines)
