"""Fortnox's resources as the simulator serves them: one `Resource` per entity type says its
URL segment, JSON wrappers, id field, scope, accepted fields, list searches and the rules that
complete and check an entity on create and update. views.py turns each into the two endpoints
Fortnox has (`3/<path>` and `3/<path>/{id}`); documents.py adds invoices, offers and payments.
"""

import uuid
from decimal import Decimal
from urllib.parse import quote

from django.db import IntegrityError, transaction

from sandbox.fortnox import errors, fields, store

VAT_RATES = {"MP1": 25, "MP2": 12, "MP3": 6, "MF": 0}
CAUSE_CODES = frozenset(
    "ARB BE2 BER FLX HLG JO2 JOR MER OB1 OB2 OB3 OB4 OB5 OK0 OK1 OK2 OK3 OK4 OK5 OT1 OT2 OT3 "
    "OT4 OT5 RES TID".split())
ABSENCE_CAUSE_CODES = frozenset(
    "ASK FPE FRA HAV KOM MIL NAR OS1 OS2 OS3 OS4 OS5 PAP PEM PER SEM SJK SMB SVE TJL UTB "
    "VAB".split())


def natural_key(remote_id):
    """Numbers in numeric order, then other ids alphabetically."""
    return (0, int(remote_id), "") if remote_id.isdigit() else (1, 0, remote_id)


class Resource:
    kind = ""             # SandboxRecord.kind
    path = ""             # URL segment under 3/
    single = plural = ""  # JSON wrappers
    id_field = ""
    scope = ""
    what = ""             # the Swedish noun in messages ("kunden")
    payload = entity = None
    required = ()
    computed = frozenset()  # response-only fields a request may carry (the spec allows them)
    searches = {}         # query parameter -> field, matched as a substring
    exact = {}            # query parameter -> field, matched exactly
    dates = {}            # query parameter -> (field, ">=" or "<=")
    filters = {}          # filter= value -> predicate(data)
    sorts = {}            # sortby= value -> field
    lastmodified = True   # whether the list accepts lastmodified=
    numbered = True       # ids come from a number series when the client sends none
    create_defaults = {}  # values a new entity gets for fields the request leaves out
    item_methods = ("GET", "PUT")

    @property
    def list_fields(self):
        return fields.LIST_FIELDS.get(self.kind)

    # -- JSON out --------------------------------------------------------------------------

    def url(self, root, remote_id):
        return f"{root}/3/{self.path}/{quote(str(remote_id), safe='')}"

    def output(self, root, record):
        body = {"@url": self.url(root, record.remote_id)}
        body.update((name, value) for name, value in record.data.items() if name != "@url")
        return body

    def list_item(self, root, record):
        full = self.output(root, record)
        if self.list_fields is None:
            return full
        return {name: full.get(name) for name in self.list_fields}

    # -- lists -----------------------------------------------------------------------------

    def matches(self, data, params):
        for param, field in self.searches.items():
            if param in params and not store.contains(data.get(field), params[param]):
                return False
        for param, field in self.exact.items():
            if param in params and str(data.get(field)) != params[param]:
                return False
        for param, (field, op) in self.dates.items():
            if param in params:
                bound = store.parse_date(params[param], param).isoformat()
                value = data.get(field) or ""
                if not value or (value < bound if op == ">=" else value > bound):
                    return False
        return True

    def select(self, records, params):
        """The records a list request asks for, in Fortnox's order."""
        wanted = params.get("filter")
        if wanted is not None and wanted not in self.filters:
            errors.invalid_parameter("filter")
        chosen = [record for record in records if self.matches(record.data, params)
                  and (wanted is None or self.filters[wanted](record.data))]
        sortby = params.get("sortby")
        if sortby is not None:
            if sortby not in self.sorts:
                errors.invalid_parameter("sortby")
            field = self.sorts[sortby]
            chosen.sort(key=lambda record: (natural_key(str(record.data.get(field) or ""))))
        else:
            chosen.sort(key=lambda record: natural_key(record.remote_id))
        if params.get("sortorder", "ascending") == "descending":
            chosen.reverse()
        return chosen

    # -- writes ----------------------------------------------------------------------------

    def incoming(self, data):
        return {name: value for name, value in data.items()
                if name not in self.computed and name != "@url"}

    def create(self, tenant, data):
        data = self.incoming(data)
        for name in self.required:
            if data.get(name) in (None, ""):
                errors.required(name)
        remote_id = data.get(self.id_field)
        if remote_id not in (None, ""):
            remote_id = str(remote_id)
            if store.exists(tenant, self.kind, remote_id):
                self.number_in_use(remote_id)
        elif self.numbered:
            remote_id = store.next_free_number(tenant, self.kind)
        else:
            remote_id = str(uuid.uuid4())
        entity = store.fill(self.entity, {**self.create_defaults, **data})
        entity[self.id_field] = remote_id if self.entity.kind(self.id_field) == "s" else int(
            remote_id)
        return self.store_new(tenant, remote_id, self.complete(tenant, entity, previous=None))

    def store_new(self, tenant, remote_id, entity):
        try:
            with transaction.atomic():
                return store.create(tenant, self.kind, remote_id, entity)
        except IntegrityError:  # someone took the number in the meantime
            self.number_in_use(remote_id)

    def update(self, tenant, record, data):
        data = self.incoming(data)
        data.pop(self.id_field, None)  # ids cannot be renamed
        self.check_editable(record)
        entity = store.merge(self.entity, record.data, data)
        record.data = self.complete(tenant, entity, previous=record.data)
        record.save()
        return record

    def check_editable(self, record):
        """Raise when the entity may no longer change (booked documents)."""

    def complete(self, tenant, entity, previous):
        """Defaults, derived fields and cross-checks of an entity about to be stored."""
        return entity

    def number_in_use(self, remote_id):
        errors.bad_request(errors.NUMBER_IN_USE, f"{self.id_field} {remote_id} används redan.")


