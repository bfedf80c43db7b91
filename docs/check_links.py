"""Check that every internal link of the built HTML resolves to a file and anchor.

Usage: ``python docs/check_links.py [docs/_build/html]``. Every ``href`` and
``src`` that is not an external URL (``http:``, ``https:``, ``mailto:``, ...) must
name a file inside the build, and a ``#fragment`` must name an ``id`` (or a
``name``) in the target page. Exits 1 and lists the broken links otherwise.
"""

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL_SCHEMES = {"http", "https", "mailto", "ftp", "data", "javascript"}


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.anchors = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.anchors.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and not (
                tag == "link" and key == "href" and attrs.get("rel") == "canonical"
            ):
                self.links.append((tag, attrs[key], self.getpos()[0]))


def parse(path, cache):
    if path not in cache:
        parser = LinkParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser
    return cache[path]


def check(root):
    root = Path(root).resolve()
    cache = {}
    broken = []
    pages = sorted(root.rglob("*.html"))
    n_links = 0
    for page in pages:
        for tag, link, line in parse(page, cache).links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL_SCHEMES or parts.netloc:
                continue
            n_links += 1
            where = f"{page.relative_to(root)}:{line}"
            target = page
            if parts.path:
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            if not target.is_relative_to(root):
                broken.append(f"{where}: {link} points outside the build")
                continue
            if not target.is_file():
                broken.append(f"{where}: {link} (no file {target.relative_to(root)})")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                if fragment not in parse(target, cache).anchors:
                    broken.append(f"{where}: {link} (no anchor #{fragment})")
    return pages, n_links, broken


def main(argv):
    root = argv[1] if len(argv) > 1 else "docs/_build/html"
    pages, n_links, broken = check(root)
    if not pages:
        print(f"check_links: no HTML pages in {root}", file=sys.stderr)
        return 1
    for problem in broken:
        print(f"broken link: {problem}", file=sys.stderr)
    print(
        f"check_links: {n_links} internal links in {len(pages)} pages, "
        f"{len(broken)} broken"
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
