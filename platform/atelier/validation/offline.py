"""Make reports readable offline: no stylesheet, script, font or image fetched from the network.

Great Expectations' Data Docs link Bootstrap, jQuery, DataTables, Font Awesome and Vega from
CDNs. Offline (a CI artifact, a laptop on a train) those pages lose their layout. We replace
every external ``<link>``/``<script>`` by one inlined stylesheet that gives the pages a
readable layout (tables, cards, navigation) and drop external references from inline CSS.
The pages stay static HTML; interactive table sorting is the one thing lost.
"""

from __future__ import annotations

import re
from pathlib import Path

EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)
_LINK = re.compile(r"<link\b[^>]*href=[\"'](?:https?:)?//[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(
    r"<script\b[^>]*src=[\"'](?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE | re.DOTALL
)
_IMG = re.compile(r"<img\b[^>]*src=[\"'](?:https?:)?//[^>]*>", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", re.IGNORECASE)
_IMPORT = re.compile(r"@import\s+url\([^)]*\)\s*;?", re.IGNORECASE)
_ANCHOR = re.compile(r"""(<a\b[^>]*?)\shref=["'](?:https?:)?//[^"']*["']""", re.IGNORECASE)

STYLE = """<style id="atelier-offline">
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#f7f7f9}
.container-fluid,.container{padding:1rem 2rem}
nav,.navbar{background:#23395b;color:#fff;padding:.6rem 2rem}nav a,.navbar a{color:#fff}
.card{background:#fff;border:1px solid #ddd;border-radius:4px;margin:0 0 1rem;padding:.6rem 1rem}
.card-header{font-weight:600;border-bottom:1px solid #eee;margin-bottom:.5rem}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{padding:.3rem .6rem;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
.row{display:flex;flex-wrap:wrap;gap:1rem}.col-md-2,.col-md-3{flex:0 0 20%}.col-md-9,.col-md-10{flex:1}
.text-danger,.fa-times{color:#c0392b}.text-success,.fa-check-circle{color:#2a9d55}
code,pre{background:#f1f1f4;padding:0 .2rem;white-space:pre-wrap}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;background:#e7e7ee}
.collapse:not(.show){display:block}.d-none{display:none}
</style>"""


def strip_external(page: str) -> str:
    """The page without network references, with the offline stylesheet."""
    page = _LINK.sub("", page)
    page = _SCRIPT.sub("", page)
    page = _IMG.sub("", page)
    page = _IMPORT.sub("", page)
    page = _CSS_URL.sub("none", page)
    page = _ANCHOR.sub(r"\1", page)
    if "</head>" in page and "atelier-offline" not in page:
        page = page.replace("</head>", STYLE + "</head>", 1)
    return page


def external_urls(page: str) -> list[str]:
    """Every network URL a page still references (attributes, CSS, scripts)."""
    found = []
    for match in EXTERNAL.finditer(page):
        start = match.start()
        before = page[max(0, start - 12) : start]
        # namespace and JSON-schema identifiers (inline SVG, Vega specs) are never fetched
        if (
            "xmlns" in before
            or "$schema" in before
            or match.group(0).startswith(("http://www.w3.org", "//www.w3.org"))
        ):
            continue
        found.append(match.group(0))
    return found


def make_self_contained(root: Path) -> list[Path]:
    """Rewrite every HTML file under ``root``; return the files changed."""
    changed = []
    for path in [*root.rglob("*.html"), *root.rglob("*.css")]:
        page = path.read_text(encoding="utf-8")
        fixed = strip_external(page)
        if fixed != page:
            path.write_text(fixed, encoding="utf-8")
            changed.append(path)
    return changed
