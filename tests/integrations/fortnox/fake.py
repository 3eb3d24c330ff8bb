"""A small Fortnox played through `responses`, for the unit tests: the resources our client
uses, Fortnox's wrappers, paging, `lastmodified` (Stockholm minutes), substring search, its
error body, and an OAuth token endpoint with single-use refresh tokens.

Faults are queued per (method, path prefix): "lost" stores the record and then times out,
"429" answers Fortnox's rate-limit error, or an error code answers 400 with that code."""

import json
import re
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import requests

BASE = "https://api.fortnox.se"
AUTH = "https://apps.fortnox.se/oauth-v1"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

RESOURCES = {
    # path: (list key, single key, id field, substring-searchable params)
    "customers": ("Customers", "Customer", "CustomerNumber", {"customernumber": "CustomerNumber"}),
    "invoices": ("Invoices", "Invoice", "DocumentNumber",
                 {"externalinvoicereference1": "ExternalInvoiceReference1",
                  "documentnumber": "DocumentNumber", "customernumber": "CustomerNumber"}),
    "offers": ("Offers", "Offer", "DocumentNumber", {"customernumber": "CustomerNumber"}),
    "projects": ("Projects", "Project", "ProjectNumber", {}),
    "employees": ("Employees", "Employee", "EmployeeId", {}),
    "attendancetransactions": ("AttendanceTransactions", "AttendanceTransaction", "id",
                               {"employeeid": "EmployeeId", "date": "Date"}),
    "salarytransactions": ("SalaryTransactions", "SalaryTransaction", "SalaryRow",
                           {"employeeid": "EmployeeId", "date": "Date"}),
    "invoicepayments": ("InvoicePayments", "InvoicePayment", "Number", {}),
    "accounts": ("Accounts", "Account", "Number", {}),
}
NUMBERED = {"invoices": 1, "offers": 1, "attendancetransactions": 1, "salarytransactions": 1,
            "invoicepayments": 1}


def error(status, code, message):
    return status, {}, json.dumps({"ErrorInformation": {"error": 1, "message": message,
                                                        "code": code}})


