#!/usr/bin/env python3
"""`tongban conformance` against a tongban node: starts a two-city `tongban dev` (Rizhao and
Qingdao) in a fresh state directory, records a case at each city (Rizhao's transferred to
Qingdao, so Qingdao holds and relays Rizhao's events), then runs the suite against Qingdao,
signing as Rizhao with the key `tongban dev` wrote. Prints the suite's lines; exits non-zero
when a check fails or the setup does. Usage: conformance_test.py <path to a built tongban>
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

from dev_federation import ROOT, DevFederation

TONGBAN = sys.argv[1]
STATE = os.path.join(ROOT, ".tongban", "conformance-test")
ARTEFACTS = os.path.join(ROOT, ".tongban", "artefacts", "conformance")


def fail(step, detail):
    print(f"conformance test FAILED at '{step}': {detail}", file=sys.stderr)
    sys.exit(1)


def api(url, token, method="GET", body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def application(jurisdiction):
    return {"applicant": {"name": "张某", "idNumber": "371121198001011234", "phone": "13800000000", "homeCity": "rizhao",
                          "groups": ["migrant-worker"]},
            "matter": {"litigation": True, "cause": "traffic-accident", "summary": "交通事故赔偿", "venue": "青岛市李沧区人民法院",
                       "jurisdictionCentre": jurisdiction},
            "hardship": {"basis": "exempt", "group": "migrant-worker"},
            "documents": [{"name": "申请表.pdf", "mediaType": "application/pdf", "size": 48213, "sha256": "ab" * 32}],
            "consent": {"shareWithJurisdiction": True, "checksByOtherCities": True}}


def main():
    os.makedirs(ARTEFACTS, exist_ok=True)
    with DevFederation(TONGBAN, ["rizhao", "qingdao"], STATE, os.path.join(ARTEFACTS, "dev.log")) as federation:
        rizhao, qingdao = federation.nodes["rizhao"], federation.nodes["qingdao"]
        wulian, licang = federation.token("rizhao", "rizhao-wulian"), federation.token("qingdao", "qingdao-licang")
        try:
            case_id = api(rizhao["url"] + "/v1/cases", wulian, "POST", application("qingdao-licang"))["caseId"]
            api(rizhao["url"] + f"/v1/cases/{case_id}/assessment", wulian, "POST", {"expectedVersion": 1, "eligible": True, "reason": "符合条件"})
            api(rizhao["url"] + f"/v1/cases/{case_id}/transfer", wulian, "POST",
                {"expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"})
            api(qingdao["url"] + "/v1/cases", licang, "POST", application("qingdao-licang"))
        except Exception as error:
            fail("recording a case at each city", error)
        deadline = time.time() + 30
        while not any(item["caseId"] == case_id for item in api(qingdao["url"] + "/v1/inbox?kind=incoming-transfer", licang)["items"]):
            if time.time() > deadline:
                fail("Qingdao imports Rizhao's events", "the transfer is not in Licang's inbox within 30 s")
            time.sleep(0.2)
        dev = os.path.join(STATE, "dev")
        result = subprocess.run([TONGBAN, "conformance", "--peer", qingdao["url"], "--federation", os.path.join(dev, "federation.json"),
                                 "--node", "rizhao", "--key", os.path.join(dev, "keys", "rizhao.key")],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            fail("tongban conformance against Qingdao", f"exit status {result.returncode}: {result.stderr.strip()[-1500:]}")


if __name__ == "__main__":
    main()
