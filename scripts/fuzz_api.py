#!/usr/bin/env python3
"""The staff API under schemathesis, against a two-node `tongban dev` (Rizhao, Qingdao).

Schemathesis reads the spec the Rizhao node serves at /openapi.json and sends valid and
schema-violating requests (`--mode all`) with a Wulian staff token, following the spec's
links from a written record to the next steps of its workflow (stateful phase, valid data
only: scripts/schemathesis.toml). Every API response must be no 5xx, a documented status,
content type and headers, a body that matches its schema, and every schema-violating
request refused. The node-signed sync routes are left out: they answer 401 to anything
but a peer (the Swift tests' hostile-peer and signature tests cover them). The staff pages
get a shorter run of their own (see `fuzz`).

Bounded: at most TONGBAN_FUZZ_EXAMPLES cases per operation and pass, TONGBAN_FUZZ_SECONDS
for the whole run (3/4 API, 1/4 pages; default 240). One worker: hypothesis's lambda
descriptions race across schemathesis' worker threads ("AST constructor recursion depth
mismatch"), and tongban and PostgreSQL share the same cores anyway. TONGBAN_FUZZ_SEED
replays a run (the seed is printed).

Afterwards both nodes must answer /health, and every case in Rizhao's log (read from its
database: the cases the run created) must answer 200 to `GET /v1/cases/{id}` for one of
Rizhao's staff; on Qingdao, once sync has brought it the same cases, none may answer a
5xx (it reads only the ones its centres take part in). Prints `fuzz_api_requests <N>`;
exits non-zero on any failure. Reports land in .tongban/artefacts/fuzz-api/.
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from dev_federation import ROOT, DevFederation

TONGBAN = sys.argv[1]
ARTEFACTS = os.path.join(ROOT, ".tongban", "artefacts", "fuzz-api")
STATE = os.path.join(ROOT, ".tongban", "fuzz-api")
SCHEMATHESIS = os.path.join(ROOT, ".tongban", "venv", "bin", "schemathesis")
EXAMPLES = int(os.environ.get("TONGBAN_FUZZ_EXAMPLES", "25"))
SECONDS = int(os.environ.get("TONGBAN_FUZZ_SECONDS", "240"))
SEED = int(os.environ.get("TONGBAN_FUZZ_SEED", "0")) or random.randrange(1, 2**31)
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection"]


def status_of(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_):
        return None


def page_session(url, token):
    """Signs in at `url`'s sign-in form with `token`, as a browser does (the form's CSRF
    token and cookie, then the post): the page session's cookie, `name=value`. The cookie
    holds a session secret the node issues, never the token."""
    with urllib.request.urlopen(url + "/sign-in", timeout=10) as response:
        form_cookie = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("tongban_sign_in="))
        html = response.read().decode()
    csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    request = urllib.request.Request(url + "/sign-in", data=urllib.parse.urlencode({"csrf": csrf, "token": token}).encode(),
                                     headers={"Cookie": form_cookie, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.build_opener(_NoRedirect).open(request, timeout=10)
        raise RuntimeError("signing in did not redirect")
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise RuntimeError(f"signing in answered {answer.code}")
        return next(c.split(";")[0] for c in answer.headers.get_all("Set-Cookie") if c.startswith("tongban_staff="))


def case_ids(node):
    """Every case in the node's log, from its database (as the service role, read only)."""
    psql = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    rows = subprocess.run([psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", node["database"], "-c",
                           "SELECT DISTINCT substr(stream_id, 6) FROM events WHERE stream_id LIKE 'case-%' ORDER BY 1"],
                          check=True, capture_output=True, text=True).stdout
    return [line for line in rows.splitlines() if line]


