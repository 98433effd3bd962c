#!/usr/bin/python3
"""Drives the mediator console in headless Debian Chromium (chromium-driver + python3-selenium).

Two mediators: anna claims REF1 and closes it; if given, bruno opens REF2, anna claims it first, and
bruno's claim is refused with the console's message. Then the browser's own defences: the CSP blocks
an inline script injected into a console page, a login form posted from another origin is refused,
and after anna logs out the back button shows no personal data (--name: the name sealed in REF2).
Exit status 0 only if all of that happened.
A screenshot of the queue at a phone's size (390x844) goes to OUT/queue.png.
usage: console_claim.py --url URL --ref1 REF [--ref2 REF --name NAME] --out DIR
"""
import argparse, http.server, os, socketserver, sys, tempfile, threading
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import TimeoutException


def browser(width, height, javascript=True):
    o = webdriver.ChromeOptions()
    if not javascript:
        o.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="sportello-chromium-"), f"--window-size={width},{height}"]:
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def login(d, url, user, password):
    d.get(url + "/console/login")
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.TAG_NAME, "button").click()
    expect(d, "<h1>Richieste</h1>", f"{user}: login did not reach the queue")


def expect_id(d, element_id, what):
    """Waits (at most 10 s) for an element with this id."""
    try:
        WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.ID, element_id))
    except TimeoutException:
        sys.exit("console: " + what + "\n--- page ---\n" + d.page_source[:1500])


def expect(d, text, what):
    """Waits (at most 10 s) for text on the page: a click's navigation completes after click() returns."""
    try:
        WebDriverWait(d, 10).until(lambda drv: text in drv.page_source)
    except TimeoutException:
        sys.exit("console: " + what + "\n--- page ---\n" + d.page_source[:1500])


def attacker_site(target):
    """Serves, on another origin (localhost instead of 127.0.0.1), a page that posts anna's login."""
    page = (f"<form id=f method=post action='{target}/console/login'><input name=user value=anna>"
            "<input name=password value=password-anna><button id=go>go</button></form>").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://localhost:{server.server_address[1]}/"


def browser_defences(anna, bruno, a):
    # CSP: an inline script put into the page (as an XSS would) does not run.
    ran = anna.execute_script(
        "window.__ran = false; var s = document.createElement('script');"
        "s.textContent = 'window.__ran = true'; document.body.appendChild(s); return window.__ran;")
    if ran:
        sys.exit("console: an injected inline script ran despite the CSP")
    # A login posted from another origin is refused (login CSRF), and no session cookie is set.
    server, attacker = attacker_site(a.url)
    try:
        bruno.delete_all_cookies()
        bruno.get(attacker)
        bruno.find_element(By.ID, "go").click()
        expect(bruno, "altro sito", "a cross-origin login POST was not refused")
    finally:
        server.shutdown()
    # Logout, then back: the page with the name must not come back from any cache.
    anna.get(a.url + "/console/")
    anna.find_element(By.ID, a.ref2).click()
    expect_id(anna, "logout", "anna's request page has no logout button")
    if a.name and a.name not in anna.page_source:
        sys.exit("console: anna does not see the name on her own request")
    anna.find_element(By.ID, "logout").click()
    expect(anna, "Sei uscito", "anna's logout did not reach the login page")
    anna.back()
    try:
        WebDriverWait(anna, 10).until(lambda drv: "Sportello – mediatori" in drv.page_source)
    except TimeoutException:
        sys.exit("console: back after logout did not return to the login\n" + anna.page_source[:1500])
    if a.name and a.name in anna.page_source:
        sys.exit("console: back after logout shows the visitor's name")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--ref1", required=True)
    p.add_argument("--ref2", help="a second request for the two-mediator race (optional)")
    p.add_argument("--name", help="the name sealed in the second request (back-button check)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    # bruno's pages stay as they were loaded, without the live queue's script: his claim button is then
    # still there after anna's claim, as on a phone that missed the update, and the hub must refuse it.
    anna, bruno = browser(390, 844), browser(390, 844, javascript=False)
    try:
        login(anna, a.url, "anna", "password-anna")
        expect(anna, a.ref1, "queue lacks the first request")
        if a.ref2:
            expect(anna, a.ref2, "queue lacks the second request")
        anna.save_screenshot(os.path.join(a.out, "queue.png"))
        anna.find_element(By.ID, a.ref1).click()
        expect_id(anna, "claim", "anna sees no claim button")
        anna.find_element(By.ID, "claim").click()
        expect(anna, "presa in carico", "anna's claim was not confirmed")
        expect_id(anna, "done", "anna sees no close button")
        anna.find_element(By.ID, "done").click()
        expect(anna, "Richiesta chiusa", "anna could not close the request")
        if not a.ref2:
            print("console: claim and close as expected")
            return

        login(bruno, a.url, "bruno", "password-bruno")
        bruno.find_element(By.ID, a.ref2).click()         # bruno has the claim button on screen...
        expect_id(bruno, "claim", "bruno sees no claim button")
        anna.get(a.url + "/console/")
        anna.find_element(By.ID, a.ref2).click()
        expect_id(anna, "claim", "anna sees no claim button")
        anna.find_element(By.ID, "claim").click()          # ...but anna is first
        expect(anna, "presa in carico", "anna's second claim was not confirmed")
        bruno.find_element(By.ID, "claim").click()
        expect(bruno, "già presa da anna", "bruno's late claim was not refused")
        bruno.save_screenshot(os.path.join(a.out, "refused.png"))
        browser_defences(anna, bruno, a)
    finally:
        anna.quit()
        bruno.quit()
    print("console: claim, close and refusal all as expected")


if __name__ == "__main__":
    main()
