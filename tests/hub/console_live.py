#!/usr/bin/python3
"""The live console in headless Debian Chromium (chromium-driver + python3-selenium).

anna keeps the queue open; a kiosk uploads a request (this script speaks the kiosk API with the
kiosk's token; the sealed box is random bytes, opened by nobody here) and the row appears without a
reload; bruno (a plain HTTP client) claims it and anna's queue shows it taken. anna keeps another
request's page open: bruno claims it, then closes it, and the page follows each step. Without
JavaScript, the "Aggiorna" link shows a new request. A page that navigated (a reload) would lose
the marker set on it, so "without a reload" is checked, not assumed.
Exit status 0 only if all of that happened.
usage: console_live.py --url URL --token KIOSK_TOKEN --out DIR [--bound SECONDS]
"""
import argparse, base64, random, datetime, http.cookiejar, json, os, re, sys, tempfile, urllib.parse, urllib.request, uuid
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import TimeoutException

a = None


def browser(javascript=True):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + tempfile.mkdtemp(prefix="sportello-chromium-"), "--window-size=390,844"]:
        o.add_argument(arg)
    if not javascript:
        o.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def fail(d, what):
    sys.exit("console-live: " + what + "\n--- page ---\n" + (d.page_source[:2500] if d else ""))


def wait(d, condition, what, bound=None):
    """Waits for a condition, at most `bound` seconds (default: --bound)."""
    try:
        WebDriverWait(d, bound or a.bound, poll_frequency=0.05).until(lambda drv: condition(drv))
    except TimeoutException:
        fail(d, what)


def upload(lang="ar", topic="health"):
    """A kiosk's upload, as the uploader sends it. Returns (id, ref)."""
    rid = str(uuid.uuid4())
    ref = "GR1-" + "".join(random.choice("BCDFGHJKLMNPQRSTVWXZ23456789") for _ in range(6))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps({"id": rid, "ref": ref, "kiosk": "GR-01", "created_at": now, "lang": lang, "topic": topic,
                       "contact": "phone", "sealed": base64.b64encode(os.urandom(96)).decode()}).encode()
    req = urllib.request.Request(a.url + "/api/v1/requests", data=body, headers={
        "Authorization": "Bearer " + a.token, "Idempotency-Key": rid, "Content-Type": "application/json"})
    if urllib.request.urlopen(req).status != 201:
        sys.exit("console-live: the kiosk's upload was not stored")
    return rid, ref


class Mediator:
    """A mediator's console session over plain HTTP (another mediator, at another desk)."""

    def __init__(self, user):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        data = urllib.parse.urlencode({"user": user, "password": "password-" + user}).encode()
        self.opener.open(a.url + "/console/login", data=data)

    def act(self, rid, what):
        page = self.opener.open(a.url + "/console/request/" + rid).read().decode()
        csrf = re.search(r"name=csrf value='([^']+)'", page).group(1)
        self.opener.open(a.url + "/console/request/%s/%s" % (rid, what), data=("csrf=" + csrf).encode())


def login(d, user):
    d.get(a.url + "/console/login")
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys("password-" + user)
    d.find_element(By.TAG_NAME, "button").click()
    wait(d, lambda drv: "<h1>Richieste</h1>" in drv.page_source, user + ": login did not reach the queue", 10)


def live_open(d):
    """The page's script connected its event stream; marks the page to detect a reload later."""
    wait(d, lambda drv: drv.execute_script("return document.documentElement.getAttribute('data-live-state')") == "open",
         "the page's event stream did not open", 10)
    d.execute_script("window.__sportelloMarker = 42")


def not_reloaded(d, what):
    if d.execute_script("return window.__sportelloMarker") != 42:
        fail(d, what + ": the page was reloaded instead of updated")


def row_state(drv, rid):
    """The state of a request's row, read in one script call (the row may be swapped at any time)."""
    return drv.execute_script("var r = document.getElementById(arguments[0]); return r && r.getAttribute('data-state')",
                              "row-" + rid)


def row_text(drv, rid):
    return drv.execute_script("var r = document.getElementById(arguments[0]); return r ? r.textContent : ''",
                              "row-" + rid)


def state_of_page(drv):
    return drv.execute_script("var s = document.getElementById('state'); return s && s.getAttribute('data-state')")


def has_id(drv, element_id):
    return drv.execute_script("return !!document.getElementById(arguments[0])", element_id)


def main():
    global a
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--bound", type=float, default=2.0)
    a = p.parse_args()
    anna = browser()
    plain = browser(javascript=False)
    try:
        login(anna, "anna")
        bruno = Mediator("bruno")
        live_open(anna)
        # 1. A kiosk's upload shows in the open queue.
        rid, ref = upload()
        wait(anna, lambda drv: row_state(drv, rid) == "received", "the upload did not show in the open queue")
        not_reloaded(anna, "new request")
        if "arabo" not in row_text(anna, rid):
            fail(anna, "the queue does not name the language")
        anna.save_screenshot(os.path.join(a.out, "live-queue.png"))
        # 2. Another mediator claims it: the queue shows it taken.
        bruno.act(rid, "claim")
        wait(anna, lambda drv: row_state(drv, rid) == "in_progress" and "bruno" in row_text(drv, rid),
             "the claim by bruno did not show in the open queue")
        not_reloaded(anna, "claim")
        # 3. A request's page follows its claim and its close.
        rid2, ref2 = upload(lang="uk", topic="school")
        anna.get(a.url + "/console/request/" + rid2)
        wait(anna, lambda drv: drv.find_elements(By.ID, "claim"), "anna sees no claim button", 10)
        live_open(anna)
        bruno.act(rid2, "claim")
        wait(anna, lambda drv: state_of_page(drv) == "in_progress" and not has_id(drv, "claim"),
             "the request's page did not follow the claim")
        not_reloaded(anna, "request page, claim")
        bruno.act(rid2, "done")
        wait(anna, lambda drv: state_of_page(drv) == "done",
             "the request's page did not follow the close")
        not_reloaded(anna, "request page, close")
        # 4. Without JavaScript: no stream, and the reload link shows what arrived.
        login(plain, "anna")
        rid3, ref3 = upload(lang="zh")
        plain.find_element(By.ID, "reload").click()
        wait(plain, lambda drv: row_state(drv, rid3) == "received", "the reload link did not show the new request", 10)
    finally:
        anna.quit()
        plain.quit()
    print("console-live: upload, claim and close shown live; the reload link works without JavaScript")


if __name__ == "__main__":
    main()
