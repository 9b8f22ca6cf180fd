#!/usr/bin/env python3
# Writes Sources/NodeServer/Resources/openapi.json, the description served at /openapi.json.
# Edit this and re-run it when a route or a body changes; OperationsTests checks that the
# document lists exactly the routes the router serves.
import json
S = lambda **p: {"type": "object", **p}
ref = lambda n: {"$ref": f"#/components/schemas/{n}"}
string = {"type": "string"}; boolean = {"type": "boolean"}; integer = {"type": "integer", "format": "int64"}

# Text as the federation's value rules take it (Sources/CaseDomain/Values/TextRule.swift,
# EventValueRules.swift): a limit in Unicode scalars (JSON Schema's maxLength counts the
# same), no C0 or C1 control characters (long text may hold tab and newline), no bidi
# controls or noncharacters. A field the domain requires to be given is also not blank,
# in the domain's sense: something other than tab and Unicode spaces (Zs). The patterns
# claim only what the node refuses, so that every request they call invalid must be
# refused (schemathesis' negative_data_rejection); names and short fields also refuse
# invisible format characters, which the patterns leave to the description.
_never = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufdd0-\\ufdef\\ufffe\\uffff"
_blank = "\\t \\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"
def text(limit, lines=False, blank=False):
  bad = ("\\x00-\\x08\\x0b-\\x1f" if lines else "\\x00-\\x1f\\u2028\\u2029") + "\\x7f-\\x9f" + _never
  pattern = f"^[^{bad}]*$" if blank else f"^[^{bad}]*[^{bad}{_blank}][^{bad}]*$"
  what = f"at most {limit} characters" + ("" if lines else " on one line, no format characters") + ", no control or bidi characters" + ("" if blank else ", not blank")
  return {"type": "string", "maxLength": limit, "pattern": pattern, "description": what}
name, short, long = (lambda **k: text(100, **k)), (lambda **k: text(200, **k)), (lambda **k: text(4000, lines=True, **k))
ts = {"type": "string", "format": "date-time", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{3})?Z$", "description": "UTC, millisecond precision: YYYY-MM-DDTHH:MM:SS[.mmm]Z"}
centre = {"type": "string", "pattern": "^[a-z][a-z0-9]*-[a-z0-9-]+$", "maxLength": 63, "example": "qingdao-licang"}
id_number = {"type": "string", "pattern": "^[0-9]{17}[0-9X]$", "example": "371121198001011234"}
fen = lambda what: {**integer, "minimum": 0, "maximum": 10**12, "description": what + ", in fen"}
ev = {"expectedVersion": {**integer, "minimum": 0, "maximum": 2**53, "description": "the version the record is at; 409 conflict otherwise"}}

def obj(required, props): return S(required=required, properties=props)
def versioned(required=(), **props): return obj(["expectedVersion", *required], {**ev, **props})

