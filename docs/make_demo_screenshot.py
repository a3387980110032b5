"""Make docs/demo.png: start `tinyt2v demo`, type a prompt, generate, screenshot the page.

    python docs/make_demo_screenshot.py [--prompt "..."]
Needs Debian's chromium and the playwright package (both installed by .ci/run).
"""
import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--prompt", default="a large blue square rotating clockwise")
    ap.add_argument("--out", default=str(Path(__file__).parent / "demo.png"))
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "tinyt2v", "demo", "--port", str(port)])
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 820})
            page.goto(url)
            page.locator("#prompt textarea").fill(args.prompt)
            page.locator("#generate").click()
            page.wait_for_function(
                "document.querySelector('#verdict').innerText.includes('the judge sees')")
            time.sleep(1.0)  # let the video show its first frames
            page.screenshot(path=args.out, full_page=True)
            browser.close()
        print(f"wrote {args.out}")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