# -- shared checks -----------------------------------------------------------------------------

def require_account(tenant, number, field="AccountNumber"):
    if number in (None, "", 0):
        return
    if not store.exists(tenant, "account", number):
        errors.bad_request(errors.ACCOUNT_NOT_FOUND, f"Kunde inte hitta konto ({field}: {number})")


def require_existing(tenant, kind, remote_id, what):
    if remote_id in (None, ""):
        return None
    record = store.find(tenant, kind, remote_id)
    if record is None:
        errors.unknown_reference(f"{what} {remote_id}")
    return record


def require_choice(value, allowed, field):
    if value not in (None, "") and value not in allowed:
        errors.bad_request(errors.INVALID_VALUE, f"Ogiltigt värde ({field}: {value})")


# -- the simple resources ----------------------------------------------------------------------

class Customers(Resource):
    kind, path, single, plural = "customer", "customers", "Customer", "Customers"
    id_field, scope, what = "CustomerNumber", "customer", "kunden"
    payload = entity = fields.CUSTOMER
    required = ("Name",)
    searches = {"customernumber": "CustomerNumber", "name": "Name", "email": "Email",
                "organisationnumber": "OrganisationNumber", "phone": "Phone1",
                "zipcode": "ZipCode", "city": "City", "gln": "GLN",
                "glndelivery": "GLNDelivery"}
    filters = {"active": lambda data: data.get("Active"),
               "inactive": lambda data: not data.get("Active")}
    sorts = {"customernumber": "CustomerNumber", "name": "Name"}

    def list_item(self, root, record):
        item = super().list_item(root, record)
        item["Phone"] = record.data.get("Phone1", "")
        return item

    def number_in_use(self, remote_id):
        errors.bad_request(errors.CUSTOMER_NUMBER_IN_USE,
                           f"Kundnummer {remote_id} används redan. Kundnumret har redan "
                           "använts men blivit raderat.")

    create_defaults = {"Active": True, "Type": "COMPANY", "VATType": "SEVAT",
                       "Currency": "SEK", "TermsOfPayment": "30", "CountryCode": "SE"}

    def complete(self, tenant, entity, previous):
        if entity.get("CountryCode") == "SE" and not entity.get("Country"):
            entity["Country"] = "Sverige"
        # Fortnox names Sweden in Swedish and refuses the English name.
        for name in ("Country", "DeliveryCountry", "VisitingCountry"):
            if str(entity.get(name, "")).strip().lower() == "sweden":
                errors.bad_request(errors.INVALID_VALUE, f"Ogiltigt land ({name}: Sweden). "
                                                         "Använd Sverige.")
        require_choice(entity.get("Type"), ("PRIVATE", "COMPANY"), "Type")
        require_choice(entity.get("VATType"), ("SEVAT", "SEREVERSEDVAT", "EUREVERSEDVAT",
                                               "EUVAT", "EXPORT"), "VATType")
        require_account(tenant, entity.get("SalesAccount"), "SalesAccount")
        return entity