schemas = {
 "Problem": obj(["type", "title", "status", "detail"], {"type": {**string, "format": "uri", "description": "https://tongban.example/problems/<slug>: malformed, validation, unauthorized, forbidden, not-found, conflict, invalid-transition, payload-too-large, unsupported-media-type, unavailable, internal-error"},
   "title": string, "status": {"type": "integer"}, "detail": string, "instance": string,
   "errors": {"type": "array", "items": obj(["field", "reason"], {"field": string, "reason": string})},
   "currentVersion": {**integer, "description": "conflicts: the record's current version"}}),
 "Document": obj(["name", "mediaType", "size", "sha256"], {"name": {**name(blank=True), "description": "the scan's file name; a case refuses an empty one"},
   "mediaType": {"type": "string", "enum": ["application/pdf", "image/jpeg", "image/png", "image/tiff"]},
   "size": {**integer, "minimum": 0, "maximum": 2**30, "description": "bytes; a case refuses 0"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "maxLength": 64}}),
 "Application": {"example": {"applicant": {"name": "张某", "idNumber": "371121198001011234", "phone": "13800000000", "homeCity": "rizhao", "groups": ["migrant-worker"]},
   "matter": {"litigation": True, "cause": "traffic-accident", "summary": "交通事故", "venue": "青岛市李沧区人民法院", "jurisdictionCentre": "qingdao-licang"},
   "hardship": {"basis": "exempt", "group": "migrant-worker"}, "documents": [{"name": "申请表.pdf", "mediaType": "application/pdf", "size": 48213, "sha256": "ab" * 32}]},
  **obj(["applicant", "matter", "hardship"], {
   "applicant": obj(["name", "idNumber", "phone", "homeCity"], {"name": name(), "idNumber": id_number, "phone": {"type": "string", "pattern": "^1[0-9]{10}$", "example": "13800000000"},
     "homeCity": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "maxLength": 63, "example": "rizhao"}, "groups": {"type": "array", "items": short(blank=True), "maxItems": 200, "example": ["migrant-worker"]}}),
   "matter": obj(["litigation", "cause", "summary", "venue", "jurisdictionCentre"], {"litigation": boolean, "cause": short(), "summary": long(blank=True), "venue": short(), "jurisdictionCentre": centre,
     "adverseParty": {**obj(["name", "id"], {"name": name(), "id": {"type": "string", "pattern": "^[0-9A-Z]{18}$", "description": "an ID number or unified social credit code"}}),
                      "description": "who the applicant is against: checked for conflicts (GET /v1/cases/{id}/checks)"}}),
   "urgent": boolean,
   "hardship": {"oneOf": [obj(["basis", "certificateId"], {"basis": {"const": "certificate"}, "certificateId": {**short(), "description": "a certificate of the register, valid and issued to the applicant"}}), obj(["basis", "group"], {"basis": {"const": "exempt"}, "group": {**short(blank=True), "description": "a group the intake city exempts, which the applicant is tagged with"}}), obj(["basis", "statement"], {"basis": {"const": "promise"}, "statement": long()})]},
   "documents": {"type": "array", "items": ref("Document"), "maxItems": 200},
   "consent": {**obj(["shareWithJurisdiction", "checksByOtherCities"], {"shareWithJurisdiction": boolean, "checksByOtherCities": boolean}),
               "description": "what the applicant consented to share (信息核对授权书); absent, nothing: a transfer then needs legalBasis"}})},
 "CaseWritten": obj(["caseId", "version"], {"caseId": string, "version": integer, "number": {**string, "description": "set when the write granted aid"}}),
 "InvestigationWritten": obj(["investigationId", "version"], {"investigationId": string, "version": integer, "number": {**string, "description": "set when the request was accepted"}}),
 "CertificateWritten": obj(["certificateId", "version"], {"certificateId": string, "version": integer}),
 "Case": obj(["caseId", "version", "phase", "urgent", "investigations"], {"caseId": string, "version": integer,
   "phase": {"type": "string", "enum": ["submitted", "awaiting-materials", "ready-for-decision", "transfer-pending", "refused", "objection-pending", "granted", "lawyer-assigned", "closed", "archived", "withdrawn"]},
   "number": string, "intakeCentre": centre, "owner": centre, "jurisdictionCentre": centre, "transferTarget": centre, "urgent": boolean, "advanceAid": boolean,
   "applicant": S(description="name, masked ID number and phone where this node opens them (absent otherwise)"), "matter": S(), "hardship": string,
   "personalData": {"type": "string", "enum": ["readable", "partial", "sealed", "erased"], "description": "what of the applicant's personal data this node shows"},
   "recognisedCertificate": obj(["certificateId", "issuingNode", "issuingEventHash"], {"certificateId": string, "issuingNode": string, "issuingEventHash": string}),
   "lawyer": string, "lawyerFirm": string, "originalsCollected": boolean, "aidOrdered": boolean,
   "materialsDueAt": ts, "decisionDueAt": ts, "lawyerDueAt": ts, "subsidyPaidBy": string, "subsidyAmount": {**integer, "description": "fen"}, "followUps": {"type": "integer"},
   "investigations": {"type": "array", "items": obj(["investigationId", "phase", "version"], {"investigationId": string, "toCentre": centre, "phase": string, "number": string, "version": integer,
                                                                                          "reportDueAt": {**ts}, "pendingExtensionDays": {**integer}})},
   "deliveries": {"type": "array", "description": "each transfer and investigation request sent to a centre, and its receipt (送达): recorded by the recipient's node when the request arrived and when its staff first opened it",
     "items": obj(["kind", "requestVersion", "toCentre", "requestedAt", "answered"], {"kind": {"type": "string", "enum": ["transfer", "investigation"]},
       "investigationId": {**string}, "requestVersion": {**integer, "description": "the stream version of the event that sent it"}, "fromCentre": {**string}, "toCentre": string,
       "requestedAt": {**ts}, "answered": boolean, "deliveredAt": {**ts}, "deliveredCode": {**string, "description": "the receipt event's hash: GET /verify/{hash}"},
       "openedAt": {**ts}, "openedBy": {**string}, "openedCode": {**string, "description": "the opening event's hash: GET /verify/{hash}"}})}}),
 "Timeline": obj(["caseId", "events"], {"caseId": string, "events": {"type": "array", "items": obj(["position", "streamId", "streamVersion", "type", "recordedAt", "node", "staff", "hash", "body"], {
   "position": integer, "streamId": string, "streamVersion": integer, "type": string, "recordedAt": ts, "node": string, "centre": centre, "staff": string, "hash": string, "body": S(description="the event body, personal data masked")})}}),
 "Investigation": obj(["investigationId", "version", "phase"], {"investigationId": string, "caseId": string, "version": integer, "phase": {"type": "string", "enum": ["requested", "accepted", "lawyer-assigned", "reported", "acknowledged", "declined"]},
   "fromCentre": centre, "toCentre": centre, "number": string, "lawyer": string, "reportDueAt": {**ts, "description": "the due date in force, after any extension granted"},
   "pendingExtension": obj(["days", "reason"], {"days": integer, "reason": string}), "findings": string}),
 "Certificate": obj(["certificateId", "version", "status", "issuingNode", "issuingCentre", "issuingEventHash", "standard", "validFrom", "validUntil"], {
   "certificateId": string, "version": integer, "status": {"type": "string", "enum": ["valid", "revoked", "expired"]}, "issuingNode": string, "issuingCentre": centre, "issuingEventHash": string,
   "holderName": {**string, "description": "only to staff of the issuing city (the read is recorded)"}, "idNumber": {**string, "description": "masked; only to staff of the issuing city"},
   "basis": {**string, "description": "only to staff of the issuing city"}, "standard": string, "validFrom": ts, "validUntil": ts,
   "revocationReason": {**string, "description": "only to staff of the issuing city"}}),
 "CertificateMatch": obj(["certificateId", "status", "issuingNode", "issuingCentre", "issuingEventHash", "validFrom", "validUntil"], {
   "certificateId": string, "status": {"type": "string", "enum": ["valid", "revoked", "expired"]}, "issuingNode": string, "issuingCentre": centre,
   "issuingEventHash": {**string, "description": "what an application relying on the certificate records"}, "validFrom": ts, "validUntil": ts}),
}
bodies = {
 "assessment": versioned(["eligible", "reason"], eligible=boolean, reason=long(), missing={"type": "array", "items": short(blank=True), "maxItems": 200, "description": "missing materials; empty or absent when complete"}),
 "materials": versioned(["documents"], documents={"type": "array", "items": ref("Document"), "minItems": 1, "maxItems": 200}),
 "withdrawal": versioned(),
 "advance-aid": versioned(["reason"], reason=long()),
 "transfer": versioned(["toCentre", "reason"], toCentre=centre, reason=long(), legalBasis={**long(), "description": "the legal obligation the transfer shares personal data under, when the applicant did not consent"}),
 "transfer/accept": versioned(conflictReason={**long(), "description": "why the centre goes ahead although the conflict check found other cases; required then (422 otherwise)"}),
 "transfer/return": versioned(["reason"], reason=long(), reasonCode={"type": "string", "enum": ["wrong-jurisdiction", "conflict-of-interest", "not-eligible-locally", "duplicate", "other"],
                                                                   "description": "why it is sent back, shown in the sender's inbox item; absent: other"}),
 "transfer/cancel": versioned(["reason"], reason=long()),
 "decision": versioned(["granted", "reason"], granted=boolean, reason=long(), conflictReason={**long(), "description": "why the centre goes ahead although the conflict check found other cases; required then (422 otherwise)"}),
 "objection": versioned(["reason"], reason=long()),
 "objection/ruling": versioned(["orderAid", "reason"], orderAid=boolean, reason=long()),
 "lawyer": versioned([], lawyerId={"type": "string", "format": "uuid", "description": "a lawyer of the centre's roster (GET /v1/lawyers); required when the centre keeps one"},
                    lawyer={**name(), "description": "at a centre without a roster: the lawyer's name"}, firm={**name(), "description": "at a centre without a roster"},
                    chosenByApplicant={**boolean, "description": "the applicant picked the lawyer from the roster (点援制)"}),
 "lawyer/change": versioned(["reason"], lawyerId={"type": "string", "format": "uuid", "description": "the new lawyer, from the centre's roster; required when the centre keeps one"},
                           lawyer={**name(), "description": "at a centre without a roster"}, firm={**name(), "description": "at a centre without a roster"}, reason=long()),
 "originals-collected": versioned(),
 "close": versioned(["outcome", "recoveredAmount"], outcome=short(), recoveredAmount=fen("recovered for the applicant")),
 "archive": versioned(),
 "follow-up": versioned(["satisfied"], satisfied=boolean, note=long(blank=True)),
 "erasure": versioned(["reason"], reason=long()),
}
summaries = {
 "assessment": "Assess eligibility and completeness at the owning centre", "materials": "Supply the missing materials; the decision clock starts",
 "withdrawal": "Deem the application withdrawn: materials overdue", "advance-aid": "Start aid before the decision (urgent cases only)",
 "transfer": "Transfer the case to another centre", "transfer/accept": "Accept a transfer (target centre only)", "transfer/return": "Return a transfer to its sender with a coded reason (target centre only)",
 "transfer/cancel": "Cancel a pending transfer (sending centre only): recorded by the target's node, so a cancel and an accept never both win; the loser's 409 says which happened",
 "decision": "Grant (numbers the case) or deny aid", "objection": "Record the applicant's objection to a refusal (justice bureau: supervisor role)",
 "objection/ruling": "Uphold the refusal or order aid (justice bureau: supervisor role)", "lawyer": "Assign the case's lawyer", "lawyer/change": "Change the lawyer, with a reason",
 "originals-collected": "Record that the original application and certificate were collected", "close": "Close the case; the aided city's subsidy is determined",
 "archive": "Archive a closed case (originals required)", "follow-up": "Record a follow-up call",
 "erasure": "Erase an archived case's personal data once its city's retention period has passed (owning centre's supervisor): every node destroys the case's keys",
}
P = lambda n: {"$ref": f"#/components/responses/{n}"}
errs = lambda *codes: {c: P({"400": "Malformed", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "409": "Conflict", "413": "TooLarge",
                              "415": "NotJSON", "422": "Invalid", "503": "Unavailable"}[c]) for c in sorted(codes)}
