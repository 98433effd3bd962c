#!/usr/bin/python3
"""axe-core in headless Debian Chromium on every console page, logged in as each role.

axe-core comes from npm at the exact version pinned in tests/hub/axe/package.json and
package-lock.json, installed with `npm ci` into OUT/axe (no npm or no registry: the test fails).
It is injected through WebDriver (which the pages' CSP does not govern) into each page: the login
pages; as a mediator (anna) the queue empty and with requests, a filtered queue, a request's page
before and after claiming it, the fleet, the numbers, the password and profile pages and a request's timeline; as a council member
(carla) the fleet, numbers, password and the queue's refusal; as an admin (ada) the releases,
fleet, users, audit, password, profiles (list and one) and notification outbox pages. Every page at a phone's width (360 px) and a desk's
(1280 px). Any violation of WCAG 2.1 A/AA (tags wcag2a, wcag2aa, wcag21a, wcag21aa) fails.
usage: console_axe.py --url URL --token KIOSK_TOKEN --out DIR
"""
import argparse, base64, datetime, json, os, random, shutil, subprocess, sys, tempfile, uuid, urllib.request
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def install_axe(out):
    """npm ci of the pinned axe-core into OUT/axe; its source, or exit (the test fails)."""
    target = os.path.join(out, "axe")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    for name in ["package.json", "package-lock.json"]:
        shutil.copy(os.path.join(HERE, "axe", name), target)
    try:
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=target,
                           capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        sys.exit("console-axe: npm ci could not run: %s" % e)
    if r.returncode != 0:
        sys.exit("console-axe: npm ci failed:\n" + r.stdout + r.stderr)
    with open(os.path.join(target, "node_modules", "axe-core", "axe.min.js")) as f:
        return f.read()


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + tempfile.mkdtemp(prefix="sportello-chromium-"), "--window-size=360,800"]:
        o.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def upload(url, token, lang, topic, contact="phone"):
    rid = str(uuid.uuid4())
    ref = "GR1-" + "".join(random.choice("BCDFGHJKLMNPQRSTVWXZ23456789") for _ in range(6))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"id": rid, "ref": ref, "kiosk": "GR-01", "created_at": now, "lang": lang, "topic": topic,
              "contact": contact, "sealed": base64.b64encode(os.urandom(96)).decode()}
    if contact == "desk":
        fields["desk_day"] = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    req = urllib.request.Request(url + "/api/v1/requests", data=json.dumps(fields).encode(), headers={
        "Authorization": "Bearer " + token, "Idempotency-Key": rid, "Content-Type": "application/json"})
    if urllib.request.urlopen(req).status != 201:
        sys.exit("console-axe: upload refused")
    return rid


class Checker:
    def __init__(self, axe, out):
        self.axe, self.out, self.pages, self.failures = axe, out, 0, []

    def check(self, d, label):
        for width in (360, 1280):
            d.set_window_size(width, 900)
            d.execute_script(self.axe + "; return true;")
            result = d.execute_async_script(
                "var done = arguments[arguments.length - 1];"
                "axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})"
                ".then(function (r) { done(JSON.stringify(r.violations)); }, function (e) { done('ERROR ' + e); });"
                % json.dumps(TAGS))
            if result.startswith("ERROR"):
                self.failures.append("%s: axe did not run: %s" % (label, result))
                continue
            self.pages += 1
            for v in json.loads(result):
                nodes = "; ".join(n.get("html", "")[:160] for n in v["nodes"][:3])
                self.failures.append("%s @%dpx: %s (%s) %s: %s" % (label, width, v["id"], v.get("impact"), v["help"], nodes))
            # Readable at a phone's width: nothing wider than the screen (no sideways scrolling).
            if width == 360 and d.execute_script("return document.documentElement.scrollWidth") > 362:
                self.failures.append("%s: wider than a 360 px screen (%d px)" % (
                    label, d.execute_script("return document.documentElement.scrollWidth")))
        d.set_window_size(360, 800)


def login(d, url, path, user):
    d.get(url + path)
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys("password-" + user)
    d.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(d, 10).until(lambda drv: "/login" not in drv.current_url)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    axe = install_axe(a.out)
    c = Checker(axe, a.out)
    d = browser()
    try:
        d.get(a.url + "/console/login")
        c.check(d, "mediators' login")
        d.get(a.url + "/console/admin/login")
        c.check(d, "admins' login")
        login(d, a.url, "/console/login", "anna")
        c.check(d, "queue (empty)")
        first = upload(a.url, a.token, "ar", "health")
        upload(a.url, a.token, "bn", "permits", "desk")
        upload(a.url, a.token, "zh", "school")
        d.get(a.url + "/console/")
        c.check(d, "queue")
        d.get(a.url + "/console/?lang=ar&status=all&age_h=24")
        c.check(d, "queue, filtered")
        d.get(a.url + "/console/request/" + first)
        c.check(d, "request page")
        d.find_element(By.ID, "claim").click()
        WebDriverWait(d, 10).until(lambda drv: "m=claimed" in drv.current_url)
        c.check(d, "request page, claimed")
        for path in ["/console/fleet", "/console/stats", "/console/password", "/console/profile",
                     "/console/request/%s/timeline" % first]:
            d.get(a.url + path)
            c.check(d, "mediator " + path)
        d.delete_all_cookies()
        login(d, a.url, "/console/login", "carla")
        for path in ["/console/fleet", "/console/stats", "/console/password", "/console/profile", "/console/"]:
            d.get(a.url + path)
            c.check(d, "council " + path)
        d.delete_all_cookies()
        login(d, a.url, "/console/admin/login", "ada")
        for path in ["/console/admin/", "/console/admin/fleet", "/console/admin/users", "/console/admin/audit",
                     "/console/admin/password", "/console/admin/profiles", "/console/admin/profiles/console/anna",
                     "/console/admin/outbox"]:
            d.get(a.url + path)
            c.check(d, "admin " + path)
    finally:
        d.quit()
    if c.failures:
        sys.exit("console-axe: %d violations\n" % len(c.failures) + "\n".join(c.failures))
    print("console-axe: %d page views, no WCAG 2.1 A/AA violation" % c.pages)


if __name__ == "__main__":
    main()
