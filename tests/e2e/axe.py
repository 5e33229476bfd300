"""axe-core in the browser tests: every page a journey loads is checked for serious and critical
accessibility violations.

axe-core comes from the npm registry (`package.json`/`package-lock.json`, `npm ci` run by the
Makefile's `node_modules/.installed` stamp into the git-ignored `node_modules/`); it is never
fetched from a CDN. It is put in each page as a Playwright init script, which runs through the
DevTools protocol: a `<script>` tag (`page.add_script_tag`) would be inline script that the
portal's own Content-Security-Policy (`script-src 'self'`) blocks.

`AxeAudit.attach(context)` checks every top-level page of the context once it has loaded and
sends the findings back through a binding; `axe_check(page)` checks the current page now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Findings are reduced in the page: the rule, its impact, its help text and the first targets.
_SUMMARISE = """
(violations) => violations
  .filter((v) => ['serious', 'critical'].includes(v.impact))
  .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}))
"""

_ON_LOAD = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  window.addEventListener('load', () => setTimeout(async () => {
    let found;
    try {
      const result = await window.axe.run(document, {resultTypes: ['violations']});
      found = (__SUMMARISE__)(result.violations);
    } catch (error) {
      found = [{id: 'axe-error', impact: 'critical', help: String(error), targets: []}];
    }
    // Settled once the test process has recorded the findings (axe_settled waits for it).
    await window.__portalAxeReport(location.href, found);
    window.__portalAxeSettled = true;
  }, 0));
})();
""".replace("__SUMMARISE__", _SUMMARISE)


def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed ({AXE_JS} is missing): run `npm ci` in the "
                    "checkout (`make test` does it).", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


def describe(url: str, violations: list[dict[str, Any]]) -> str:
    return f"{url}:\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']} at {', '.join(v['targets'])}" for v in violations)


@dataclass
class AxeAudit:
    """The pages a browser context loaded and the serious/critical violations axe found there."""

    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, context: Any) -> AxeAudit:
        audit = cls()
        context.expose_binding("__portalAxeReport",
                               lambda _source, url, found: audit.record(url, found))
        context.add_init_script(axe_source() + "\n" + _ON_LOAD)
        return audit

    def record(self, url: str, violations: list[dict[str, Any]]) -> None:
        self.checked.append(url)
        if violations:
            self.failures.append(describe(url, violations))

    def assert_clean(self) -> None:
        assert not self.failures, "axe-core found serious or critical violations on " + (
            "\n".join(self.failures))


# True once the load-time check of the page has been recorded, or when it gets none (a frame, a
# page that is not http(s) such as about:blank).
_SETTLED = """
() => window.__portalAxeSettled === true || window.top !== window
  || !/^https?:$/.test(location.protocol)
"""


def axe_settled(page: Any, *, timeout: float = 10_000) -> None:
    """Wait until the load-time check of the page (AxeAudit) has reported: a page that is still
    loading gets its check once its load event fired (no fixed wait that a loaded machine
    outruns, or that an idle one spends for nothing)."""
    page.wait_for_function(_SETTLED, timeout=timeout)


def axe_check(page: Any) -> None:
    """Run axe on the page as it is now and fail on any serious or critical violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations = page.evaluate(
        f"async () => ({_SUMMARISE})((await window.axe.run(document, "
        "{resultTypes: ['violations']})).violations)")
    assert not violations, "axe-core: " + describe(page.url, violations)

