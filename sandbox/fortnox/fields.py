"""Fortnox's field names per entity, typed, written out from the published OpenAPI spec
(`fortnox_*` schemas): what a request body may carry (the `*Payload*` schema where the spec has
one, else the entity schema it names as the request body), what a single entity answers with,
and the reduced field set of a list row.

Types decide a field's empty value in responses: strings "" , dates null, numbers 0, booleans
false, objects their own empty shape, lists []. Unknown names in a request are refused with
2001399 through `Shape.spec` (see sandbox.framework.jsonbody).

Sigils: s string, d date (YYYY-MM-DD), n number, i integer, b boolean; nested fields are
("o", shape) for an object and ("a", shape) for a list of objects.
"""

_EMPTY = {"s": "", "d": None, "n": 0, "i": 0, "b": False}


class Shape:
    def __init__(self, scalars, nested):
        self.types = dict(scalars)
        self.nested = dict(nested)

    @property
    def names(self):
        return set(self.types) | set(self.nested)

    @property
    def spec(self):
        """The field spec `strict_json` takes."""
        spec = dict.fromkeys(self.types)
        spec.update({name: shape.spec for name, (_, shape) in self.nested.items()})
        return spec

    def empty(self):
        """Every field at its empty value, as Fortnox answers an entity with nothing set."""
        value = {name: _EMPTY[kind] for name, kind in self.types.items()}
        for name, (kind, shape) in self.nested.items():
            value[name] = [] if kind == "a" else shape.empty()
        return value

    def kind(self, name):
        return self.types.get(name) or self.nested.get(name, (None,))[0]


def shape(**groups):
    scalars, nested = {}, {}
    for key, value in groups.items():
        if key in _EMPTY:
            scalars.update(dict.fromkeys(value.split(), key))
        else:
            nested[key] = value
    return Shape(scalars, nested)


INVOICE_ROW_PAYLOAD = shape(
    s="""ArticleNumber CostCenter DeliveredQuantity Description DiscountType HouseWorkType
       Project StockPointCode Unit VATCode""",
    n="""Discount Price""",
    i="""AccountNumber HouseWorkHoursToReport RowId VAT""",
    b="""HouseWork""",
)

INVOICE_ROW = shape(
    s="""ArticleNumber ContributionPercent ContributionValue CostCenter DeliveredQuantity
       Description DiscountType HouseWorkType Project StockPointCode Unit VATCode""",
    n="""Discount Price PriceExcludingVAT Total TotalExcludingVAT""",
    i="""AccountNumber HouseWorkHoursToReport RowId VAT""",
    b="""HouseWork""",
)

EMAIL_INFORMATION = shape(
    s="""EmailAddressBCC EmailAddressCC EmailAddressFrom EmailAddressTo EmailBody
       EmailSubject""",
)

EDI_INFORMATION = shape(
    s="""EDIGlobalLocationNumber EDIGlobalLocationNumberDelivery EDIInvoiceExtra1
       EDIInvoiceExtra2 EDIOurElectronicReference EDIYourElectronicReference""",
)

LABEL = shape(
    i="""Id""",
)

INVOICE_PAYLOAD = shape(
    s="""Address1 Address2 City Comments CostCenter Country CreditInvoiceReference Currency
       CustomerName CustomerNumber DeliveryAddress1 DeliveryAddress2 DeliveryCity
       DeliveryCountry DeliveryName DeliveryZipCode DocumentNumber
       ExternalInvoiceReference1 ExternalInvoiceReference2 InvoiceType Language OCR
       OurReference PaymentWay Phone1 Phone2 PriceList PrintTemplate Project Remarks
       TaxReductionType TermsOfDelivery TermsOfPayment WayOfDelivery YourOrderNumber
       YourReference ZipCode""",
    d="""DeliveryDate DueDate InvoiceDate OutboundDate""",
    n="""AdministrationFee CurrencyRate Freight""",
    i="""CurrencyUnit""",
    b="""EUQuarterlyReport NotCompleted VATIncluded""",
    EDIInformation=('o', EDI_INFORMATION),
    EmailInformation=('o', EMAIL_INFORMATION),
    InvoiceRows=('a', INVOICE_ROW_PAYLOAD),
    Labels=('a', LABEL),
)

