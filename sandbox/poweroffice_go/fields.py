"""The request bodies PowerOffice Go accepts, written out from the published v2 spec (the Post
DTOs under components/schemas), with each property's JSON type.

Two uses: `names(spec)` gives `strict_json` the property names, so an unknown property is a 400
as in Go (ASP.NET with unmapped members disallowed) instead of silently dropped; `type_errors`
refuses a value of the wrong JSON type the way System.Text.Json does ("could not be
converted"), so a client that sends "1000" where Go expects a number finds out here.
tests/sandbox/test_poweroffice_go_fields.py checks these lists against the spec.
"""

import re
import uuid
from datetime import date

STRING, INTEGER, NUMBER, BOOLEAN, DATE, DATE_TIME, UUID = (
    "string", "integer", "number", "boolean", "date", "date-time", "uuid")

INVOICE_DELIVERY_TYPES = ("PdfByEmail", "Print", "EHF", "AvtaleGiro", "External", "Efaktura",
                          "Factoring")
SEND_DELIVERY_TYPES = ("PdfByEmail", "PdfPrintForDownload", "Auto")
REMINDER_DELIVERY_TYPES = ("PdfByEmail", "Print")
ORDER_STATUSES = ("Draft", "Confirmed")
LINE_TYPES = ("Normal", "Text", "Summary", "InvoiceFee", "TotalHours")
PRODUCT_TYPES = ("Product", "Service")
AGRICULTURE_DEPARTMENTS = ("None", "Finance", "Farming", "Forestry", "FurAnimals",
                           "OtherIndustries", "Private")
VAT_RETURN_SPECIFICATIONS = ("None", "Adjustment", "LossesOnClaims",
                             "ReversalOfInputValueAddedTax", "Withdrawals",
                             "AdjustmentVatCompensationRealProperty",
                             "PurchasesEligibleForCompensation")
UNITS_OF_MEASURE = (
    "BX", "MTR", "KMT", "KGM", "EA", "LTR", "HUR", "DAY", "MTK", "MTQ", "TNE", "MON", "ANN",
    "QAN", "NL", "XRO", "XBA", "XPL", "XPC", "PR", "XCI", "XBG", "SET", "XTY", "XOF", "FTK",
    "KWH", "MWH", "LBR", "CMT", "DMT", "LM", "XPK", "GRM", "HGM", "XFL", "XBE", "E54", "MMT",
    "DAA", "H18", "MLT", "HLT", "DLT", "AK", "XCR", "E14", "MJ", "J57", "XJG", "XCT", "XSA",
    "XTU", "WEE", "XCA", "XCN", "NAR", "M4", "XVQ", "P1", "MFU", "KMK", "LM3", "FOT", "FM3",
    "E34", "E35",
)

CONTACT_ADDRESS_POST = {
    "AddressLine1": STRING, "AddressLine2": STRING, "City": STRING, "CountryCode": STRING,
    "ExternalCode": STRING, "ZipCode": STRING,
}

CUSTOMER_POST = {
    "Allowance": NUMBER, "BillableRate": NUMBER, "ContactGroupIds": [INTEGER],
    "CurrencyCode": STRING, "CustomerSince": DATE, "DateOfBirth": DATE,
    "DeliveryTerm": STRING, "DeliveryTermId": INTEGER, "DepartmentCode": STRING,
    "DepartmentId": INTEGER, "DoNotAddLatePaymentFees": BOOLEAN,
    "DoNotAddLatePaymentInterest": BOOLEAN, "DoNotAutomatePaymentNotifications": BOOLEAN,
    "EmailAddress": STRING, "ExternalImportReference": STRING, "ExternalNumber": INTEGER,
    "FirstName": STRING, "InvoiceBrandingThemeCode": STRING, "InvoiceBrandingThemeId": INTEGER,
    "InvoiceDeliveryType": INVOICE_DELIVERY_TYPES, "InvoiceEmailAddress": STRING,
    "InvoiceEmailAddressCC": STRING, "IsArchived": BOOLEAN, "IsPerson": BOOLEAN,
    "IsVatFree": BOOLEAN, "LastName": STRING, "LegalName": STRING,
    "MailAddress": CONTACT_ADDRESS_POST, "Name": STRING, "NationalIdNumber": STRING,
    "NoticeOfDebtCollectionDeliveryType": REMINDER_DELIVERY_TYPES, "Number": INTEGER,
    "OrganizationNumber": STRING, "PaymentReminderEmailAddress": STRING,
    "PaymentTerm": INTEGER, "PaymentTermId": INTEGER, "PhoneNumber": STRING,
    "ReminderDeliveryType": REMINDER_DELIVERY_TYPES, "SalesPersonEmployeeId": INTEGER,
    "SalesPersonEmployeeNumber": INTEGER, "SendPaymentReminders": BOOLEAN,
    "SubLedgerNumberSeriesId": UUID, "TransferToDebtCollectionAgency": BOOLEAN,
    "UseInvoiceFee": BOOLEAN, "WebsiteUrl": STRING,
}