class Articles(Resource):
    kind, path, single, plural = "article", "articles", "Article", "Articles"
    id_field, scope, what = "ArticleNumber", "article", "artikeln"
    payload = entity = fields.ARTICLE
    required = ("Description",)
    computed = frozenset({"DisposableQuantity", "ReservedQuantity", "StockValue"})
    searches = {"articlenumber": "ArticleNumber", "description": "Description", "ean": "EAN",
                "suppliernumber": "SupplierNumber", "manufacturer": "Manufacturer",
                "manufacturerarticlenumber": "ManufacturerArticleNumber"}
    filters = {"active": lambda data: data.get("Active"),
               "inactive": lambda data: not data.get("Active")}
    sorts = {"articlenumber": "ArticleNumber", "description": "Description"}

    create_defaults = {"Active": True, "VAT": 25, "Type": "STOCK"}

    def complete(self, tenant, entity, previous):
        require_choice(entity.get("Type"), ("STOCK", "SERVICE"), "Type")
        for name in ("SalesAccount", "PurchaseAccount", "EUAccount", "ExportAccount"):
            require_account(tenant, entity.get(name), name)
        return entity


class Accounts(Resource):
    kind, path, single, plural = "account", "accounts", "Account", "Accounts"
    id_field, scope, what = "Number", "bookkeeping", "kontot"
    payload, entity = fields.ACCOUNT_PAYLOAD, fields.ACCOUNT
    required = ("Number", "Description")
    exact = {"sru": "SRU"}
    sorts = {"number": "Number"}

    def create(self, tenant, data):
        number = str(data.get("Number", ""))
        if number and not (number.isdigit() and len(number) == 4):
            errors.bad_request(errors.INVALID_VALUE, f"Ogiltigt kontonummer ({number}).")
        return super().create(tenant, data)

    create_defaults = {"Active": True, "CostCenterSettings": "ALLOWED",
                       "ProjectSettings": "ALLOWED", "QuantitySettings": "ALLOWED",
                       "TransactionInformationSettings": "ALLOWED"}

    def complete(self, tenant, entity, previous):
        entity["Year"] = entity.get("Year") or store.today().year
        require_choice(entity.get("VATCode"), [*VAT_RATES, "VRS"], "VATCode")
        return entity


class Projects(Resource):
    kind, path, single, plural = "project", "projects", "Project", "Projects"
    id_field, scope, what = "ProjectNumber", "project", "projektet"
    payload = entity = fields.PROJECT
    required = ("Description",)
    lastmodified = False

    def complete(self, tenant, entity, previous):
        entity["Status"] = entity.get("Status") or "ONGOING"
        require_choice(entity["Status"], ("NOTSTARTED", "ONGOING", "COMPLETED"), "Status")
        return entity


class Employees(Resource):
    kind, path, single, plural = "employee", "employees", "Employee", "Employees"
    id_field, scope, what = "EmployeeId", "salary", "den anställde"
    payload = entity = fields.EMPLOYEE
    required = ("FirstName", "LastName", "Email")
    lastmodified = False
    computed = frozenset(name for name in fields.EMPLOYEE.names
                         if name.startswith(("Vacation", "Absence", "Current"))
                         or name in ("FullName", "AverageHourlyWage", "AverageWeeklyHours"))

    def list_item(self, root, record):
        return self.output(root, record)

    def complete(self, tenant, entity, previous):
        entity["FullName"] = f"{entity.get('FirstName', '')} {entity.get('LastName', '')}".strip()
        entity["SalaryForm"] = entity.get("SalaryForm") or "MAN"
        entity["EmploymentForm"] = entity.get("EmploymentForm") or "TV"
        entity["PersonelType"] = entity.get("PersonelType") or "ARB"
        require_choice(entity["SalaryForm"], ("MAN", "TIM"), "SalaryForm")
        require_existing(tenant, "project", entity.get("Project"), "projekt")
        return entity


