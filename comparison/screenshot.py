"""`python -m comparison.screenshot [PNG]`: a picture of the top of reports/comparison.html.

Headless Chromium driven by Playwright, in a 1400 by 1800 window, after `make compare`.
"""

import sys
from pathlib import Path

from .browser import screenshot
from .report import REPORTS

DEFAULT_OUTPUT = REPORTS.parent / "docs" / "screenshots" / "comparison.png"


def main(arguments: list[str]) -> int:
    """Take the screenshot; return the exit status."""
    page = REPORTS / "comparison.html"
    if not page.exists():
        print(f"comparison: no {page}; run `make compare` first", file=sys.stderr)
        return 1
    output = Path(arguments[0]) if arguments else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    screenshot(page, output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