INVOICE = shape(
    s="""@url @urlTaxReductionList AccountingMethod Address1 Address2 City Comments
       CostCenter Country Credit CreditInvoiceReference Currency CustomerName
       CustomerNumber DeliveryAddress1 DeliveryAddress2 DeliveryCity DeliveryCountry
       DeliveryName DeliveryZipCode DocumentNumber ExternalInvoiceReference1
       ExternalInvoiceReference2 InvoicePeriodReference InvoiceType Language OCR
       OfferReference OrderReference OrganisationNumber OurReference PaymentWay Phone1
       Phone2 PriceList PrintTemplate Project Remarks TaxReductionType TermsOfDelivery
       TermsOfPayment VoucherSeries WayOfDelivery YourOrderNumber YourReference ZipCode""",
    d="""DeliveryDate DueDate FinalPayDate InvoiceDate InvoicePeriodEnd InvoicePeriodStart
       LastRemindDate OutboundDate""",
    n="""AdministrationFee AdministrationFeeVAT Balance BasisTaxReduction ContributionPercent
       ContributionValue CurrencyRate Freight FreightVAT Gross Net RoundOff Total
       TotalToPay TotalVAT""",
    i="""ContractReference CurrencyUnit Reminders TaxReduction TimeBasisReference
       VoucherNumber VoucherYear""",
    b="""Booked Cancelled EUQuarterlyReport HouseWork NotCompleted NoxFinans Sent VATIncluded
       WarehouseReady""",
    EDIInformation=('o', EDI_INFORMATION),
    EmailInformation=('o', EMAIL_INFORMATION),
    InvoiceRows=('a', INVOICE_ROW),
    Labels=('a', LABEL),
)

OFFER_ROW = shape(
    s="""ArticleNumber ContributionPercent ContributionValue CostCenter Description
       DiscountType HouseWorkType Project Quantity Unit VATCode""",
    n="""Discount HouseWorkHoursToReport Price Total""",
    i="""AccountNumber RowId VAT""",
    b="""HouseWork""",
)

OFFER = shape(
    s="""@url @urlTaxReductionList Address1 Address2 City Comments CostCenter Country
       Currency CustomerName CustomerNumber DeliveryAddress1 DeliveryAddress2 DeliveryCity
       DeliveryCountry DeliveryName DeliveryZipCode DocumentNumber InvoiceReference
       Language OrderReference OrganisationNumber OurReference Phone1 Phone2 PriceList
       PrintTemplate Project Remarks TaxReductionType TermsOfDelivery TermsOfPayment
       WayOfDelivery YourReference YourReferenceNumber ZipCode""",
    d="""DeliveryDate ExpireDate OfferDate""",
    n="""AdministrationFee AdministrationFeeVAT BasisTaxReduction ContributionPercent
       ContributionValue CurrencyRate Freight FreightVAT Gross Net RoundOff Total
       TotalToPay TotalVAT""",
    i="""CurrencyUnit TaxReduction""",
    b="""Cancelled CopyRemarks HouseWork NotCompleted Sent VATIncluded""",
    EmailInformation=('o', EMAIL_INFORMATION),
    Labels=('a', LABEL),
    OfferRows=('a', OFFER_ROW),
)

WRITE_OFF = shape(
    s="""CostCenter Currency Description Project TransactionInformation""",
    n="""Amount""",
    i="""AccountNumber""",
)

INVOICE_PAYMENT = shape(
    s="""@url Currency ExternalInvoiceReference1 ExternalInvoiceReference2
       InvoiceCustomerName InvoiceCustomerNumber InvoiceOCR InvoiceTotal ModeOfPayment
       Number Source VoucherSeries""",
    d="""InvoiceDueDate PaymentDate""",
    n="""Amount AmountCurrency CurrencyRate CurrencyUnit""",
    i="""InvoiceNumber ModeOfPaymentAccount VoucherNumber VoucherYear""",
    b="""Booked""",
    WriteOffs=('a', WRITE_OFF),
)

DEFAULT_DELIVERY_TYPES = shape(
    s="""Invoice Offer Order""",
)

DEFAULT_TEMPLATES = shape(
    s="""CashInvoice Invoice Offer Order""",
)

CUSTOMER = shape(
    s="""@url Address1 Address2 City Comments CostCenter Country CountryCode Currency
       CustomerNumber DeliveryAddress1 DeliveryAddress2 DeliveryCity DeliveryCountry
       DeliveryCountryCode DeliveryFax DeliveryName DeliveryPhone1 DeliveryPhone2
       DeliveryZipCode Email EmailInvoice EmailInvoiceBCC EmailInvoiceCC EmailOffer
       EmailOfferBCC EmailOfferCC EmailOrder EmailOrderBCC EmailOrderCC ExternalReference
       Fax GLN GLNDelivery InvoiceAdministrationFee InvoiceFreight InvoiceRemark Name
       OrganisationNumber OurReference Phone1 Phone2 PriceList Project SalesAccount
       TermsOfDelivery TermsOfPayment Type VATNumber VATType VisitingAddress VisitingCity
       VisitingCountry VisitingCountryCode VisitingZipCode WWW WayOfDelivery YourReference
       ZipCode""",
    n="""InvoiceDiscount""",
    b="""Active ShowPriceVATIncluded""",
    DefaultDeliveryTypes=('o', DEFAULT_DELIVERY_TYPES),
    DefaultTemplates=('o', DEFAULT_TEMPLATES),
)