# Every staff call may meet a database that does not answer (503); every JSON body may be
# too large (413) or not UTF-8 JSON (415).
reads = lambda *codes: errs(*codes, "401", "503")
writes = lambda *codes: errs(*codes, "400", "401", "413", "415", "422", "503")
jsonc = lambda schema: {"content": {"application/json": {"schema": schema}}}
idp = lambda name, what: {"name": name, "in": "path", "required": True, "schema": string, "description": what}
sec = [{"staffToken": []}]
paths = {}
paths["/v1/cases"] = {"post": {"operationId": "submitApplication", "summary": "Submit an application at my centre", "security": sec, "requestBody": {"required": True, **jsonc(ref("Application"))},
  "responses": {"201": {"description": "submitted", **jsonc(ref("CaseWritten"))}, **writes("403", "409")}}}
paths["/v1/cases/{id}"] = {"get": {"operationId": "getCase", "summary": "A case's current state (centres taking part, their supervisors, auditors)", "security": sec, "parameters": [idp("id", "case id")],
  "responses": {"200": {"description": "the case", **jsonc(ref("Case"))}, **reads("403", "404")}}}
paths["/v1/cases/{id}/timeline"] = {"get": {"operationId": "getCaseTimeline", "summary": "Every event of the case and its investigations, with node and centre", "security": sec, "parameters": [idp("id", "case id")],
  "responses": {"200": {"description": "the timeline", **jsonc(ref("Timeline"))}, **reads("403", "404")}}}
for action, body in bodies.items():
  paths[f"/v1/cases/{{id}}/{action}"] = {"post": {"operationId": "case-" + action.replace("/", "-"), "summary": summaries[action], "security": sec, "parameters": [idp("id", "case id")],
    "requestBody": {"required": True, **jsonc(body)}, "responses": {"200": {"description": "recorded; the case's new version", **jsonc(ref("CaseWritten"))}, **writes("403", "404", "409")}}}
paths["/v1/cases/{id}/checks"] = {"get": {"operationId": "getCaseChecks", "summary": "The conflict and duplicate check: other open cases of the applicant anywhere in the federation, cases where the adverse party was aided and where the applicant is an aided person's adverse party, matched by blind index (centres taking part, auditors)", "security": sec, "parameters": [idp("id", "case id")],
  "responses": {"200": {"description": "the findings, each naming the other case and its centre", **jsonc(obj(["caseId", "checked", "scope", "findings"], {"caseId": string, "checked": {**boolean, "description": "false for a case recorded before the check"},
     "scope": {"type": "string", "enum": ["federation", "node"], "description": "node: the federation file gives no matchingKey, so only this node's cases were matched"},
     "findings": {"type": "array", "items": obj(["kind", "caseId", "phase"], {"kind": {"type": "string", "enum": ["duplicate-application", "adverse-party-aided", "applicant-is-adverse-party"]}, "caseId": string, "centre": {**centre}, "number": {**string}, "phase": string})}}))},
    **reads("403", "404")}}}
paths["/v1/cases/{id}/investigations"] = {"post": {"operationId": "requestInvestigation", "summary": "Ask another centre to investigate (handling centre only)", "security": sec, "parameters": [idp("id", "case id")],
  "requestBody": {"required": True, **jsonc(obj(["toCentre", "questions", "dueDays"], {"toCentre": centre, "questions": {"type": "array", "items": {**long(blank=True), "minLength": 1}, "minItems": 1, "maxItems": 200}, "dueDays": {"type": "integer", "minimum": 1, "maximum": 90},
    "shares": {"type": "array", "items": {"type": "string", "enum": ["name", "idNumber", "phone", "summary"]}, "maxItems": 4, "description": "the applicant's data the requested centre is given; with another city it needs consent to checks, or legalBasis"},
    "legalBasis": long()}))},
  "responses": {"201": {"description": "requested", **jsonc(ref("InvestigationWritten"))}, **writes("403", "404", "409")}}}
