"""The properties of the spec definitions whose bodies the simulator accepts, one line each,
copied from Visma's published spec (Swagger 2.0, 2023-07-03; see shapes.py for the line format
and how a body is checked). tests/sandbox/test_visma_eaccounting_spec.py keeps them equal to
the spec."""

from sandbox.visma_eaccounting.shapes import shape

CUSTOMER = shape("CustomerApi", name="CUSTOMER", text="""
    AutoInvoiceActivationEmailSentDate datetime
    AutoInvoiceRegistrationRequestSentDate datetime
    ChangedUtc datetime ro
    ContactPersonEmail string 255
    ContactPersonMobile string 50
    ContactPersonName string 100
    ContactPersonPhone string 50
    CorporateIdentityNumber string 20
    CurrencyCode string 3
    CustomerLabels [object]
    CustomerNumber string 16
    DeliveryAddress1 string 50
    DeliveryAddress2 string 50
    DeliveryBasedVat boolean
    DeliveryCity string 50
    DeliveryCountryCode string 2
    DeliveryCustomerName string 100
    DeliveryMethodId guid
    DeliveryPostalCode string 10
    DeliveryTermId guid
    DirectDebitCustomerSettings object
    DiscountAgreementId guid
    DiscountPercentage number
    EdiGlnNumber string 255
    EdiServiceDelivererId string 255
    ElectronicAddress string 255
    ElectronicReference string 35
    EmailAddress string 255
    EmailAddressOrder string 255
    EmailAddressQuote string 255
    EmailAddresses [string]
    ForceBookkeepVat boolean
    GLN string 255
    Iban string
    Id guid ro
    InvoiceAddress1 string 50
    InvoiceAddress2 string 50
    InvoiceCity string 50 required
    InvoiceCountryCode string 2
    InvoicePostalCode string 10 required
    IsActive boolean required
    IsFutureInvoiceDateAllowed boolean ro
    IsNorthernIreland boolean
    IsPrivatePerson boolean required
    LastInvoiceDate datetime ro
    MessageThreads [guid] ro
    MobilePhone string 50
    Name string 50 required
    Note string 4000
    Notes [guid] ro
    PayToAccountId guid ro
    ReverseChargeOnConstructionServices boolean
    SalesDocumentLanguage string 2
    SalesPriceListId guid
    Telephone string 50
    TermsOfPayment object ro
    TermsOfPaymentId guid required
    UnpaidInvoicesAmount number ro
    VatNumber string 20
    WebshopCustomerNumber integer
    WwwAddress string 255
""")

ARTICLE = shape("ArticleApi", name="ARTICLE", text="""
    ArticleLabels [object]
    Barcodes [object]
    ChangedUtc datetime ro
    CodingId guid required
    CodingName string ro
    CreatedUtc datetime ro
    DiscountPercentage number
    FreightCosts number
    FreightCostsManuallyChangedUtc datetime ro
    GreenTechnologyType integer
    GrossPrice number
    HouseWorkType integer
    Id guid ro
    IsActive boolean required
    IsServiceArticle boolean ro
    IsStock boolean
    MessageThreads [guid] ro
    Name string 50 required
    NameEnglish string 50
    NetPrice number
    NetPriceWithDiscount number
    Notes [guid] ro
    Number string 40 required
    PurchasePrice number
    PurchasePriceManuallyChangedUtc datetime ro
    SendToWebshop boolean
    ShowStockInformation boolean ro
    StockBalance number
    StockBalanceAvailable number ro
    StockBalanceManuallyChangedUtc datetime ro
    StockBalanceReserved number ro
    StockLocationReference string
    StockValue number ro
    UnitAbbreviation string ro
    UnitId guid required
    UnitName string ro
    UpdateStockPrices boolean
    UsesMoss boolean
""")

DRAFT_ROW = shape("CustomerInvoiceDraftRowApi", name="DRAFT_ROW", text="""
    ArticleId guid
    ArticleNumber string
    ContributionMargin object
    CostCenterItemId1 guid
    CostCenterItemId2 guid
    CostCenterItemId3 guid
    DiscountPercentage number
    GreenTechnologyType integer
    Id guid ro
    IsServiceArticle boolean ro
    IsTextRow boolean required
    IsWorkCost boolean
    LineNumber integer
    MaterialCosts number
    ProjectId guid
    Quantity number
    ReversedConstructionServicesVatFree boolean required
    Text string 2000
    UnitAbbreviation string
    UnitAbbreviationEnglish string
    UnitId guid ro
    UnitName string
    UnitPrice number
    VatRateId string ro
    WorkCostType integer
    WorkHours number
""")

