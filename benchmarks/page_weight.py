"""Page weight of the demo round's start page, against a running server.

    codesign serve --demo --port 8000 &
    python benchmarks/page_weight.py --base http://127.0.0.1:8000 [--lang ar]

Prints the gzip-compressed bytes of the page and of every CSS and JS file it
loads, then one line `critical_gzip_bytes=C total_gzip_bytes=T`, where critical
is the HTML plus render-blocking CSS. Budgets: C <= 14 KB, T <= 40 KB.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin

CRITICAL_BUDGET = 14 * 1024
TOTAL_BUDGET = 40 * 1024


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self.js: list[tuple[str, bool]] = []  # (url, blocks rendering)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.css.append(values["href"])
        if tag == "script" and values.get("src"):
            deferred = "defer" in values or "async" in values or values.get("type") == "module"
            self.js.append((values["src"], not deferred))


def fetch(url: str, lang: str) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(  # noqa: S310 - a URL given by the person running it
        url, headers={"accept-language": lang, "accept-encoding": "identity"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.read(), dict(response.headers)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--path", default="/r/demo")
    parser.add_argument("--lang", default="en")
    args = parser.parse_args(argv)

    page_url = urljoin(args.base, args.path)
    html, _ = fetch(page_url, args.lang)
    found = Assets()
    found.feed(html.decode("utf-8"))
    critical = gz(html)
    total = critical
    print(f"{'html':6} {gz(html):>7} B gzip  {len(html):>7} B raw  {args.path}")
    for href in found.css:
        body, headers = fetch(urljoin(page_url, href), args.lang)
        size = gz(body)
        critical += size
        total += size
        print(f"{'css':6} {size:>7} B gzip  {len(body):>7} B raw  {href}  "
              f"(blocks rendering; cache-control: {headers.get('cache-control')})")
    for src, blocking in found.js:
        body, headers = fetch(urljoin(page_url, src), args.lang)
        size = gz(body)
        total += size
        if blocking:
            critical += size
        print(f"{'js':6} {size:>7} B gzip  {len(body):>7} B raw  {src}  "
              f"({'BLOCKS rendering' if blocking else 'deferred'}; "
              f"cache-control: {headers.get('cache-control')})")
    ok = critical <= CRITICAL_BUDGET and total <= TOTAL_BUDGET
    print(f"budgets: critical <= {CRITICAL_BUDGET}, total <= {TOTAL_BUDGET}: "
          + ("within" if ok else "OVER"))
    print(f"critical_gzip_bytes={critical} total_gzip_bytes={total}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