class FakeFortnox:
    def __init__(self, rsps, *, base=BASE, auth=AUTH):
        self.base, self.auth = base, auth
        self.lock = threading.Lock()
        self.data = {name: {} for name in RESOURCES}
        self.modified = {}
        self.sequence = dict(NUMBERED)
        self.requests = []
        self.faults = []
        self.company = {"CompanyName": "Frost Bygg AB", "DatabaseNumber": 123456,
                        "OrganizationNumber": "556677-8899", "Address": "Byggvägen 1",
                        "ZipCode": "11122", "City": "Stockholm", "CountryCode": "SE"}
        self.locked_until = ""
        self.access_token, self.refresh_token = "at-0", "rt-0"
        self.token_calls, self.token_forms, self.revoked = 0, [], []
        self.page_size_seen = []
        pattern = re.compile(re.escape(base) + r"/3/.*")
        for method in ("GET", "POST", "PUT", "DELETE"):
            rsps.add_callback(method, pattern, callback=self._api)
        rsps.add_callback("POST", f"{auth}/token", callback=self._token)
        rsps.add_callback("POST", f"{auth}/revoke", callback=self._revoke)

    # -- test helpers --------------------------------------------------------------------------
    def add(self, resource, record, *, modified=None):
        key = RESOURCES[resource][2]
        with self.lock:
            if key not in record and resource in self.sequence:
                record[key] = self._next(resource)
            self.data[resource][str(record[key])] = record
            self.modified[(resource, str(record[key]))] = modified or datetime.now(STOCKHOLM)
        return record

    def touch(self, resource, record_id, at=None, **changes):
        with self.lock:
            self.data[resource][str(record_id)].update(changes)
            self.modified[(resource, str(record_id))] = at or datetime.now(STOCKHOLM)

    def fault(self, method, prefix, kind, count=1, *, after=0):
        """The next `count` matching requests, after `after` that pass, meet `kind`."""
        self.faults.extend([[method, prefix, kind, after] for _ in range(count)])

    def calls(self, method=None, prefix=""):
        return [r for r in self.requests
                if (method is None or r[0] == method) and r[1].startswith(prefix)]

    def _next(self, resource):
        number = self.sequence[resource]
        self.sequence[resource] += 1
        return number if resource in ("attendancetransactions", "salarytransactions") \
            else str(number)

    # -- the API -------------------------------------------------------------------------------
    def _authorized(self, request):
        return request.headers.get("Authorization") == f"Bearer {self.access_token}"

    def _take_fault(self, method, path):
        for index, fault in enumerate(self.faults):
            if fault[0] == method and path.startswith(fault[1]):
                if fault[3] > 0:
                    fault[3] -= 1
                    return None
                del self.faults[index]
                return fault[2]
        return None

    def _api(self, request):
        parts = urlsplit(request.url)
        path = parts.path[len(urlsplit(self.base).path):]
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = json.loads(request.body) if request.body else None
        with self.lock:
            self.requests.append((request.method, path, params, body))
            if not self._authorized(request):
                return error(401, 2000311, "Saknar behörighet")
            fault = self._take_fault(request.method, path)
        if fault == "429":
            return 429, {}, json.dumps({"message": "Too many requests"})
        if fault and fault.isdigit():
            return error(400, int(fault), f"Fel {fault}")
        segments = path.strip("/").split("/")[1:]
        status, answer = self._route(request.method, segments, params, body)
        if fault == "lost":
            raise requests.exceptions.ReadTimeout("read timed out")
        return status, {}, "" if status == 204 else json.dumps(answer)

    def _route(self, method, segments, params, body):
        if segments == ["companyinformation"]:
            return 200, {"CompanyInformation": self.company}
        if segments == ["settings", "lockedperiod"]:
            return 200, {"LockedPeriod": {"EndDate": self.locked_until}}
        resource = segments[0]
        if resource not in RESOURCES:
            return 404, {"ErrorInformation": {"error": 1, "message": "Hittades inte",
                                              "code": 2000729}}
        list_key, single, key, searchable = RESOURCES[resource]
        with self.lock:
            if len(segments) == 1 and method == "GET":
                return 200, self._list(resource, params)
            if len(segments) == 1 and method == "POST":
                return self._create(resource, body[single])
            record = self.data[resource].get(segments[1])
            if record is None:
                return 404, {"ErrorInformation": {"error": 1, "message": "Hittades inte",
                                                  "code": 2000729}}
            if method == "GET":
                return 200, {single: record}
            if method == "DELETE":
                del self.data[resource][segments[1]]
                return 204, {}
            if len(segments) == 3 and segments[2] == "cancel":
                record["Cancelled"] = True
            else:
                changes = dict(body[single])
                if resource in ("invoices", "offers"):
                    rows_key = "InvoiceRows" if resource == "invoices" else "OfferRows"
                    changes[rows_key] = self._row_ids(changes.get(rows_key, []))
                record.update({k: ("" if v == "API_BLANK" else v)
                               for k, v in changes.items() if v not in ("", None)})
            self.modified[(resource, segments[1])] = datetime.now(STOCKHOLM)
            return 200, {single: record}

    def _row_ids(self, rows):
        return [{**row, "RowId": 100 + i} for i, row in enumerate(rows)]

    def _create(self, resource, record):
        list_key, single, key, _ = RESOURCES[resource]
        record = dict(record)
        if resource == "customers" and record.get("CustomerNumber") in self.data[resource]:
            return 400, {"ErrorInformation": {"error": 1, "code": 2000637,
                                              "message": "Kundnummer används redan"}}
        if resource in ("projects", "employees") and str(record.get(key)) in self.data[resource]:
            return 400, {"ErrorInformation": {"error": 1, "code": 2000900,
                                              "message": "Finns redan"}}
        if key not in record:
            record[key] = self._next(resource)
        if resource == "invoices":
            total = sum(float(r.get("Price", 0)) * float(r.get("DeliveredQuantity", 0))
                        for r in record.get("InvoiceRows", [])) * 1.25
            record.update({"Total": round(total, 2), "Balance": round(total, 2),
                           "Booked": False, "Cancelled": False, "FinalPayDate": "",
                           "Sent": False,
                           "InvoiceRows": self._row_ids(record.get("InvoiceRows", []))})
            record.setdefault("DueDate", record.get("InvoiceDate", ""))
        if resource == "offers":
            record["OfferRows"] = self._row_ids(record.get("OfferRows", []))
        self.data[resource][str(record[key])] = record
        self.modified[(resource, str(record[key]))] = datetime.now(STOCKHOLM)
        return 201, {single: record}

    def _list(self, resource, params):
        list_key, single, key, searchable = RESOURCES[resource]
        rows = list(self.data[resource].values())
        for param, field in searchable.items():
            if param in params:  # Fortnox's search matches substrings
                rows = [r for r in rows if params[param].lower() in str(r.get(field)).lower()]
        if "lastmodified" in params:
            since = datetime.strptime(params["lastmodified"], "%Y-%m-%d %H:%M").replace(
                tzinfo=STOCKHOLM)
            rows = [r for r in rows if self.modified[(resource, str(r[key]))] >= since]
        if "fromdate" in params:
            rows = [r for r in rows if params["fromdate"] <= r.get("OfferDate", "")
                    <= params["todate"]]
        limit, page = int(params.get("limit", 100)), int(params.get("page", 1))
        self.page_size_seen.append(limit)
        pages = max(1, -(-len(rows) // limit))
        return {"MetaInformation": {"@TotalResources": len(rows), "@TotalPages": pages,
                                    "@CurrentPage": page},
                list_key: rows[(page - 1) * limit:page * limit]}

    # -- OAuth ---------------------------------------------------------------------------------
    def _token(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        with self.lock:
            self.token_calls += 1
            self.token_forms.append((form, dict(request.headers)))
            grant = form.get("grant_type")
            if grant == "refresh_token" and form.get("refresh_token") != self.refresh_token:
                return 400, {}, json.dumps({"error": "invalid_grant",
                                            "error_description": "Invalid refresh token"})
            if grant == "client_credentials" and request.headers.get("TenantId") != str(
                    self.company["DatabaseNumber"]):
                return 400, {}, json.dumps({"error": "invalid_grant",
                                            "error_description": "No consent for tenant"})
            n = self.token_calls
            self.access_token = f"at-{n}"
            answer = {"access_token": self.access_token, "expires_in": 3600,
                      "token_type": "bearer", "scope": "customer invoice"}
            if grant != "client_credentials":
                self.refresh_token = f"rt-{n}"
                answer["refresh_token"] = self.refresh_token
        time.sleep(0.02)
        return 200, {}, json.dumps(answer)

    def _revoke(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        self.revoked.append(form)
        return 200, {}, json.dumps({"revoked": True})


def stockholm(minutes_ago=0):
    return datetime.now(STOCKHOLM) - timedelta(minutes=minutes_ago)