ARTICLE = shape(
    s="""@url ArticleNumber CostCalculationMethod DefaultStockLocation DefaultStockPoint
       Description EAN HouseworkType Manufacturer ManufacturerArticleNumber Note StockPlace
       SupplierName SupplierNumber Type Unit""",
    n="""DirectCost DisposableQuantity FreightCost OtherCost PurchasePrice QuantityInStock
       ReservedQuantity SalesPrice StockValue StockWarning VAT""",
    i="""ConstructionAccount Depth EUAccount EUVATAccount ExportAccount Height
       PurchaseAccount SalesAccount StockAccount StockChangeAccount Weight Width""",
    b="""Active Bulky Expired Housework StockGoods WebshopArticle""",
)

PROJECT = shape(
    s="""@url Comments ContactPerson Description ProjectLeader ProjectNumber Status""",
    d="""EndDate StartDate""",
)

DATED_SCHEDULE = shape(
    s="""EmployeeId ScheduleId""",
    d="""FirstDay""",
)

DATED_WAGE = shape(
    s="""EmployeeId HourlyPay MonthlySalary""",
    d="""FirstDay""",
)

EMPLOYEE_CATEGORY = shape(
    s="""Name value""",
)

EMPLOYEE_CHILD = shape(
    s="""Child EmployeeId Id""",
    n="""WithdrawnDays""",
    i="""ApprovedDays IngoingWithdrawnDays""",
)

OPENING_SALARY = shape(
    s="""EmployeeId Period ProductGroup QuantityUnit SalaryTypeName SalaryTypeNumber SortCode
       TextRow""",
    n="""Amount Quantity Total VAT""",
    i="""RowId""",
)

EMPLOYEE = shape(
    s="""Address1 Address2 AverageHourlyWage AverageWeeklyHours BankAccountNo City ClearingNo
       CostCenter Country Email EmployeeId EmploymentForm FirstName ForaType FullName
       HourlyPay JobTitle LastName MonthlySalary NonRecurringTax PayslipType
       PersonalIdentityNumber PersonelType Phone1 Phone2 PostCode Project SalaryForm
       ScheduleId TaxAllowance TaxTable WorkingTimeEnumeration""",
    d="""EmployedTo EmploymentDate""",
    n="""ATFValue ATKValue AbsenceHoursNonVacationBased AbsenceHoursVacationBased
       AbsenceWorkdaysNonVacationBased AbsenceWorkdaysVacationBased CurrentCompBalance
       CurrentFlexBalance FullTimeEquivalent InitialComp InitialFlex
       NonVacationBasedCalendarDaysPartial NonVacationBasedCalendarDaysWhole
       PreliminaryTaxDeducted VacationBasedAttendanceDays VacationBasedAttendanceHours
       VacationBasedCalendarDaysWhole VacationBasedSalaryTotal
       VacationBasedSalaryVariableAddition VacationBasedSalaryWorkedTime
       VacationCalculationAdvanceVacationDebt VacationCalculationTotalVacationSalarySum
       VacationCalculationVacationEntitlement VacationCalculationVariableAdditionSum
       VacationDaysPaid VacationDaysPendingPaid VacationDaysPendingPrepaid
       VacationDaysPendingSaved VacationDaysPendingSavedYear1 VacationDaysPendingSavedYear2
       VacationDaysPendingSavedYear3 VacationDaysPendingSavedYear4
       VacationDaysPendingSavedYear5 VacationDaysPendingSavedYear6Plus
       VacationDaysPendingUnpaid VacationDaysPrepaid VacationDaysRegisteredPaid
       VacationDaysRegisteredPrepaid VacationDaysRegisteredSaved
       VacationDaysRegisteredSavedYear1 VacationDaysRegisteredSavedYear2
       VacationDaysRegisteredSavedYear3 VacationDaysRegisteredSavedYear4
       VacationDaysRegisteredSavedYear5 VacationDaysRegisteredSavedYear6Plus
       VacationDaysRegisteredUnpaid VacationDaysSaved VacationDaysSavedEmploymentRateYear1
       VacationDaysSavedEmploymentRateYear2 VacationDaysSavedEmploymentRateYear3
       VacationDaysSavedEmploymentRateYear4 VacationDaysSavedEmploymentRateYear5
       VacationDaysSavedEmploymentRateYear6Plus VacationDaysSavedYear1
       VacationDaysSavedYear2 VacationDaysSavedYear3 VacationDaysSavedYear4
       VacationDaysSavedYear5 VacationDaysSavedYear6Plus VacationDaysUnpaid""",
    i="""TaxColumn""",
    b="""AutoNonRecurringTax Inactive VacationCalculationIncludeInCalculation
       VacationCalculationSameWagePercent VacationCalculationSoleCustody
       VacationCalculationSumOnlyNoDays""",
    DatedSchedules=('a', DATED_SCHEDULE),
    DatedWages=('a', DATED_WAGE),
    EmployeeCategories=('a', EMPLOYEE_CATEGORY),
    EmployeeChildren=('a', EMPLOYEE_CHILD),
    OpeningSalaries=('a', OPENING_SALARY),
)

