"""Open a self-contained HTML page in headless Chromium, offline, and check that it renders.

    check_page.py PAGE.html SCREENSHOT.png [--min-charts N] [--chromium PATH]

PAGE is opened from file:// (its absolute path) in Debian's Chromium (/usr/bin/chromium, or
PATH), driven by playwright from PyPI with a fresh profile and the network off: every request
that is not for a file: URL is aborted by routing, and every request other than the page itself
(file: or not; data: and blob: URLs excepted, as they never leave the page) is recorded and is a
failure. Console messages of type error and uncaught page errors are failures. After the load
event (and the page's fonts), every <svg> in the page must have a bounding box of non-zero width
and height, at least N of them (default 1) must be charts (an outermost <svg> inside a
<figure class="chart">), and each chart must draw something (its content's bounding box is not
empty). A full-page screenshot is written to SCREENSHOT whether or not the checks pass.

Standard output is a JSON summary: the page, the charts and every svg with their sizes, the
console errors, the requests, and the failures. Exit status 0 when every check passes; 1 when
one fails, with a line `FAIL: ...` for each on standard error; 2 for usage errors, a missing
page, or a browser that cannot be started or cannot load the page.
"""

import argparse
import json
import pathlib
import sys
import tempfile

# The flags this machine needs (see the README's testing section); playwright adds its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

# Every svg in the page, with its box, whether it is a chart (an outermost svg inside a
# figure.chart) and, for charts, the box of what it draws.
MEASURE = """
() => Array.from(document.querySelectorAll('svg')).map((svg, index) => {
  const r = svg.getBoundingClientRect();
  const chart = svg.closest('figure.chart') !== null && svg.parentElement.closest('svg') === null;
  let content = null;
  if (chart) {
    try {
      const b = svg.getBBox();
      content = {width: b.width, height: b.height};
    } catch (e) {
      content = {width: 0, height: 0, error: String(e)};
    }
  }
  const figure = svg.closest('figure');
  const caption = figure && figure.querySelector('figcaption');
  return {
    index,
    chart,
    id: svg.id || null,
    label: svg.getAttribute('aria-label') || (caption ? caption.textContent.trim() : null),
    width: r.width,
    height: r.height,
    content,
  };
})
"""


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=pathlib.Path)
    parser.add_argument("screenshot", type=pathlib.Path)
    parser.add_argument("--min-charts", type=int, default=1, metavar="N")
    parser.add_argument("--chromium", default="/usr/bin/chromium", metavar="PATH")
    args = parser.parse_args(argv)
    if args.min_charts < 0:
        parser.error("--min-charts must be 0 or more")
    page_path = args.page.resolve()
    if not page_path.is_file():
        print(f"error: no such page: {page_path}", file=sys.stderr)
        return 2
    url = page_path.as_uri()

    from playwright.sync_api import Error, sync_playwright

    requests = []  # every request other than the page itself, in order
    blocked = []  # those aborted by the routing (not file:)
    console_errors = []
    page_errors = []

    def is_page(u):
        return u.split("#", 1)[0] == url

    def on_request(request):
        u = request.url
        if not is_page(u) and not u.startswith(("data:", "blob:")):
            requests.append(u)

    def route(route):
        u = route.request.url
        if u.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(u)
            route.abort("internetdisconnected")

    def on_console(msg):
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
            console_errors.append(msg.text + where)

    try:
        with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="assay-chromium-") as profile:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=args.chromium,
                headless=True,
                args=CHROMIUM_ARGS,
                offline=True,
                service_workers="block",
                viewport={"width": 1280, "height": 800},
                timeout=TIMEOUT_MS,
            )
            try:
                context.on("request", on_request)
                context.on("websocket", lambda ws: requests.append(ws.url))
                context.route("**/*", route)
                page = context.pages[0] if context.pages else context.new_page()
                page.on("console", on_console)
                page.on("pageerror", lambda e: page_errors.append(str(e)))
                page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
                page.evaluate("() => document.fonts.ready.then(() => null)")
                # Two frames, so that layout after load has been painted.
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                svgs = page.evaluate(MEASURE)
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshot), full_page=True, timeout=TIMEOUT_MS)
            finally:
                context.close()
    except Error as e:
        print(f"error: the browser could not check {page_path}: {e}", file=sys.stderr)
        return 2

    charts = [s for s in svgs if s["chart"]]
    failures = []
    if len(charts) < args.min_charts:
        failures.append(
            f"{len(charts)} chart(s) found (an <svg> inside <figure class=\"chart\">), at least {args.min_charts} wanted"
        )
    for s in svgs:
        name = f"svg #{s['index']}" + (f" ({s['label']})" if s["label"] else "") + (" [chart]" if s["chart"] else "")
        if not (s["width"] > 0 and s["height"] > 0):
            failures.append(f"{name} renders at {s['width']:g}x{s['height']:g}: an empty box")
        elif s["content"] is not None and not (s["content"]["width"] > 0 or s["content"]["height"] > 0):
            failures.append(f"{name} draws nothing: its content's box is empty")
    for u in requests:
        failures.append(f"request for {u}" + (" (blocked: network off)" if u in blocked else ""))
    for e in console_errors:
        failures.append(f"console error: {e}")
    for e in page_errors:
        failures.append(f"page error: {e}")

    summary = {
        "page": str(page_path),
        "screenshot": str(args.screenshot.resolve()),
        "charts": len(charts),
        "min_charts": args.min_charts,
        "svgs": svgs,
        "requests": requests,
        "blocked": blocked,
        "console_errors": console_errors,
        "page_errors": page_errors,
        "failures": failures,
        "ok": not failures,
    }
    print(json.dumps(summary, indent=2))
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