DRAFT = shape("CustomerInvoiceDraftApi", name="DRAFT", text="""
    BuyersOrderReference string 35
    ContributionMargin object
    CreatedUtc datetime ro
    CustomerId guid required
    CustomerIsPrivatePerson boolean ro
    CustomerName string ro
    CustomerNumber string 16 ro
    DeliveryAddress1 string 50
    DeliveryAddress2 string 50
    DeliveryCity string 50
    DeliveryCountryCode string 2
    DeliveryCustomerName string 50
    DeliveryDate datetime
    DeliveryMethodCode string 20
    DeliveryMethodName string 50
    DeliveryPostalCode string 10
    DeliveryTermCode string 20
    DeliveryTermName string 50
    DueDate datetime
    ElectronicReference string 100
    EuThirdParty boolean required
    HouseWorkOtherCosts number
    Id guid ro
    IncludesVat boolean ro
    InvoiceAddress1 string 50
    InvoiceAddress2 string 50
    InvoiceCity string 50 ro
    InvoiceCountryCode string 2 ro
    InvoiceCurrencyCode string ro
    InvoiceCustomerName string 50 ro
    InvoiceDate datetime
    InvoicePostalCode string 10 ro
    IsCreditInvoice boolean
    IsDirectDebit boolean ro
    MessageThreads [guid] ro
    Notes [guid] ro
    OurReference string 100
    Persons [object]
    ReplaceUnitPriceWhenZero boolean
    ReverseChargeOnConstructionServices boolean ro
    RotPropertyType integer
    RotReducedInvoicingAmount number
    RotReducedInvoicingAutomaticDistribution boolean
    RotReducedInvoicingOrgNumber string 11
    RotReducedInvoicingPropertyName string 40
    RotReducedInvoicingType integer enum=0,1,2 required
    Rows [DRAFT_ROW]
    SalesDocumentAttachments [guid] ro
    TotalAmount number ro
    TotalAmountBaseCurrency number ro
    TotalRoundings number ro
    TotalVatAmount number ro
    TotalVatAmountBaseCurrency number ro
    UsesGreenTechnology boolean
    YourReference string 100
""")

INVOICE_ROW = shape("CustomerInvoiceRowApi", name="INVOICE_ROW", text="""
    AmountNoVat number ro
    ArticleId guid
    ArticleNumber string ro
    ContributionMargin object
    CostCenterItemId1 guid
    CostCenterItemId2 guid
    CostCenterItemId3 guid
    DiscountPercentage number
    GreenTechnologyType integer
    Id guid ro
    IsServiceArticle boolean ro
    IsTextRow boolean ro
    IsVatFree boolean
    IsWorkCost boolean ro
    LineNumber integer ro
    MaterialCosts number
    PercentVat number ro
    ProjectId guid
    Quantity number
    Text string
    UnitAbbreviation string ro
    UnitAbbreviationEnglish string ro
    UnitId guid ro
    UnitPrice number
    WorkCostType integer
    WorkHours number
""")