def schemathesis(federation, name, seconds, checks, selection, header):
    """One schemathesis run against Rizhao; returns (passed, requests sent). Its output and
    reports are `<name>.log`, `<name>.har` and `<name>.xml` in the artefacts."""
    rizhao = federation.nodes["rizhao"]
    report = lambda ext: os.path.join(ARTEFACTS, f"{name}.{ext}")
    command = [SCHEMATHESIS, "--config-file", os.path.join(ROOT, "scripts", "schemathesis.toml"), "run", rizhao["url"] + "/openapi.json", "--header", header, *selection,
               "--checks", ",".join(checks), "--mode", "all",
               "--max-examples", str(EXAMPLES), "--max-time", str(seconds), "--seed", str(SEED),
               "--max-redirects", "0", "--request-timeout", "10", "--workers", "1", "--generation-database", "none", "--no-color",
               "--report", "har,junit", "--report-dir", ARTEFACTS, "--report-har-path", report("har"), "--report-junit-path", report("xml")]
    print(f"fuzz-api: {name}: schemathesis against {rizhao['url']}, seed {SEED} (TONGBAN_FUZZ_SEED replays), "
          f"{EXAMPLES} examples per operation, {seconds} s", flush=True)
    with open(report("log"), "w") as log:
        result = subprocess.run(command, cwd=ARTEFACTS, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        print(open(report("log")).read()[-20000:], file=sys.stderr)
    return result.returncode == 0, len(json.load(open(report("har")))["log"]["entries"])


def fuzz(federation):
    """The API with every check, then the staff pages (signed in by a page session's cookie,
    opened through the sign-in form) for server errors and undocumented answers only: a page answers
    a bad form by showing why or redirecting (303), which schemathesis cannot tell from
    acceptance. Returns the failed runs and the requests sent."""
    token = federation.token("rizhao", "rizhao-wulian")
    api = schemathesis(federation, "api", SECONDS * 3 // 4, CHECKS,
                       ["--exclude-path-regex", "^/v1/sync/", "--exclude-tag", "pages"], "Authorization: Bearer " + token)
    # The pages have no links: no stateful phase.
    pages = schemathesis(federation, "pages", SECONDS // 4, CHECKS[:3], ["--include-tag", "pages", "--phases", "examples,coverage,fuzzing"],
                         "Cookie: " + page_session(federation.nodes["rizhao"]["url"], token))
    failed = [f"schemathesis found failures in the {name} (seed {SEED}; {ARTEFACTS}/{name}.log)"
              for name, (passed, _) in [("api", api), ("pages", pages)] if not passed]
    return failed, api[1] + pages[1]


def check_afterwards(federation):
    """The failures found once the fuzzing is over: dead nodes, unreadable cases."""
    failures = []
    for node_id, node in federation.nodes.items():
        if status_of(node["url"] + "/health") != 200:
            failures.append(f"{node_id}: /health does not answer 200 after the run")
    if failures or not federation.is_running():
        return failures + [f"tongban dev is not running: {federation.log_tail()}"]

    rizhao, qingdao = federation.nodes["rizhao"], federation.nodes["qingdao"]
    created = case_ids(rizhao)
    rizhao_tokens = [centre[kind] for centre in rizhao["centres"] for kind in ("token", "supervisorToken")]
    for case_id in created:
        statuses = [status_of(f"{rizhao['url']}/v1/cases/{case_id}", token) for token in rizhao_tokens]
        if 200 not in statuses:
            failures.append(f"rizhao: GET /v1/cases/{case_id} answers {sorted(set(statuses), key=str)} to every Rizhao centre, not 200")

    deadline = time.time() + 60
    while not set(created) <= set(case_ids(qingdao)) and time.time() < deadline:
        time.sleep(1)
    missing = set(created) - set(case_ids(qingdao))
    if missing:
        failures.append(f"qingdao: {len(missing)} of Rizhao's {len(created)} cases not synced within 60 s")
    qingdao_tokens = [centre["token"] for centre in qingdao["centres"]]
    for case_id in case_ids(qingdao):
        for token in qingdao_tokens:
            status = status_of(f"{qingdao['url']}/v1/cases/{case_id}", token)
            if status is None or status >= 500:
                failures.append(f"qingdao: GET /v1/cases/{case_id} answers {status}")
                break
    print(f"fuzz-api: {len(created)} case(s) in Rizhao's log, each read back; Qingdao holds them and answers no 5xx", flush=True)
    return failures


def main():
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    os.makedirs(ARTEFACTS)
    started = time.time()
    with DevFederation(TONGBAN, ["rizhao", "qingdao"], STATE, os.path.join(ARTEFACTS, "dev.log")) as federation:
        failures, requests = fuzz(federation)
        print(f"fuzz_api_requests {requests}", flush=True)
        failures += check_afterwards(federation)
    print(f"fuzz-api: {time.time() - started:.0f} s in all", flush=True)
    for failure in failures:
        print("fuzz-api FAILED: " + failure, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