paths["/v1/investigations/{id}"] = {"get": {"operationId": "getInvestigation", "summary": "An investigation request (requester, target, auditors)", "security": sec, "parameters": [idp("id", "investigation id")],
  "responses": {"200": {"description": "the request", **jsonc(ref("Investigation"))}, **reads("403", "404")}}}
inv = {"accept": ("Accept and number the request (requested centre)", versioned()), "decline": ("Decline the request (requested centre)", versioned(["reason"], reason=long())),
       "assign": ("Assign a local lawyer (requested centre)", versioned(["lawyer", "firm"], lawyer=name(), firm=name())),
       "report": ("Report the findings (requested centre)", versioned(["findings"], findings=long(), documents={"type": "array", "items": ref("Document"), "maxItems": 200})),
       "acknowledge": ("Acknowledge the findings (requesting centre)", versioned()),
       "extension": ("Ask the requester for more days to report (requested centre; one extension waits at a time)",
                     obj(["days", "reason"], {"days": {"type": "integer", "minimum": 1, "maximum": 60}, "reason": long(), **{k: {**v, "description": "checked when given"} for k, v in ev.items()}})),
       "extension/decision": ("Grant or refuse the pending extension (requesting centre): recorded by the requested centre's node, which alone writes the open request; granted, the due date moves by the days asked",
                              versioned(["granted", "reason"], granted=boolean, reason=long()))}
for action, (summary, body) in inv.items():
  paths[f"/v1/investigations/{{id}}/{action}"] = {"post": {"operationId": "investigation-" + action.replace("/", "-"), "summary": summary, "security": sec, "parameters": [idp("id", "investigation id")],
    "requestBody": {"required": True, **jsonc(body)}, "responses": {"200": {"description": "recorded", **jsonc(ref("InvestigationWritten"))}, **writes("403", "404", "409")}}}
roster_entry = obj(["lawyerId", "name", "firm", "practiceAreas", "languages", "active", "openCases"], {"lawyerId": string, "name": string, "firm": string,
  "practiceAreas": {"type": "array", "items": string}, "languages": {"type": "array", "items": string}, "active": boolean,
  "openCases": {"type": "integer", "description": "cases the centre handles with this lawyer assigned, not yet closed"}})
tags = lambda what: {"type": "array", "items": short(), "maxItems": 20, "description": what}
paths["/v1/lawyers"] = {
  "get": {"operationId": "getRoster", "summary": "A centre's roster of lawyers with each one's open cases (the signed-in centre's unless centre is given)", "security": sec,
    "parameters": [{"name": "centre", "in": "query", "schema": centre}],
    "responses": {"200": {"description": "the roster", **jsonc(obj(["centre", "version", "lawyers"], {"centre": centre, "version": integer, "lawyers": {"type": "array", "items": roster_entry}}))}, **reads("422")}},
  "post": {"operationId": "listLawyer", "summary": "Put a lawyer on the centre's roster (supervisors of the centre)", "security": sec,
    "requestBody": {"required": True, **jsonc(obj(["name", "firm"], {"name": name(), "firm": name(), "practiceAreas": tags("e.g. labour, traffic-accident"), "languages": tags("e.g. zh, 鲁南方言")}))},
    "responses": {"201": {"description": "listed", **jsonc(obj(["lawyerId", "version"], {"lawyerId": string, "version": integer}))}, **writes("403", "409")}}}
paths["/v1/lawyers/{id}"] = {"post": {"operationId": "updateLawyer", "summary": "Change a roster lawyer's firm, areas or languages, or take them off new assignments (active: false); supervisors of the centre", "security": sec,
  "parameters": [idp("id", "lawyer id")],
  "requestBody": {"required": True, **jsonc(obj([], {"expectedVersion": {**ev["expectedVersion"], "description": "the roster's version; checked when given"}, "firm": name(), "practiceAreas": tags("replaces the areas"), "languages": tags("replaces the languages"), "active": boolean}))},
  "responses": {"200": {"description": "changed", **jsonc(obj(["lawyerId", "version"], {"lawyerId": string, "version": integer}))}, **writes("403", "409")}}}
paths["/v1/certificates"] = {
  "post": {"operationId": "issueCertificate", "summary": "Issue a hardship certificate at my node, under my city's standard", "security": sec,
    "requestBody": {"required": True, **jsonc(obj(["holderName", "idNumber", "basis", "validUntil"], {"holderName": name(), "idNumber": id_number, "basis": {**short(blank=True), "minLength": 1}, "validUntil": {**ts, "description": "must be in the future"}, "standard": {**short(blank=True), "minLength": 1, "description": "defaults to the city's hardship threshold"}}))},
    "responses": {"201": {"description": "issued", **jsonc(ref("CertificateWritten"))}, **writes("403")}}}
paths["/v1/certificates/lookup"] = {"post": {"operationId": "lookUpCertificates", "summary": "The certificates issued to the holder of an ID number and name, for recognition (recorded when found; a wrong name finds nothing)", "security": sec,
  "requestBody": {"required": True, **jsonc(obj(["idNumber", "name"], {"idNumber": {**id_number, "pattern": "^[\\s\\u0085]*[0-9]{17}[0-9Xx][\\s\\u0085]*$", "description": "17 digits and a digit or X; surrounding white space and a lowercase x are normalised"}, "name": name()}))},
  "responses": {"200": {"description": "the certificates found, never their holder's details", **jsonc(obj(["items"], {"items": {"type": "array", "items": ref("CertificateMatch")}}))}, **writes()}}}
paths["/v1/certificates/{id}"] = {"get": {"operationId": "getCertificate", "summary": "A certificate's register entry and status; its holder's details only to staff of the issuing city (recorded)", "security": sec, "parameters": [idp("id", "certificate id")],
  "responses": {"200": {"description": "the certificate", **jsonc(ref("Certificate"))}, **reads("404")}}}
paths["/v1/certificates/{id}/revoke"] = {"post": {"operationId": "revokeCertificate", "summary": "Revoke a certificate (a centre of the issuing city)", "security": sec, "parameters": [idp("id", "certificate id")],
  "requestBody": {"required": True, **jsonc(versioned(["reason"], reason=long()))}, "responses": {"200": {"description": "revoked", **jsonc(ref("CertificateWritten"))}, **writes("403", "404", "409")}}}