PRODUCT_POST = {
    "Code": STRING, "Description": STRING, "Gtin": STRING, "IsArchived": BOOLEAN,
    "IsStockItem": BOOLEAN, "Name": STRING, "OptionalSalesAccount": INTEGER,
    "OptionalSalesAccountAgricultureDepartment": AGRICULTURE_DEPARTMENTS,
    "OptionalSalesAccountId": INTEGER, "ProductGroupCode": STRING, "ProductGroupId": INTEGER,
    "ProductType": PRODUCT_TYPES, "StandardSalesAccount": INTEGER,
    "StandardSalesAccountAgricultureDepartment": AGRICULTURE_DEPARTMENTS,
    "StandardSalesAccountId": INTEGER, "StockOnHand": NUMBER, "UnitCost": NUMBER,
    "UnitOfMeasureCode": UNITS_OF_MEASURE, "UnitPrice": NUMBER,
}

SALES_ORDER_ACCRUAL_POST = {
    "BalanceAccountAgricultureDepartment": AGRICULTURE_DEPARTMENTS,
    "BalanceAccountId": INTEGER, "BalanceAccountNo": INTEGER, "FromDate": DATE,
    "IsActive": BOOLEAN, "ResultAccountAgricultureDepartment": AGRICULTURE_DEPARTMENTS,
    "ResultAccountId": INTEGER, "ResultAccountNo": INTEGER, "ToDate": DATE,
}

SALES_ORDER_LINE_POST = {
    "Accrual": SALES_ORDER_ACCRUAL_POST, "Allowance": NUMBER, "DepartmentCode": STRING,
    "DepartmentId": INTEGER, "Description": STRING, "Dim1Code": STRING, "Dim1Id": INTEGER,
    "Dim2Code": STRING, "Dim2Id": INTEGER, "Dim3Code": STRING, "Dim3Id": INTEGER,
    "ExternalImportReference": STRING, "LineType": LINE_TYPES, "LocationCode": STRING,
    "LocationId": INTEGER, "ProductCode": STRING, "ProductId": INTEGER,
    "ProductUnitCost": NUMBER, "ProductUnitPrice": NUMBER, "ProjectCode": STRING,
    "ProjectId": INTEGER, "Quantity": NUMBER, "SellersReferenceEmployeeId": INTEGER,
    "SellersReferenceEmployeeNo": INTEGER, "SortOrder": INTEGER,
    "UnitOfMeasureCode": UNITS_OF_MEASURE, "UseStandardSalesAccount": BOOLEAN,
    "VatReturnSpecification": VAT_RETURN_SPECIFICATIONS,
}

SALES_ORDER_COMPLETE_POST = {
    "BrandingThemeCode": STRING, "BrandingThemeId": INTEGER,
    "ContactDeliveryAddressId": INTEGER, "ContractNo": STRING, "CurrencyCode": STRING,
    "CurrencyExchangeRate": NUMBER, "CustomMatchingReference": STRING, "CustomerId": INTEGER,
    "CustomerNo": INTEGER, "CustomerReference": STRING,
    "CustomerReferenceContactPersonId": INTEGER, "DeliveryDate": DATE, "DeliveryTerm": STRING,
    "DeliveryTermId": INTEGER, "DepartmentCode": STRING, "DepartmentId": INTEGER,
    "Dim1Code": STRING, "Dim1Id": INTEGER, "Dim2Code": STRING, "Dim2Id": INTEGER,
    "Dim3Code": STRING, "Dim3Id": INTEGER, "ExternalImportReference": STRING,
    "ImportedOrderNo": INTEGER, "LocationCode": STRING, "LocationId": INTEGER,
    "PaymentTerm": INTEGER, "PaymentTermId": INTEGER, "ProjectCode": STRING,
    "ProjectId": INTEGER, "PurchaseOrderReference": STRING, "RelatedInvoiceNo": INTEGER,
    "SalesOrderDate": DATE, "SalesOrderLines": [SALES_ORDER_LINE_POST],
    "SalesOrderStatus": ORDER_STATUSES, "SalesPersonEmployeeId": INTEGER,
    "SalesPersonEmployeeNumber": INTEGER,
}