SALARY_TRANSACTION = shape(
    s="""Amount CostCenter EmployeeId Expense Number Project SalaryCode TextRow Total VAT""",
    d="""Date""",
    i="""SalaryRow""",
)

ATTENDANCE_TRANSACTION = shape(
    s="""CauseCode CostCenter EmployeeId Hours Project""",
    d="""Date""",
)

# `Hours` and `Extent` are numbers here, unlike attendance's string `Hours`.
ABSENCE_TRANSACTION = shape(
    s="""CauseCode CostCenter EmployeeId Project""",
    d="""Date""",
    n="""Extent Hours""",
    b="""HolidayEntitling""",
)

OPENING_QUANTITY = shape(
    s="""Project""",
    i="""Balance""",
)

ACCOUNT_PAYLOAD = shape(
    s="""CostCenter CostCenterSettings Description Project ProjectSettings
       TransactionInformation TransactionInformationSettings VATCode""",
    n="""BalanceBroughtForward""",
    i="""Number SRU""",
    b="""Active""",
    OpeningQuantities=('a', OPENING_QUANTITY),
)

ACCOUNT = shape(
    s="""@url CostCenter CostCenterSettings Description Project ProjectSettings
       QuantitySettings QuantityUnit TransactionInformation TransactionInformationSettings
       VATCode""",
    n="""BalanceBroughtForward BalanceCarriedForward""",
    i="""Number SRU Year""",
    b="""Active""",
    OpeningQuantities=('a', OPENING_QUANTITY),
)

COMPANY_INFORMATION = shape(
    s="""Address City CompanyName CountryCode OrganizationNumber VisitAddress VisitCity
       VisitCountryCode VisitZipCode ZipCode""",
    i="""DatabaseNumber""",
)

# The spec's single AttendanceTransaction has no `id`; list rows do, and so do the simulator's.
ATTENDANCE_TRANSACTION_ENTITY = Shape({"id": "s", **ATTENDANCE_TRANSACTION.types}, {})
# The spec's single AbsenceTransaction does carry its `id` (a uuid).
ABSENCE_TRANSACTION_ENTITY = Shape({"id": "s", **ABSENCE_TRANSACTION.types}, {})


# The fields a list row carries (the `*ListItem` schemas); everything else needs a GET of one.
LIST_FIELDS = {
    "customer": """@url Address1 Address2 City CustomerNumber Email Name OrganisationNumber Phone
        ZipCode""",
    "invoice": """@url Balance Booked Cancelled CostCenter Currency CurrencyRate CurrencyUnit
        CustomerName CustomerNumber DocumentNumber DueDate ExternalInvoiceReference1
        ExternalInvoiceReference2 FinalPayDate InvoiceDate InvoiceType NoxFinans OCR Project
        Sent TermsOfPayment Total VoucherNumber VoucherSeries VoucherYear WayOfDelivery""",
    "invoicepayment": """@url Amount Booked Currency CurrencyRate CurrencyUnit InvoiceNumber
        Number PaymentDate Source WriteOffExist""",
    "offer": """@url Cancelled Currency CustomerName CustomerNumber DocumentNumber OfferDate
        Project Sent Total""",
    "article": """@url ArticleNumber Description DisposableQuantity EAN Housework PurchasePrice
        QuantityInStock ReservedQuantity SalesPrice StockPlace StockValue Unit VAT
        WebshopArticle""",
    "account": """@url Active BalanceBroughtForward CostCenter CostCenterSettings Description
        Number Project ProjectSettings SRU VATCode Year""",
    "project": "@url Description EndDate ProjectLeader ProjectNumber StartDate Status",
    "salarytransaction": """@url Amount CostCenter Date EmployeeId Expense Number Project
        SalaryCode SalaryRow TextRow Total VAT""",
    "attendancetransaction": "@url CauseCode CostCenter Date EmployeeId Hours Project id",
    "absencetransaction": """@url CauseCode CostCenter Date EmployeeId Extent HolidayEntitling
        Hours Project id""",
}
LIST_FIELDS = {kind: names.split() for kind, names in LIST_FIELDS.items()}