sha = {"name": "sha256", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}
paths["/v1/documents/{sha256}"] = {
  "put": {"operationId": "uploadDocument", "summary": "Upload a scan's bytes; they must hash to the path's SHA-256", "security": sec, "parameters": [sha],
    "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
    "responses": {"201": {"description": "stored"}, "200": {"description": "already held"}, **errs("401", "403", "413", "415", "422", "503")}},
  "get": {"operationId": "getDocument", "summary": "A scan's bytes, fetched from a peer (and kept) if this node lacks it", "security": sec, "parameters": [sha],
    "responses": {"200": {"description": "the scan", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}, **reads("404")}}}
inbox_item = obj(["kind", "caseId", "applicant", "receivedAt", "overdue", "urgent"], {"kind": {"type": "string", "enum": ["review", "incoming-transfer", "decide", "assign-lawyer", "materials-pending", "incoming-investigation", "investigation-to-report", "investigation-findings", "returned-transfer", "awaiting-findings", "extension-request"]},
  "caseId": string, "investigationId": {"type": ["string", "null"]}, "number": {"type": ["string", "null"]}, "applicant": {**string, "description": "masked, e.g. 张*"}, "fromCentre": {"type": ["string", "null"]},
  "receivedAt": ts, "dueAt": {"type": ["string", "null"], "format": "date-time"}, "overdue": {**boolean, "description": "due before the node's clock says now"}, "urgent": boolean,
  "reasonCode": {"type": ["string", "null"], "description": "on a returned-transfer item: why the target sent it back"},
  "extension": {"type": ["string", "null"], "enum": ["requested", "granted", "refused", None], "description": "on an open investigation's items: its latest extension"}})
paths["/v1/inbox"] = {"get": {"operationId": "getInbox", "summary": "My centre's open work items, oldest due first (undated last)", "security": sec,
  "parameters": [{"name": "kind", "in": "query", "schema": inbox_item["properties"]["kind"]}, {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                 {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}, {"name": "cursor", "in": "query", "schema": {**string, "description": "nextCursor of the previous page"}}],
  "responses": {"200": {"description": "a page of items", **jsonc(obj(["items", "nextCursor"], {"items": {"type": "array", "items": inbox_item}, "nextCursor": {"type": ["string", "null"]}}))}, **reads("403", "422")}}}
figures = obj(["completed", "completedLate", "overdueNow"], {"completed": {"type": "integer"}, "medianHours": {"type": ["number", "null"]}, "p90Hours": {"type": ["number", "null"]},
  "completedLate": {"type": "integer", "description": "finished in the period after their due date"}, "overdueNow": {"type": "integer", "description": "open and past due now"}})
paths["/v1/stats"] = {"get": {"operationId": "getStatistics", "summary": "Per centre: steps finished in the period (assess, accept-transfer, decide, assign-lawyer, report-investigation), median and p90 hours, late and overdue counts", "security": sec,
  "parameters": [{"name": "from", "in": "query", "schema": {**ts, "description": "default: 30 days before to"}}, {"name": "to", "in": "query", "schema": {**ts, "description": "default: now"}}],
  "responses": {"200": {"description": "the figures", **jsonc(obj(["from", "to", "centres"], {"from": ts, "to": ts, "centres": {"type": "array", "items": obj(["centre", "measures"], {"centre": centre, "measures": {"type": "object", "additionalProperties": figures}})}}))}, **reads("422")}}}
nodesig = [{"nodeSignature": []}]
wire = obj(["envelope", "hash", "signature"], {"envelope": {**string, "description": "base64 of the canonical envelope bytes"}, "hash": {**string, "description": "hex SHA-256 of those bytes"}, "signature": {**string, "description": "base64 Ed25519 signature of the origin node over the hash"}})
vector = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "description": "per origin node, the highest contiguous originSeq held"}
paths["/v1/directory/jurisdiction"] = {"get": {"operationId": "lookUpJurisdiction", "summary": "The venues of the federation's directory (courts, arbitration commissions, police, places) that the text names, best first, each with the centre a matter there belongs to; suggestedCentre when they all name one", "security": sec,
  "parameters": [{"name": "venue", "in": "query", "required": True, "schema": short(), "description": "the venue as staff type it; spaces, width and case are ignored"}],
  "responses": {"200": {"description": "the matches, at most 20", **jsonc(obj(["venue", "exact", "matches"], {"venue": string, "suggestedCentre": {**centre}, "exact": {**boolean, "description": "the text is a venue's name or alias: the intake form then takes the suggestion"},
     "matches": {"type": "array", "items": obj(["name", "kind", "centre", "centreName"], {"name": string, "kind": {"type": "string", "enum": ["court", "arbitration", "police", "place"]}, "centre": centre, "centreName": string})}}))},
    **reads("422")}}}
paths["/v1/access-log"] = {"get": {"operationId": "getAccessLog", "summary": "Who read a case's personal data in plain text on this node (auditors; supervisors of the owning centre's city)", "security": sec,
  "parameters": [{"name": "record", "in": "query", "required": True, "schema": {"type": "string", "format": "uuid"}, "description": "the case id"}],
  "responses": {"200": {"description": "the reads, oldest first", **jsonc(obj(["record", "entries"], {"record": string, "entries": {"type": "array", "items": obj(["at", "staff", "centre", "role", "recordKind", "recordId", "purpose", "fields"], {
     "at": ts, "staff": string, "centre": centre, "role": string, "recordKind": string, "recordId": string, "caseId": string, "purpose": string, "fields": {"type": "array", "items": string}})}}))}, **reads("400", "403", "404", "422")}}}
paths["/v1/sync/pull"] = {"post": {"operationId": "syncPull", "summary": "The events the caller lacks, from every origin this node holds, in origin order (node-signed)", "security": nodesig,
  "requestBody": {"required": True, **jsonc(obj(["vector", "limit"], {"vector": vector, "limit": {"type": "integer", "minimum": 1, "maximum": 5000}}))},
  "responses": {"200": {"description": "a batch", **jsonc(obj(["events", "more", "vector"], {"events": {"type": "array", "items": wire}, "more": boolean, "vector": vector}))}, **errs("400", "401", "413", "415", "422", "503")}}}
paths["/v1/sync/notify"] = {"post": {"operationId": "syncNotify", "summary": "The caller has new events: this node pulls at once (node-signed)", "security": nodesig,
  "responses": {"200": {"description": "pulling", **jsonc(obj(["status"], {"status": string}))}, **errs("401", "413")}}}