SEND_INVOICE_REQUEST_POST = {
    "DeliveryType": SEND_DELIVERY_TYPES, "EmailAddress": STRING, "OverrideDueDate": DATE,
    "VoucherDate": DATE,
}

INITIATE_ONBOARDING_POST = {"ApplicationKey": UUID, "ClientOrganizationNo": STRING,
                            "RedirectUri": STRING}
FINALIZE_ONBOARDING_POST = {"OnboardingToken": STRING}

# Each spec above under its schema name in the spec (for the spec test and messages).
POST_DTOS = {
    "ContactAddressPostDto": CONTACT_ADDRESS_POST,
    "CustomerPostDto": CUSTOMER_POST,
    "ProductPostDto": PRODUCT_POST,
    "SalesOrderAccrualPostDto": SALES_ORDER_ACCRUAL_POST,
    "SalesOrderLinePostDto": SALES_ORDER_LINE_POST,
    "SalesOrderCompletePostDto": SALES_ORDER_COMPLETE_POST,
    "SendInvoiceRequestPostDto": SEND_INVOICE_REQUEST_POST,
    "InitiateOnboardingPostDto": INITIATE_ONBOARDING_POST,
    "FinalizeOnboardingPostDto": FINALIZE_ONBOARDING_POST,
}


def names(spec):
    """The `strict_json` field spec: each name, mapped to its nested object's names."""
    result = {}
    for name, kind in spec.items():
        if isinstance(kind, dict):
            result[name] = names(kind)
        elif isinstance(kind, list) and isinstance(kind[0], dict):
            result[name] = names(kind[0])
        else:
            result[name] = None
    return result


_NET_TYPES = {STRING: "System.String", INTEGER: "System.Int64", NUMBER: "System.Decimal",
              BOOLEAN: "System.Boolean", DATE: "System.DateOnly",
              DATE_TIME: "System.DateTimeOffset", UUID: "System.Guid"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _converts(value, kind):
    if isinstance(kind, tuple):
        return isinstance(value, str) and value in kind
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == DATE:
        return isinstance(value, str) and _is_date(value[:10]) and (
            len(value) == 10 or value[10] == "T")
    if kind == UUID:
        return isinstance(value, str) and is_uuid(value)
    return True


def _is_date(text):
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_uuid(text):
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def type_errors(data, spec, path="$"):
    """{json path: [message]} for every value `data` holds that is not of its declared type.
    Null is accepted everywhere (Go's Post DTOs declare every property nullable)."""
    found = {}
    if not isinstance(data, dict):
        return found
    for name, value in data.items():
        kind = spec.get(name)
        here = f"{path}.{name}"
        if value is None or kind is None:
            continue
        if isinstance(kind, dict):
            if isinstance(value, dict):
                found.update(type_errors(value, kind, here))
            else:
                found[here] = [f"The JSON value could not be converted to {name}. Path: {here}"]
        elif isinstance(kind, list):
            if not isinstance(value, list):
                found[here] = [f"The JSON value could not be converted to a list. Path: {here}"]
                continue
            for index, item in enumerate(value):
                item_path = f"{here}[{index}]"
                if isinstance(kind[0], dict):
                    if isinstance(item, dict):
                        found.update(type_errors(item, kind[0], item_path))
                    else:
                        found[item_path] = [f"The JSON value could not be converted to an "
                                            f"object. Path: {item_path}"]
                elif item is not None and not _converts(item, kind[0]):
                    found[item_path] = [_conversion_message(kind[0], item_path)]
        elif not _converts(value, kind):
            found[here] = [_conversion_message(kind, here, value)]
    return found


def _conversion_message(kind, path, value=None):
    if isinstance(kind, tuple):
        return (f"The value '{value}' is not valid. Valid values are: {', '.join(kind)}. "
                f"Path: {path}")
    return f"The JSON value could not be converted to {_NET_TYPES[kind]}. Path: {path}"
