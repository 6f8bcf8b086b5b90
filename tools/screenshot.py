"""The README pictures from a running Odoo with the demo data (tools/screenshots.sh).

    "$VENV/bin/python" tools/screenshot.py --db billing_coordinator \
        --url http://127.0.0.1:8069

Logs in as admin over JSON-RPC, drives one headless Chromium over its DevTools protocol
and writes into ``docs/``:

- ``my_queue.png``, ``case_form.png``, ``resolve_wizard.png``, ``dashboard.png``: web
  client pages (the resolve wizard opened with the case's *Resolve* button);
- ``case_form_de.png``, ``dashboard_de.png``: the same in German (admin's language is
  switched to de_DE for them and set back afterwards; German must be loaded, e.g. once
  with ``BC_LANG=de_DE ./dev run``, else the script says so);
- ``statement.png``: page 1 of a demo customer's statement PDF (``pdftoppm``);
- ``aging_xlsx.png``: the AR aging XLSX opened with LibreOffice headless (converted to
  PDF, page 1 through ``pdftoppm``), or drawn by ``tools/xlsx_preview.py`` when
  LibreOffice is not installed (the script says which).

Needs chromium, poppler-utils and the venv's requests and websocket-client.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import requests
import websocket

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_JS = (
    "!!(window.odoo && odoo.isReady)"
    " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
    " && !!document.querySelector('.o_action_manager .o_action,"
    " .o_action_manager .o_view_controller')"
)


class Odoo:
    """JSON-RPC as admin: records to show, the language switch, report downloads."""

    def __init__(self, url, db, login, password):
        self.url = url
        self.session = requests.Session()
        result = self._post(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        self.uid = result["uid"]

    def _post(self, path, params):
        answer = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=300,
        ).json()
        if "error" in answer:
            raise SystemExit(
                f"{path}: {answer['error'].get('data', {}).get('message')}"
            )
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self._post(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def download(self, path):
        response = self.session.get(self.url + path, timeout=600)
        response.raise_for_status()
        return response.content

    @property
    def session_id(self):
        return self.session.cookies["session_id"]


class Browser:
    """One headless Chromium for every page."""

    def __init__(self, url, session_id, width, height, port):
        self.url = url
        self.profile = tempfile.mkdtemp(prefix="bc-shots-")
        self.chrome = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        tabs = None
        for _ in range(150):
            try:
                tabs = requests.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
                break
            except requests.RequestException:
                time.sleep(0.2)
        if not tabs:
            self.close()
            raise SystemExit("chromium did not start")
        page = next(tab for tab in tabs if tab["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], suppress_origin=True
        )
        self.counter = 0
        self.cmd("Network.enable")
        self.cmd("Runtime.enable")
        self.cmd("Network.setCookie", name="session_id", value=session_id, url=url)
        self.cmd(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def cmd(self, method, **params):
        self.counter += 1
        self.ws.send(
            json.dumps({"id": self.counter, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.counter:
                return message

    def evaluate(self, expression):
        result = self.cmd("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"]["result"].get("value")

    def wait(self, expression, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.3)
        return False

    def shot(self, path, out, click=None, wait_for=None):
        """Open ``path``, optionally click the ``click`` selector and wait for
        ``wait_for``, then save the page as ``out``."""
        self.cmd("Page.navigate", url=self.url + path)
        time.sleep(0.5)
        ready = self.wait(READY_JS)
        if ready and click:
            self.evaluate(f"document.querySelector({json.dumps(click)}).click()")
            time.sleep(0.5)
            ready = self.wait(
                f"!!document.querySelector({json.dumps(wait_for)})"
                " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
            )
        time.sleep(1.5)  # charts and fonts settle
        data = self.cmd("Page.captureScreenshot", format="png")["result"]["data"]
        with open(out, "wb") as png:
            png.write(base64.b64decode(data))
        print(f"[shots] {'ok     ' if ready else 'TIMEOUT'} {out}")
        return ready

    def close(self):
        self.chrome.terminate()
        self.chrome.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def pdf_page_png(pdf_path, out, resolution=80):
    """Page 1 of ``pdf_path`` as the PNG ``out``."""
    stem = out[: -len(".png")]
    subprocess.run(
        ["pdftoppm", "-png", "-f", "1", "-l", "1", "-r", str(resolution), "-singlefile"]
        + [pdf_path, stem],
        check=True,
    )
    print(f"[shots] ok      {out}")


def xlsx_png(xlsx_path, out, tmp):
    """The XLSX as LibreOffice shows it; xlsx_preview.py without LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        subprocess.run(
            [soffice, "--headless", f"-env:UserInstallation=file://{tmp}/lo-profile"]
            + ["--convert-to", "pdf", "--outdir", tmp, xlsx_path],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=300,
        )
        pdf = os.path.splitext(xlsx_path)[0] + ".pdf"
        pdf_page_png(pdf, out, resolution=90)
        return "LibreOffice"
    print(
        "[shots] LibreOffice (soffice) is not installed: "
        "drawing the XLSX with xlsx_preview.py"
    )
    subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", "xlsx_preview.py"), xlsx_path, out]
        + ["--rows", "25"],
        check=True,
    )
    return "xlsx_preview.py"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=os.path.join(REPO, "docs"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument(
        "--port", type=int, default=9350, help="Chromium's debugging port"
    )
    args = parser.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)

    odoo = Odoo(args.url, args.db, args.login, args.password)
    # A demo case that can be resolved: open, with an invoice, first in the queue.
    cases = odoo.call(
        "billing.case",
        "search_read",
        [("state", "in", ["new", "in_progress"]), ("move_ids", "!=", False)],
        fields=["id", "name", "partner_id"],
        order="priority_score desc, id",
        limit=1,
    ) or odoo.call(
        "billing.case", "search_read", [], fields=["id", "name", "partner_id"], limit=1
    )
    if not cases:
        raise SystemExit("no billing case in the database: is it the demo database?")
    case = cases[0]
    case_path = f"/odoo/billing-cases/{case['id']}"
    user_lang = odoo.call("res.users", "read", [odoo.uid], ["lang"])[0]["lang"]
    german = odoo.call(
        "res.lang", "search_count", [("code", "=", "de_DE"), ("active", "=", True)]
    )

    browser = Browser(args.url, odoo.session_id, args.width, args.height, args.port)
    try:
        if user_lang != "en_US":
            odoo.call("res.users", "write", [odoo.uid], {"lang": "en_US"})
        browser.shot("/odoo/billing-queue", os.path.join(out, "my_queue.png"))
        browser.shot(case_path, os.path.join(out, "case_form.png"))
        browser.shot(
            case_path,
            os.path.join(out, "resolve_wizard.png"),
            click="button[name='action_open_resolve_wizard']",
            wait_for=".modal .o_form_view",
        )
        browser.shot("/odoo/billing-dashboard", os.path.join(out, "dashboard.png"))
        if german:
            odoo.call("res.users", "write", [odoo.uid], {"lang": "de_DE"})
            browser.shot(case_path, os.path.join(out, "case_form_de.png"))
            browser.shot(
                "/odoo/billing-dashboard", os.path.join(out, "dashboard_de.png")
            )
        else:
            print(
                "[shots] German is not loaded in this database: run "
                "BC_LANG=de_DE ./dev run once (then BC_LANG=en_US); "
                "the German pictures are skipped"
            )
    finally:
        odoo.call("res.users", "write", [odoo.uid], {"lang": user_lang})
        browser.close()

    # A new session for the documents: the web client's session took admin's German.
    odoo = Odoo(args.url, args.db, args.login, args.password)
    with tempfile.TemporaryDirectory(prefix="bc-shots-") as tmp:
        # The statement of the case's customer, page 1.
        pdf = os.path.join(tmp, "statement.pdf")
        with open(pdf, "wb") as file:
            file.write(
                odoo.download(
                    f"/report/pdf/billing_coordinator.report_customer_statement/"
                    f"{case['partner_id'][0]}"
                )
            )
        pdf_page_png(pdf, os.path.join(out, "statement.png"))
        # The AR aging XLSX as of today, with the open items, every company.
        companies = odoo.call("res.company", "search", [])
        wizard = odoo.call(
            "billing.aging.report",
            "create",
            {"company_ids": [(6, 0, companies)], "detail": True},
        )
        xlsx = os.path.join(tmp, "aging.xlsx")
        with open(xlsx, "wb") as file:
            file.write(
                odoo.download(f"/report/xlsx/billing_coordinator.aging_xlsx/{wizard}")
            )
        how = xlsx_png(xlsx, os.path.join(out, "aging_xlsx.png"), tmp)
        print(f"[shots] the aging XLSX drawn by {how}")


if __name__ == "__main__":
    main()