paths["/v1/sync/documents/{sha256}"] = {"get": {"operationId": "syncDocument", "summary": "A scan's bytes, for a peer that lacks it (node-signed)", "security": nodesig, "parameters": [sha],
  "responses": {"200": {"description": "the scan", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}, **errs("401", "404")}}}
grant = obj(["recordId", "fields", "encapsulatedKey", "ciphertext"], {"recordId": string, "fields": {"type": "array", "items": string, "maxItems": 7},
  "encapsulatedKey": string, "ciphertext": string})
paths["/v1/sync/key-grants"] = {"post": {"operationId": "syncKeyGrants", "summary": "Record keys sealed for this node (HPKE) by the node that involved it in a case (node-signed)", "security": nodesig,
  "requestBody": {"required": True, **jsonc(obj(["grants"], {"grants": {"type": "array", "items": grant, "maxItems": 100}}))},
  "responses": {"200": {"description": "stored, and why any was refused", **jsonc(obj(["stored", "refused"], {"stored": {"type": "integer"}, "refused": {"type": "array", "items": S()}}))}, **errs("400", "401", "413", "415", "422")}}}
paths["/v1/sync/transfer-cancellations"] = {"post": {"operationId": "syncTransferCancellation", "summary": "Record a pending transfer's cancellation, asked by the sending centre's node (node-signed; the target's node alone writes the case while the transfer is pending)", "security": nodesig,
  "requestBody": {"required": True, **jsonc(obj(["caseId", "expectedVersion", "reason", "centre", "staff"], {"caseId": string, "expectedVersion": integer, "reason": long(), "centre": centre, "staff": string}))},
  "responses": {"200": {"description": "recorded; the case's new version", **jsonc(ref("CaseWritten"))}, **errs("400", "401", "403", "404", "409", "413", "415", "422", "503")}}}
paths["/v1/sync/extension-decisions"] = {"post": {"operationId": "syncExtensionDecision", "summary": "Record the requester's decision on a pending extension, asked by the requesting centre's node (node-signed; the requested centre's node alone writes the open request)", "security": nodesig,
  "requestBody": {"required": True, **jsonc(obj(["investigationId", "expectedVersion", "granted", "reason", "centre", "staff"], {"investigationId": string, "expectedVersion": integer, "granted": boolean, "reason": long(), "centre": centre, "staff": string}))},
  "responses": {"200": {"description": "recorded; the request's new version", **jsonc(ref("InvestigationWritten"))}, **errs("400", "401", "403", "404", "409", "413", "415", "422", "503")}}}
paths["/v1/sync/status"] = {"get": {"operationId": "syncStatus", "summary": "This node's version vector, its peers (last contact, lag, last error) and quarantine count (node-signed)", "security": nodesig,
  "responses": {"200": {"description": "the status", **jsonc(obj(["vector", "peers", "quarantined"], {"vector": vector, "peers": {"type": "array", "items": S()}, "quarantined": {"type": "integer"}}))}, **errs("401")}}}
paths["/verify/{hash}"] = {"get": {"operationId": "verifyLetter", "summary": "Check a printed letter's verification code (the hash of the event it was rendered from) against this node's log: who recorded what, when, and whether its signature holds; no personal data. Open to anyone holding the letter; an HTML page for Accept: text/html",
  "parameters": [{"name": "hash", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}, "description": "the verification code"}],
  "responses": {"200": {"description": "the event the code names", "content": {"text/html": {"schema": string}, "application/json": {"schema": obj(["code", "verified", "type", "recordedAt", "node", "streamId", "streamVersion", "check"], {
    "code": string, "verified": boolean, "type": string, "recordedAt": ts, "node": string, "centre": centre, "streamId": string, "streamVersion": integer,
    "number": string, "check": {**string, "description": "ok, or why the event does not verify"}})}}},
    **errs("400", "404", "503")}}}
paths["/health"] = {"get": {"operationId": "health", "summary": "The process answers", "responses": {"200": {"description": "live", **jsonc(obj(["status", "node"], {"status": string, "node": string}))}}}}
paths["/ready"] = {"get": {"operationId": "ready", "summary": "The database answers and its migrations are current",
  "responses": {"200": {"description": "ready", **jsonc(obj(["status", "node", "schemaVersion"], {"status": string, "node": string, "schemaVersion": {"type": "integer"}}))}, "503": {"description": "not ready", "content": {"application/problem+json": {"schema": ref("Problem")}}}}}}
paths["/metrics"] = {"get": {"operationId": "metrics", "summary": "Prometheus metrics: appends and their latency, staff commands by route and status, inbox query latency, log head, projection lag, sync lag per peer, quarantine",
  "responses": {"200": {"description": "the metrics in Prometheus's text format", "content": {"text/plain": {"schema": {"type": "string"}}}}, "503": {"description": "the database does not answer", "content": {"application/problem+json": {"schema": ref("Problem")}}}}}}