class SalaryTransactions(Resource):
    kind, path = "salarytransaction", "salarytransactions"
    single, plural = "SalaryTransaction", "SalaryTransactions"
    id_field, scope, what = "SalaryRow", "salary", "lönetransaktionen"
    payload = entity = fields.SALARY_TRANSACTION
    required = ("EmployeeId", "SalaryCode", "Date")
    computed = frozenset({"SalaryRow", "Total"})
    exact = {"employeeid": "EmployeeId", "date": "Date"}
    lastmodified = False
    item_methods = ("GET", "PUT", "DELETE")

    def complete(self, tenant, entity, previous):
        require_existing(tenant, "employee", entity["EmployeeId"], "anställd")
        codes = tenant.data.get("SalaryCodes", {})
        if entity["SalaryCode"] not in codes:
            errors.unknown_reference(f"löneart {entity['SalaryCode']}")
        require_existing(tenant, "project", entity.get("Project"), "projekt")
        number = store.decimal(entity.get("Number"), "Number", default=Decimal("1"))
        amount = store.decimal(entity.get("Amount"), "Amount")
        entity["Number"] = store.plain(number)
        entity["Amount"] = store.plain(amount)
        entity["Total"] = format(store.money(number * amount), ".2f")
        entity["TextRow"] = entity.get("TextRow") or codes[entity["SalaryCode"]]
        return entity


class CauseTransactions(Resource):
    """An employee's hours on a day under a cause code, the shape attendance and absence
    transactions share; each names its cause codes."""
    id_field, scope = "id", "salary"
    required = ("EmployeeId", "CauseCode", "Date")
    exact = {"employeeid": "EmployeeId", "date": "Date"}
    lastmodified = False
    numbered = False
    item_methods = ("GET", "PUT", "DELETE")
    cause_codes = frozenset()

    def complete(self, tenant, entity, previous):
        require_existing(tenant, "employee", entity["EmployeeId"], "anställd")
        require_choice(entity["CauseCode"], self.cause_codes, "CauseCode")
        require_existing(tenant, "project", entity.get("Project"), "projekt")
        return entity


class AttendanceTransactions(CauseTransactions):
    kind, path = "attendancetransaction", "attendancetransactions"
    single, plural = "AttendanceTransaction", "AttendanceTransactions"
    what = "närvarotransaktionen"
    # The spec's single entity has no `id` (only list rows do); the simulator answers with it
    # so that a created transaction can be addressed.
    payload, entity = fields.ATTENDANCE_TRANSACTION, fields.ATTENDANCE_TRANSACTION_ENTITY
    cause_codes = CAUSE_CODES

    def complete(self, tenant, entity, previous):
        entity = super().complete(tenant, entity, previous)
        entity["Hours"] = store.plain(store.decimal(entity.get("Hours"), "Hours"))
        return entity


class AbsenceTransactions(CauseTransactions):
    kind, path = "absencetransaction", "absencetransactions"
    single, plural = "AbsenceTransaction", "AbsenceTransactions"
    what = "frånvarotransaktionen"
    payload, entity = fields.ABSENCE_TRANSACTION, fields.ABSENCE_TRANSACTION_ENTITY
    cause_codes = ABSENCE_CAUSE_CODES

    def of_employee_day_and_code(self, tenant, employee_id, day, code):
        """`GET 3/absencetransactions/{EmployeeId}/{Date}/{Code}`: a list, as the spec says
        (an employee may have several absences of one kind on one day)."""
        require_choice(code, self.cause_codes, "Code")
        day = store.parse_date(day, "Date").isoformat()
        return [record for record in self.select(list(store.records(tenant, self.kind)),
                                                 {"employeeid": employee_id, "date": day})
                if record.data.get("CauseCode") == code]