INVOICE = shape("CustomerInvoiceApi", name="INVOICE", text="""
    BuyersOrderReference string 35
    ContributionMargin object
    CreatedByUserId guid ro
    CreatedFromDraftId guid
    CreatedFromOrderId guid ro
    CreatedUtc datetime ro
    CreditedBy [object] ro
    CurrencyCode string ro
    CurrencyRate number
    CustomerEmail string ro
    CustomerId guid required
    CustomerIsPrivatePerson boolean ro
    CustomerName string ro
    CustomerNumber string ro
    DeliveryAddress1 string 50
    DeliveryAddress2 string 50
    DeliveryCity string 50
    DeliveryCountryCode string 2
    DeliveryCustomerName string 100
    DeliveryDate datetime
    DeliveryMethodCode string ro
    DeliveryMethodName string ro
    DeliveryPostalCode string 10
    DeliveryTermCode string ro
    DeliveryTermName string ro
    DueDate datetime
    EdiServiceDelivererId string 50
    ElectronicAddress string ro
    ElectronicReference string
    EuThirdParty boolean required
    FactoringInvoiceStatus integer enum=0,3,4,6,7,8,9,10,11,12,13 ro
    HasAutoInvoiceError boolean ro
    Id guid ro
    IncludesVat boolean ro
    InvoiceAddress1 string 50
    InvoiceAddress2 string 50
    InvoiceCity string 50
    InvoiceCountryCode string 2
    InvoiceCustomerName string ro
    InvoiceDate datetime
    InvoiceNumber integer ro
    InvoicePostalCode string 50
    IsCreditInvoice boolean
    IsDirectDebit boolean ro
    IsNotDelivered boolean ro
    IsSold boolean ro
    MessageThreads [guid] ro
    ModifiedUtc datetime ro
    Notes [guid] ro
    OurReference string 100
    PaymentDate datetime ro
    PaymentReferenceNumber string ro
    PaymentReminderIssued boolean ro
    PaymentStatus integer enum=0,1,2 ro
    Persons [object]
    ReferringInvoiceId guid ro
    RemainingAmount number ro
    RemainingAmountInvoiceCurrency number ro
    ReverseChargeOnConstructionServices boolean ro
    ReversedConstructionVatInvoicing boolean ro
    RotPropertyType integer
    RotReducedInvoicingAmount number
    RotReducedInvoicingAutomaticDistribution boolean ro
    RotReducedInvoicingOrgNumber string 11
    RotReducedInvoicingPercent number ro
    RotReducedInvoicingPropertyName string
    RotReducedInvoicingType integer enum=0,1,2 required
    Rows [INVOICE_ROW] required
    SalesDocumentAttachments [guid] ro
    SendType integer enum=0,1,2,3
    SetOffAmountInvoiceCurrency number ro
    TermsOfPaymentId guid
    TotalAmount number ro
    TotalAmountInvoiceCurrency number ro
    TotalRoundings number ro
    TotalVatAmount number ro
    TotalVatAmountInvoiceCurrency number ro
    UsesGreenTechnology boolean
    VatSpecification [object] ro
    VoucherId guid ro
    VoucherNumber string ro
    WorkHouseOtherCosts number
    YourReference string 100
""")

PAYMENT = shape("InvoicePaymentApi", name="PAYMENT", text="""
    BankFeeAmount number
    BankTransactionId guid ro
    CompanyBankAccountId guid required
    DomesticPaymentAmount number
    FactoringFeeAccountNumber integer
    FactoringFeeAmount number
    PaymentAmount number required
    PaymentCurrency string required
    PaymentDate datetime required
    PaymentType integer enum=1,2,3,4 required
    Reference string 100
""")

VALIDATION_ROW = shape("CustomerInvoiceDraftValidationRowApi", name="VALIDATION_ROW", text="""
    LineNumber integer
    TotalAmountIncVatInvoiceCurrency number
    TotalAmountNoVatInvoiceCurrency number
""")

VALIDATION = shape("CustomerInvoiceDraftValidationApi", name="VALIDATION", text="""
    Rows [VALIDATION_ROW]
    TotalAmountInvoiceCurrency number
    TotalRoundingsInvoiceCurrency number
    TotalVatAmountInvoiceCurrency number
""")

PARTNER_RESOURCE_LINK = shape("PartnerResourceLinkApi", name="PARTNER_RESOURCE_LINK", text="""
    Href string 256 required
    Id guid ro
    PartnerCompanyName string 100 required
    PartnerSystemName string 100 required
    ResourceId guid required
    ResourceType integer enum=0,1,2,3,4,5,6 required
""")

WEBHOOK_SUBSCRIPTION = shape("WebHookSubscriptionApi", name="WEBHOOK_SUBSCRIPTION", text="""
    SubscriptionType integer enum=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14
    WebHookId guid ro
""")

WEBHOOK = shape("WebHookApi", name="WEBHOOK", text="""
    Active boolean
    AuthenticationKey string 255
    AuthenticationValue string 255
    ClientId string 255
    CreatedUtc datetime ro
    Description string 255
    Endpoint string 512
    Id guid ro
    ModifiedUtc datetime ro
    SigningKey string 255
    Subscriptions [WEBHOOK_SUBSCRIPTION]
""")