# The staff web pages: HTML for people, same commands and checks as the API; signing in with
# a staff token opens a server-side session whose cookie (HttpOnly, SameSite=Strict, Secure
# over https) holds the session's secret, never the token; every form carries a CSRF token
# derived from the session.
html = {"description": "an HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
seeOther = {"description": "redirect (303) to the next page"}
unreadable = {"description": "a form that cannot be read (not UTF-8, a field missing)", "content": {"text/html": {"schema": {"type": "string"}}, "application/problem+json": {"schema": ref("Problem")}}}
form = lambda fields: {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": obj(fields, {f: string for f in fields})}}}
page = lambda op, summary, **extra: {"operationId": op, "summary": summary, "tags": ["pages"], **extra}
paths["/"] = {"get": page("pagesHome", "Redirects to the inbox page", responses={"303": seeOther})}
paths["/sign-in"] = {"get": page("pagesSignInForm", "The sign-in page", responses={"200": html}),
                     "post": page("pagesSignIn", "Signs in with a staff token: opens a page session (8 h at most, 30 min idle) and sets its cookie", requestBody=form(["token"]),
                                  responses={"303": seeOther, "400": unreadable, "401": html, "403": html})}
paths["/sign-out"] = {"post": page("pagesSignOut", "Signs out (CSRF-checked): the page session ends on the node", requestBody=form(["csrf"]), responses={"303": seeOther, "400": unreadable, "403": html})}
paths["/language/{code}"] = {"get": page("pagesLanguage", "Switches the pages to zh or en", parameters=[{"name": "code", "in": "path", "required": True, "schema": {"enum": ["zh", "en"]}}],
                                         responses={"303": seeOther})}
paths["/inbox"] = {"get": page("pagesInbox", "The signed-in centre's inbox: kinds, due dates, overdue and urgent marks, filters, paging", responses={"200": html, "303": seeOther})}
idparam = [{"name": "id", "in": "path", "required": True, "schema": string}]
paths["/cases/{id}"] = {"get": page("pagesCase", "A case: state, documents with fingerprints, investigations, cross-node timeline, the forms its state allows",
                                    parameters=idparam, responses={"200": html, "303": seeOther, "403": html, "404": html})}
for action, fields, summary in [("assessment", ["csrf", "expectedVersion", "eligible", "reason"], "Assess (form)"),
                                ("transfer/accept", ["csrf", "expectedVersion", "conflictReason"], "Accept a transfer (form; conflictReason when the check found other cases)"),
                                ("decision", ["csrf", "expectedVersion", "granted", "reason", "conflictReason"], "Decide (form; conflictReason when the check found other cases)"),
                                ("transfer", ["csrf", "expectedVersion", "toCentre", "reason"], "Request a transfer (form)"),
                                ("transfer/return", ["csrf", "expectedVersion", "reasonCode", "reason"], "Return a transfer (form)"),
                                ("transfer/cancel", ["csrf", "expectedVersion", "reason"], "Cancel a pending transfer (form)"),
                                ("lawyer", ["csrf", "expectedVersion", "lawyerId", "lawyer", "firm", "chosenByApplicant"], "Assign a lawyer from the roster, or by name at a centre without one (form)"),
                                ("originals-collected", ["csrf", "expectedVersion"], "Record the originals collected (form)"),
                                ("close", ["csrf", "expectedVersion", "outcome", "recoveredAmount"], "Close the case (form)"),
                                ("archive", ["csrf", "expectedVersion"], "Archive the case (form)")]:
    paths["/cases/{id}/" + action] = {"post": page("pages" + "".join(w.capitalize() for w in action.replace("/", " ").split()), summary + "; CSRF-checked",
                                                   parameters=idparam, requestBody=form(fields), responses={"303": seeOther, "400": unreadable, "403": html, "409": html})}
paths["/cases/{id}/letters/{kind}"] = {"get": page("pagesLetter", "A standard letter of the case, print-ready (A4), rendered from its event with the case's or the request's number and the event's hash as verification code: materials (补充材料通知书), decision (给予/不予法律援助决定书), assignment (指派通知书), transfer (转交函), investigation (协作函), delivery (送达回证: the latest receipt, delivered and first opened)",
    parameters=idparam + [{"name": "kind", "in": "path", "required": True, "schema": {"enum": ["materials", "decision", "assignment", "transfer", "investigation", "delivery"]}}],
    responses={"200": html, "303": seeOther, "403": html, "404": html})}
paths["/cases/{id}/materials"] = {"post": page("pagesSupplyMaterials", "Supply the missing materials with their scans (multipart, as at intake: each fingerprinted and kept by the server); CSRF-checked", parameters=idparam,
                                               requestBody={"required": True, "content": {"multipart/form-data": {"schema": obj(["csrf", "expectedVersion"], {"csrf": string, "expectedVersion": string,
                                                   "scans": {"type": "array", "items": {"type": "string", "format": "binary"}}})}}},
                                               responses={"303": seeOther, "400": unreadable, "403": html, "409": html, "413": html, "415": html, "422": html})}
paths["/cases/{id}/investigations"] = {"post": page("pagesRequestInvestigation", "Request an investigation (form); CSRF-checked", parameters=idparam,
                                                   requestBody=form(["csrf", "toCentre", "questions", "dueDays"]), responses={"303": seeOther, "400": unreadable, "403": html, "409": html})}
for action, fields in [("accept", []), ("decline", ["reason"]), ("lawyer", ["lawyer", "firm"]), ("report", ["findings"]), ("acknowledge", []),
                       ("extension", ["days", "reason"]), ("extension/decision", ["granted", "reason"])]:
    paths["/investigations/{id}/" + action] = {"post": page("pagesInvestigation" + "".join(w.capitalize() for w in action.split("/")), "An investigation request's " + action + " (form); CSRF-checked",
                                                            parameters=idparam, requestBody=form(["csrf", "expectedVersion", "caseId"] + fields),
                                                            responses={"303": seeOther, "400": unreadable, "403": html, "409": html})}
paths["/statistics"] = {"get": page("pagesStatistics", "The last 30 days per centre as SVG charts: median durations per measure, overdue counts", responses={"200": html, "303": seeOther})}
paths["/certificates"] = {"get": page("pagesCertificates", "The hardship certificate check: a form for the holder's ID number and name", responses={"200": html, "303": seeOther}),
                          "post": page("pagesLookUpCertificates", "The certificates found for an ID number and name (form); CSRF-checked", requestBody=form(["csrf", "idNumber", "name"]),
                                       responses={"200": html, "303": seeOther, "400": unreadable, "403": html, "422": html})}
paths["/lawyers"] = {"get": page("pagesRoster", "The centre's lawyer roster (律师名册) with each lawyer's open cases; for its supervisors, the forms that keep it", responses={"200": html, "303": seeOther}),
                     "post": page("pagesListLawyer", "List a lawyer on the centre's roster (form; supervisors); CSRF-checked", requestBody=form(["csrf", "name", "firm", "practiceAreas", "languages"]),
                                  responses={"303": seeOther, "400": unreadable, "403": html, "422": html})}
paths["/lawyers/{id}/active"] = {"post": page("pagesLawyerActive", "Take a lawyer off new assignments, or back on (form; supervisors); CSRF-checked", parameters=idparam,
                                              requestBody=form(["csrf", "expectedVersion", "active"]), responses={"303": seeOther, "400": unreadable, "403": html, "409": html, "422": html})}
intake_fields = ["csrf", "name", "idNumber", "phone", "homeCity", "groups", "litigation", "cause", "summary", "venue", "jurisdictionCentre", "adverseName", "adverseId", "urgent",
                 "hardshipBasis", "group", "certificateId", "statement", "shareWithJurisdiction", "checksByOtherCities"]
paths["/intake"] = {"get": page("pagesIntake", "The new-application form, with its scans", responses={"200": html, "303": seeOther}),
                    "post": page("pagesSubmitIntake", "Submit an application with its scans (multipart; each scan fingerprinted and stored by the server, PDF/JPEG/PNG, at most 20 MiB, 10 scans, 32 MiB in all); CSRF-checked",
                                 requestBody={"required": True, "content": {"multipart/form-data": {"schema": obj(intake_fields, {**{f: string for f in intake_fields},
                                     "scans": {"type": "array", "items": {"type": "string", "format": "binary"}}})}}},
                                 responses={"303": seeOther, "400": unreadable, "403": html, "413": html, "415": html, "422": html})}
paths["/search"] = {"get": page("pagesSearch", "Open one of the centre's own cases by its number or id (a case elsewhere is not found)",
                                parameters=[{"name": "q", "in": "query", "required": True, "schema": {**string, "minLength": 1, "maxLength": 100}}],
                                responses={"200": html, "303": seeOther, "404": html, "422": html})}
paths["/cases/{id}/receipt"] = {"get": page("pagesReceipt", "The printed receipt of an application (申请材料接收凭证): materials with their fingerprints and the verification code",
                                            parameters=idparam, responses={"200": html, "303": seeOther, "403": html, "404": html})}
paths["/openapi.json"] = {"get": {"operationId": "openapi", "summary": "This document", "responses": {"200": {"description": "the OpenAPI description", **jsonc(S())}}}}
# Stateful fuzzing: a written record's answer leads to the next steps of its workflow on
# that record, at the version it is now at (schemathesis follows these links from real
# cases). Only the steps that can follow: links to every call would mostly meet
# invalid-transition and the walk would rarely get past the first step.
flow = {
 "submitApplication": ["getCase", "getCaseTimeline", "case-assessment", "case-advance-aid", "case-withdrawal", "requestInvestigation"],
 "case-assessment": ["getCase", "case-materials", "case-decision", "case-transfer", "requestInvestigation"],
 "case-materials": ["case-decision", "case-transfer"],
 "case-advance-aid": ["case-assessment"],
 "case-transfer": ["getCaseTimeline", "case-transfer-accept", "case-transfer-return"],
 "case-decision": ["getCase", "case-lawyer", "case-objection"],
 "case-objection": ["case-objection-ruling"],
 "case-objection-ruling": ["case-lawyer"],
 "case-lawyer": ["case-lawyer-change", "case-originals-collected", "case-close"],
 "case-lawyer-change": ["case-originals-collected", "case-close"],
 "case-originals-collected": ["case-close", "case-archive"],
 "case-close": ["case-originals-collected", "case-archive", "case-follow-up"],
 "case-archive": ["getCaseTimeline", "case-follow-up"],
 "requestInvestigation": ["getInvestigation", "investigation-accept", "investigation-decline"],
 "investigation-accept": ["investigation-assign"], "investigation-assign": ["investigation-report"], "investigation-report": ["investigation-acknowledge"],
 "issueCertificate": ["getCertificate", "revokeCertificate"], "revokeCertificate": ["getCertificate"],
}
by_id = {op["operationId"]: op for item in paths.values() for op in item.values()}
for source, targets in flow.items():
  response = next(r for code, r in by_id[source]["responses"].items() if code in ("200", "201"))
  id_field = {"CaseWritten": "caseId", "InvestigationWritten": "investigationId", "CertificateWritten": "certificateId"}[response["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
  def link(target):
    body = by_id[target].get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return {"operationId": target, "parameters": {"path.id": f"$response.body#/{id_field}"},
            **({"requestBody": {"expectedVersion": "$response.body#/version"}} if "expectedVersion" in body.get("properties", {}) else {})}
  response["links"] = {target: link(target) for target in targets}
# An optional property may be null, meaning absent, both ways: the node answers explicit
# nulls for what a record lacks (`"number": null`), and reads a null as the field left out.
def nullable_optionals(node):
  if isinstance(node, list):
    for item in node: nullable_optionals(item)
    return
  if not isinstance(node, dict): return
  for key, value in node.items():
    if key not in ("example", "links"): nullable_optionals(value)
  for key, value in node.get("properties", {}).items():
    if key in node.get("required", []): continue
    if isinstance(value.get("type"), str): value["type"] = [value["type"], "null"]
    elif "type" not in value: node["properties"][key] = {"anyOf": [value, {"type": "null"}]}
    if "enum" in value and None not in value["enum"]: value["enum"] = [*value["enum"], None]
nullable_optionals(schemas)
for item in paths.values():
  for operation in item.values():
    for part in [operation.get("requestBody", {}), *operation["responses"].values()]:
      nullable_optionals(part.get("content", {}).get("application/json"))
prob = lambda d: {"description": d, "content": {"application/problem+json": {"schema": ref("Problem")}}}
doc = {"openapi": "3.1.0",
 "info": {"title": "tongban node", "version": "1", "description": "One city's node of the tongban legal-aid federation: the staff API. Errors are RFC 9457 problem details. Staff calls carry an EdDSA JWT naming staff, centre and role, signed with the node's own token key (its kid in the header; never the node's event key), with a jti and a lifetime of at most 30 days (tongban token issue; tongban token revoke refuses it at once)."},
 "components": {"securitySchemes": {"staffToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
   "nodeSignature": {"type": "apiKey", "in": "header", "name": "X-Tongban-Signature", "description": "Ed25519 signature by the calling node's key over method, path, SHA-256 of the body and X-Tongban-Timestamp (ms, within 60 s, used once); X-Tongban-Node names the node"}}, "schemas": schemas,
   "responses": {"Malformed": prob("the body is not JSON"), "Unauthorized": prob("missing, invalid, expired or revoked staff token"), "Forbidden": prob("not this centre's or role's to do or see"),
     "NotFound": prob("no such record"), "Conflict": prob("expectedVersion mismatch (conflict) or a command the state does not allow (invalid-transition)"), "Invalid": prob("a field or query parameter is invalid (a parameter given empty too); errors names it"),
     "TooLarge": prob("payload-too-large: a JSON body over 256 KiB (a scan over 20 MiB)"),
     "NotJSON": prob("unsupported-media-type: the body is not application/json in UTF-8 (another charset, UTF-16 or UTF-32, a byte-order mark); for a scan, not an allowed type"),
     "Unavailable": prob("unavailable: the database does not answer, or the read model is more than 5,000 events behind or has parked this record's event")}},
 "paths": dict(sorted(paths.items()))}
import os
target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "NodeServer", "Resources", "openapi.json")
with open(target, "w") as out:
    json.dump(doc, out, ensure_ascii=False, indent=1)
print(f"{target}: {len(paths)} paths")
