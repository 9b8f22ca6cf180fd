#!/usr/bin/env python3
"""The staff pages in a real headless browser (Debian's chromium, driven by selenium).

Starts `tongban dev` with two cities (Rizhao and Qingdao) in a fresh state directory, then,
as staff would: Wulian signs in at the Rizhao node, takes Zhang's application with a scan in
the intake form and prints its receipt (saved as PDF by Chromium and checked with pdftotext
for the application id and its verification code, which /verify confirms), finds it in its
inbox, opens it and assesses it through the form; after Wulian's transfer, Licang signs in at the
Qingdao node, finds the incoming transfer in its inbox, opens it (Wulian then sees it delivered
and opened) and accepts it through the form; the case page then shows the timeline across both
nodes. Licang prints the 送达回证, checks the conflict, grants aid and prints the decision, asks
Shinan to investigate; Shinan asks for more time, Licang grants it; Shinan reports; Licang's
supervisor lists a lawyer on the roster page; Licang acknowledges, assigns that lawyer from
the roster and prints the assignment notice, collects the originals, closes and archives the
case, which Wulian then sees archived. Screenshots of every step are saved
under the artefacts directory. Exits non-zero, saying which step failed, on any mismatch.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from dev_federation import ROOT, DevFederation

TONGBAN = sys.argv[1]
ARTEFACTS = os.path.join(ROOT, ".tongban", "artefacts", "browser")
STATE = os.path.join(ROOT, ".tongban", "browser-test")
BASE_PORT = int(os.environ.get("TONGBAN_BROWSER_BASE_PORT", "0"))
PG_PORT = int(os.environ.get("TONGBAN_BROWSER_PG_PORT", "0"))


def fail(step, detail):
    print(f"browser test FAILED at '{step}': {detail}", file=sys.stderr)
    sys.exit(1)


def api(url, token, method="GET", body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def wait_until(step, condition, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception:
            pass
        time.sleep(0.2)
    fail(step, f"not true within {seconds} s")


def main():
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    os.makedirs(ARTEFACTS)
    browser = None
    with DevFederation(TONGBAN, ["rizhao", "qingdao"], STATE, os.path.join(ARTEFACTS, "dev.log"), BASE_PORT, PG_PORT) as federation:
        nodes = federation.nodes
        try:
            rizhao, qingdao = nodes["rizhao"], nodes["qingdao"]
            token = lambda node, centre: next(c["token"] for c in node["centres"] if c["id"] == centre)
            wulian, licang = token(rizhao, "rizhao-wulian"), token(qingdao, "qingdao-licang")

            scan_path = os.path.join(ARTEFACTS, "申请表.pdf")
            with open(scan_path, "wb") as scan:
                scan.write(b"%PDF-1.4\n% tongban browser test scan\n" + bytes(range(256)) * 40)
            scan_sha256 = hashlib.sha256(open(scan_path, "rb").read()).hexdigest()

            options = webdriver.ChromeOptions()
            for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=zh-CN"]:
                options.add_argument(argument)
            options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
            browser = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
            browser.implicitly_wait(2)
            shot = lambda name: browser.save_screenshot(os.path.join(ARTEFACTS, name + ".png"))

            def print_letter(file_name, step, expected):
                """Prints the page on screen to PDF and checks that its text holds `expected`
                and the page's verification code, which it returns."""
                code = browser.find_element(By.CSS_SELECTOR, "[data-field='verification']").text.strip()
                path = os.path.join(ARTEFACTS, file_name)
                with open(path, "wb") as pdf:
                    pdf.write(base64.b64decode(browser.print_page()))
                printed = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
                if expected not in printed or code not in printed.replace("\n", "").replace(" ", ""):
                    fail(step, f"the PDF lacks {expected} or the verification code {code}: {printed[:400]}")
                return code

            def sign_in(node, staff_token, step):
                browser.delete_all_cookies()
                browser.get(node["url"] + "/inbox")
                if "/sign-in" not in browser.current_url:
                    fail(step, f"an unsigned visitor was not sent to sign in: {browser.current_url}")
                browser.find_element(By.NAME, "token").send_keys(staff_token)
                browser.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button").click()
                wait_until(f"{step}: the inbox opens after signing in", lambda: browser.current_url.endswith("/inbox"), 10)
                cookie = browser.get_cookie("tongban_staff")
                if not cookie or not cookie.get("httpOnly") or cookie.get("sameSite") != "Strict":
                    fail(step, f"the session cookie lacks HttpOnly or SameSite=Strict: {cookie}")

            # 1. Wulian signs in at Rizhao and takes Zhang's application at the intake form, with a scan.
            sign_in(rizhao, wulian, "Wulian signs in")
            browser.find_element(By.CSS_SELECTOR, "a[href='/intake']").click()
            form = browser.find_element(By.ID, "intake")
            for name, value in [("name", "张某"), ("idNumber", "371121198001011234"), ("phone", "13800000000"), ("groups", "migrant-worker"),
                                ("cause", "traffic-accident"), ("venue", "李沧法院"), ("group", "migrant-worker")]:
                form.find_element(By.NAME, name).send_keys(value)
            form.find_element(By.NAME, "summary").send_keys("交通事故赔偿")
            # The jurisdiction centre is left to the federation's directory: 李沧法院 is Licang's court.
            if form.find_element(By.NAME, "jurisdictionCentre").get_attribute("value") != "":
                fail("the intake form", "the jurisdiction centre does not default to the directory's suggestion")
            for box in ["shareWithJurisdiction", "checksByOtherCities"]:
                form.find_element(By.NAME, box).click()
            form.find_element(By.NAME, "scans").send_keys(scan_path)
            shot("0-wulian-intake")
            form.find_element(By.CSS_SELECTOR, "button").click()
            wait_until("the intake form: the receipt is shown", lambda: "/receipt" in browser.current_url and "法律援助申请材料接收凭证" in browser.page_source, 15)
            case_id = browser.current_url.split("/cases/")[1].split("/")[0]
            if scan_sha256[:16] not in browser.page_source:
                fail("the receipt", "the start of the scan's fingerprint, computed by the server, is not on the receipt")
            shot("0-wulian-receipt")
            code = print_letter("receipt.pdf", "the printed receipt", case_id)
            with urllib.request.urlopen(rizhao["url"] + "/verify/" + code, timeout=10) as answer:
                verified = json.loads(answer.read())
            if not verified.get("verified") or verified.get("type") != "ApplicationSubmitted":
                fail("the receipt's verification code", f"/verify does not confirm it: {verified}")

            browser.get(rizhao["url"] + "/inbox")
            wait_until("the application shows in Wulian's inbox", lambda: (browser.refresh() or True) and case_id in browser.page_source)
            if 'data-kind="review"' not in browser.page_source or "待审查" not in browser.page_source:
                fail("Wulian's inbox", "no review item, or its kind not in Chinese")
            shot("1-wulian-inbox")

            # 2. Wulian opens the case and assesses it through the form.
            browser.find_element(By.CSS_SELECTOR, f"a[href='/cases/{case_id}']").click()
            wait_until("the case page shows the document's fingerprint", lambda: scan_sha256 in browser.page_source, 10)
            shot("2-wulian-case")
            form = browser.find_element(By.ID, "assess")
            form.find_element(By.NAME, "reason").send_keys("符合受理条件")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the assessment form: the timeline shows the assessment", lambda: "ApplicationAssessed" in browser.page_source, 10)
            shot("3-wulian-assessed")

            # 3. Wulian transfers the case to Licang (through the API), and Licang signs in at Qingdao.
            api(rizhao["url"] + f"/v1/cases/{case_id}/transfer", wulian, "POST",
                {"expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"})
            sign_in(qingdao, licang, "Licang signs in")
            wait_until("the transfer reaches Licang's inbox on the Qingdao node",
                       lambda: (browser.refresh() or True) and 'data-kind="incoming-transfer"' in browser.page_source and case_id in browser.page_source)
            shot("4-licang-inbox")

            # 4. Licang accepts the transfer through the form; the timeline spans both nodes.
            browser.find_element(By.CSS_SELECTOR, f"a[href='/cases/{case_id}']").click()
            wait_until("the case page offers to accept the transfer", lambda: browser.find_element(By.ID, "accept-transfer") is not None, 10)
            # Licang's opening is recorded by the Qingdao node (送达) and reaches Wulian at Rizhao.
            def delivery_seen():
                deliveries = api(rizhao["url"] + f"/v1/cases/{case_id}", wulian).get("deliveries") or [{}]
                return deliveries[0].get("deliveredAt") and deliveries[0].get("openedAt")
            wait_until("Wulian sees the transfer delivered to and opened by Licang", delivery_seen)
            browser.find_element(By.CSS_SELECTOR, "#accept-transfer button").click()
            wait_until("accepting the transfer: the timeline shows the acceptance", lambda: "TransferAccepted" in browser.page_source, 10)
            page = browser.page_source
            timeline = browser.find_element(By.CSS_SELECTOR, "table.timeline").text
            if "rizhao" not in timeline or "qingdao" not in timeline:
                fail("the cross-node timeline", f"both nodes should appear: {timeline}")
            if "371121198001011234" in page:
                fail("the case page", "the full ID number is shown")
            shot("5-licang-accepted")
            # The 送达回证, printed to PDF, carries the receipt's code, which /verify names as Licang's opening.
            browser.get(qingdao["url"] + f"/cases/{case_id}/letters/delivery")
            wait_until("the delivery receipt letter opens", lambda: '<h2 class="letter-title">送达回证</h2>' in browser.page_source, 10)
            receipt_code = print_letter("delivery-receipt.pdf", "the printed delivery receipt", "送达回证")
            with urllib.request.urlopen(rizhao["url"] + "/verify/" + receipt_code, timeout=10) as answer:
                confirmed = json.loads(answer.read())
                if confirmed.get("type") != "DeliveryOpened" or confirmed.get("node") != "qingdao":
                    fail("the delivery receipt's code", f"/verify at Rizhao does not name Qingdao's receipt: {confirmed}")
            browser.get(qingdao["url"] + f"/cases/{case_id}")

            # 5. Licang sees the conflict check (no other case of Zhang's), grants aid and asks
            #    Shinan to investigate, all through the case page's forms.
            if "利益冲突与重复申请核查" not in page or "no-findings" not in page:
                fail("the conflict check", "the case page does not show the check and its empty findings")
            form = browser.find_element(By.ID, "decide")
            form.find_element(By.NAME, "reason").send_keys("符合法律援助条件")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the decision form: the timeline shows the grant", lambda: "AidDecided" in browser.page_source, 10)
            # The decision letter, printed to PDF, carries the case number and its verification code.
            browser.find_element(By.CSS_SELECTOR, f"a[href='/cases/{case_id}/letters/decision']").click()
            wait_until("the decision letter opens", lambda: '<h2 class="letter-title">给予法律援助决定书</h2>' in browser.page_source, 10)
            number = browser.find_element(By.CSS_SELECTOR, "[data-field='number']").text.strip()
            letter_code = print_letter("decision.pdf", "the printed decision", number)
            with urllib.request.urlopen(qingdao["url"] + "/verify/" + letter_code, timeout=10) as answer:
                if json.loads(answer.read()).get("type") != "AidDecided":
                    fail("the decision's verification code", "/verify does not name the decision")
            browser.get(qingdao["url"] + f"/cases/{case_id}")
            form = browser.find_element(By.ID, "request-investigation")
            form.find_element(By.CSS_SELECTOR, "select[name='toCentre'] option[value='qingdao-shinan']").click()
            form.find_element(By.NAME, "questions").send_keys("事故车辆登记情况")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the investigation request shows on the case page", lambda: "InvestigationRequested" in browser.page_source, 10)

            # 6. Shinan accepts the request and asks for seven more days.
            shinan = token(qingdao, "qingdao-shinan")
            sign_in(qingdao, shinan, "Shinan signs in")
            wait_until("the request reaches Shinan's inbox",
                       lambda: (browser.refresh() or True) and 'data-kind="incoming-investigation"' in browser.page_source)
            browser.get(qingdao["url"] + f"/cases/{case_id}")
            browser.find_element(By.CSS_SELECTOR, "#accept-investigation button").click()
            wait_until("accepting the request", lambda: "InvestigationAccepted" in browser.page_source, 10)
            due_before = browser.find_element(By.CSS_SELECTOR, "dd.report-due").text
            form = browser.find_element(By.ID, "request-extension")
            form.find_element(By.NAME, "days").send_keys("7")
            form.find_element(By.NAME, "reason").send_keys("需调取车管所档案")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the extension is asked", lambda: "InvestigationExtensionRequested" in browser.page_source, 10)
            shot("6-shinan-extension-asked")

            # 7. Licang sees the extension in its inbox and grants it; the due date moves.
            sign_in(qingdao, licang, "Licang signs in again")
            wait_until("the extension request reaches Licang's inbox",
                       lambda: (browser.refresh() or True) and 'data-kind="extension-request"' in browser.page_source)
            shot("7-licang-extension-inbox")
            browser.get(qingdao["url"] + f"/cases/{case_id}")
            form = browser.find_element(By.ID, "decide-extension")
            form.find_element(By.NAME, "reason").send_keys("同意延期")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("granting the extension", lambda: "InvestigationExtensionDecided" in browser.page_source, 10)
            due_after = browser.find_element(By.CSS_SELECTOR, "dd.report-due").text
            if due_after <= due_before:
                fail("the granted extension", f"the due date did not move: {due_before} then {due_after}")
            shot("8-licang-extension-granted")

            # 8. Shinan assigns its lawyer and reports the findings; Licang acknowledges them, assigns a lawyer, prints
            #    the assignment notice, collects the originals, closes and archives the case.
            sign_in(qingdao, shinan, "Shinan signs in to report")
            browser.get(qingdao["url"] + f"/cases/{case_id}")
            form = browser.find_element(By.ID, "assign-investigation-lawyer")
            form.find_element(By.NAME, "lawyer").send_keys("王律师")
            form.find_element(By.NAME, "firm").send_keys("青岛某律师事务所")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("Shinan assigns its lawyer", lambda: "InvestigationLawyerAssigned" in browser.page_source, 10)
            form = browser.find_element(By.ID, "report-findings")
            form.find_element(By.NAME, "findings").send_keys("肇事车辆登记在青岛某运输公司名下")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the findings are reported", lambda: "InvestigationReported" in browser.page_source, 10)
            # Licang's supervisor lists the lawyer on the centre's roster (律师名册) at the roster page.
            licang_supervisor = next(c["supervisorToken"] for c in qingdao["centres"] if c["id"] == "qingdao-licang")
            sign_in(qingdao, licang_supervisor, "Licang's supervisor signs in")
            browser.get(qingdao["url"] + "/lawyers")
            form = browser.find_element(By.ID, "list-lawyer")
            for name, value in [("name", "李律师"), ("firm", "山东某律师事务所"), ("practiceAreas", "traffic-accident、labour"), ("languages", "zh")]:
                form.find_element(By.NAME, name).send_keys(value)
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the lawyer is on the roster", lambda: "李律师" in browser.page_source and 'data-active="true"' in browser.page_source, 10)
            shot("9-licang-roster")
            sign_in(qingdao, licang, "Licang signs in to finish the case")
            browser.get(qingdao["url"] + f"/cases/{case_id}")
            browser.find_element(By.CSS_SELECTOR, "#acknowledge-findings button").click()
            wait_until("the findings are acknowledged", lambda: "InvestigationAcknowledged" in browser.page_source, 10)
            form = browser.find_element(By.ID, "assign-lawyer")
            pick = form.find_elements(By.CSS_SELECTOR, "select[name='lawyerId'] option")
            if not pick or "李律师" not in pick[0].text:
                fail("the assignment form", "it does not offer the roster's lawyer")
            pick[0].click()
            form.find_element(By.TAG_NAME, "button").click()
            # The timeline cell's type exactly: "InvestigationLawyerAssigned" is already on the page.
            wait_until("the lawyer is assigned from the roster", lambda: 'data-type="LawyerAssigned"' in browser.page_source, 10)
            browser.get(qingdao["url"] + f"/cases/{case_id}/letters/assignment")
            wait_until("the assignment notice opens", lambda: '<h2 class="letter-title">指派通知书</h2>' in browser.page_source, 10)
            print_letter("assignment.pdf", "the printed assignment notice", number)
            browser.get(qingdao["url"] + f"/cases/{case_id}")
            browser.find_element(By.CSS_SELECTOR, "#originals-collected button").click()
            wait_until("the originals are collected", lambda: "OriginalsCollected" in browser.page_source, 10)
            form = browser.find_element(By.ID, "close")
            form.find_element(By.NAME, "outcome").send_keys("调解结案，获赔")
            recovered = form.find_element(By.NAME, "recoveredAmount")
            recovered.clear()
            recovered.send_keys("8600000")
            form.find_element(By.TAG_NAME, "button").click()
            wait_until("the case is closed", lambda: "CaseClosed" in browser.page_source, 10)
            shot("10-licang-closed")
            browser.find_element(By.CSS_SELECTOR, "#archive button").click()
            wait_until("the case is archived", lambda: "CaseArchived" in browser.page_source, 10)
            if browser.find_element(By.CSS_SELECTOR, "dd[data-field='phase']").text.strip() != "已归档":
                fail("the archived case", f"the phase is not shown as archived: {browser.find_element(By.CSS_SELECTOR, 'dd[data-field=phase]').text}")
            shot("11-licang-archived")
            wait_until("Wulian at Rizhao sees the case archived",
                       lambda: api(rizhao["url"] + f"/v1/cases/{case_id}", wulian).get("phase") == "archived")

            # 9. English labels on request.
            browser.get(qingdao["url"] + "/language/en")
            wait_until("the English pages show English labels", lambda: "Inbox" in browser.page_source, 10)
            shot("12-licang-inbox-en")
            print(f"browser test passed: 14 screenshots and the printed receipt, decision, delivery receipt and assignment notice in {ARTEFACTS}")
        finally:
            if browser is not None:
                browser.quit()


if __name__ == "__main__":
    main()
