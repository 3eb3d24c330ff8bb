"""The demo's content: two organizations, their logins and records. Made-up people and companies.

Dates are given as days relative to the day the demo is loaded. Read by `manage.py load_demo`
(the loader) and `manage.py demo_banner` (the logins).
"""

from decimal import Decimal as D

# Demo only: every demo login shares this password. Never run load_demo in production.
DEMO_PASSWORD = "demo1234"

ORGANIZATIONS = [
    {"slug": "nordbil", "name": "Nordbil AS", "country": "NO", "currency": "NOK",
     "language": "nb", "org_number": "912345678"},
    # The second dealer, on another accounting system (see its provider's `demo()`): the same
    # customers, cars and contracts, so the same acceptance criteria run for both.
    {"slug": "nordbil-vest", "name": "Nordbil Vest AS", "country": "NO", "currency": "NOK",
     "language": "nb", "org_number": "923456781"},
    {"slug": "frost", "name": "Frost Bygg AB", "country": "SE", "currency": "SEK",
     "language": "sv", "org_number": "556677-8899"},
]

# username -> (organization slug, membership role, first name, last name)
USERS = {
    "nordbil-admin": ("nordbil", "admin", "Ingrid", "Haugen"),
    "nordbil-staff": ("nordbil", "staff", "Ola", "Nordmann"),
    "vest-admin": ("nordbil-vest", "admin", "Silje", "Vik"),
    "vest-staff": ("nordbil-vest", "staff", "Jonas", "Lie"),
    "frost-admin": ("frost", "admin", "Karin", "Lindqvist"),
    "frost-staff": ("frost", "staff", "Erik", "Johansson"),
}

# The car dealers: each gets the dealer's customers, cars and contracts below.
DEALER_SLUGS = ("nordbil", "nordbil-vest")

# --- Nordbil AS: the car dealer -----------------------------------------------------------------

NORDBIL_CUSTOMERS = [
    {"kind": "person", "name": "Kari Nordmann", "email": "kari.nordmann@example.no",
     "phone": "+47 912 34 567", "street": "Storgata 12", "postal_code": "0155", "city": "Oslo"},
    {"kind": "person", "name": "Per Hansen", "email": "per.hansen@example.no",
     "phone": "+47 934 56 789", "street": "Kongens gate 5", "postal_code": "7011",
     "city": "Trondheim"},
    {"kind": "company", "name": "Fjordtransport AS", "org_number": "987654321",
     "email": "post@fjordtransport.example.no", "phone": "+47 55 12 34 56",
     "street": "Bryggen 3", "postal_code": "5003", "city": "Bergen"},
    {"kind": "company", "name": "Vestland Elektro AS", "org_number": "923456781",
     "email": "faktura@vestlandelektro.example.no", "phone": "+47 51 23 45 67",
     "street": "Industriveien 20", "postal_code": "4021", "city": "Stavanger"},
    {"kind": "person", "name": "Nora Berg", "email": "nora.berg@example.no",
     "phone": "+47 998 76 543", "street": "Parkveien 8", "postal_code": "3015",
     "city": "Drammen"},
]

NORDBIL_CARS = [
    {"vin": "YV1XZK9V1P2012345", "registration_number": "EL 12345", "make": "Volvo",
     "model": "EX30", "year": 2024},
    {"vin": "WVWZZZE1ZPP034567", "registration_number": "EK 23456", "make": "Volkswagen",
     "model": "ID.4", "year": 2023},
    {"vin": "5YJ3E7EB2NF045678", "registration_number": "EV 34567", "make": "Tesla",
     "model": "Model 3", "year": 2022},
    {"vin": "JTMW43FV20D056789", "registration_number": "DN 45678", "make": "Toyota",
     "model": "RAV4 Hybrid", "year": 2021},
    {"vin": "KNAC381A1N5067890", "registration_number": "EB 56789", "make": "Kia",
     "model": "EV6", "year": 2023},
]

# Lines: (category, description, quantity, unit price, VAT label)
NORDBIL_CONTRACTS = [
    {"number": "1001", "customer": "Kari Nordmann", "car": "EL 12345", "status": "signed",
     "signed_days_ago": 12, "lines": [
         ("car", "Volvo EX30 Plus, 2024", D("1"), D("389900.00"), "25 %"),
         ("addon", "Vinterhjul", D("1"), D("14900.00"), "25 %"),
         ("addon", "Rustbehandling", D("1"), D("6900.00"), "25 %"),
     ]},
    {"number": "1002", "customer": "Fjordtransport AS", "car": "EK 23456", "status": "signed",
     "signed_days_ago": 5, "lines": [
         ("car", "Volkswagen ID.4 Pro, 2023", D("1"), D("329000.00"), "25 %"),
         ("addon", "Hengerfeste", D("1"), D("12500.00"), "25 %"),
         ("labor", "Montering av hengerfeste", D("2.5"), D("1150.00"), "25 %"),
     ]},
    {"number": "1003", "customer": "Per Hansen", "car": "EV 34567", "status": "draft",
     "signed_days_ago": None, "lines": [
         ("car", "Tesla Model 3 Long Range, 2022", D("1"), D("289000.00"), "25 %"),
         ("part", "Gummimatter", D("1"), D("1290.00"), "25 %"),
         # The fee category is left unmapped on purpose: the demo shows the missing-mapping block.
         ("fee", "Omregistreringsavgift", D("1"), D("6000.00"), "Avgiftsfri"),
     ]},
    {"number": "1004", "customer": "Vestland Elektro AS", "car": "EB 56789", "status": "draft",
     "signed_days_ago": None, "lines": [
         ("car", "Kia EV6 GT-Line, 2023", D("1"), D("449000.00"), "25 %"),
         ("addon", "Vinterhjul", D("1"), D("16900.00"), "25 %"),
     ]},
]


# --- Frost Bygg AB: the construction firm -----------------------------------------------------

FROST_CUSTOMERS = [
    {"kind": "company", "name": "Bostadsbolaget Norr AB", "org_number": "556123-4567",
     "email": "faktura@bostadnorr.example.se", "phone": "+46 90 123 45 67",
     "street": "Storgatan 14", "postal_code": "903 26", "city": "Umeå", "country": "SE"},
    {"kind": "company", "name": "Kvarnholmen Fastigheter AB", "org_number": "556234-5678",
     "email": "ekonomi@kvarnholmen.example.se", "phone": "+46 8 555 123 00",
     "street": "Kvarnholmsvägen 52", "postal_code": "131 31", "city": "Nacka", "country": "SE"},
    {"kind": "person", "name": "Anna Svensson", "email": "anna.svensson@example.se",
     "phone": "+46 70 123 45 67", "street": "Björkvägen 3", "postal_code": "752 36",
     "city": "Uppsala", "country": "SE"},
]

FROST_PROJECTS = [
    {"number": "P-101", "name": "Stambyte Storgatan 14", "customer": "Bostadsbolaget Norr AB",
     "start_days_ago": 40},
    {"number": "P-102", "name": "Takbyte Kvarnholmen hus C",
     "customer": "Kvarnholmen Fastigheter AB", "start_days_ago": 20},
    {"number": "P-103", "name": "Altanbygge Björkvägen", "customer": "Anna Svensson",
     "start_days_ago": 10},
]

FROST_EMPLOYEES = [
    {"employee_number": "101", "first_name": "Lars", "last_name": "Andersson",
     "email": "lars@frostbygg.example.se", "monthly_salary": D("38500.00"),
     "employed_days_ago": 900},
    {"employee_number": "102", "first_name": "Maria", "last_name": "Karlsson",
     "email": "maria@frostbygg.example.se", "monthly_salary": D("41000.00"),
     "employed_days_ago": 600},
    {"employee_number": "103", "first_name": "Johan", "last_name": "Nilsson",
     "email": "johan@frostbygg.example.se", "monthly_salary": D("36000.00"),
     "employed_days_ago": 200},
]

# (employee number, project number, hours, description): one set per working day of the last
# two weeks.
FROST_DAILY_TIME = [
    ("101", "P-101", D("7.5"), "Rivning och stamarbete"),
    ("102", "P-102", D("8"), "Takarbete"),
    ("103", "P-103", D("6.5"), "Altanbygge"),
]
# Absences instead of a day's work: (employee number, nth last weekday, absence kind, hours,
# description). Absence kinds as in `TimeEntry.AbsenceKind`.
FROST_ABSENCES = [
    ("102", 2, "sick_leave", D("8"), "Sjuk, förkyld"),
    ("103", 4, "care_of_sick_child", D("6.5"), "VAB"),
]

# Lines: (category, description, quantity, unit price)
FROST_QUOTES = [
    {"number": "Q-2001", "customer": "Anna Svensson", "project": "P-103", "status": "accepted",
     "issued_days_ago": 18, "valid_days": 30, "lines": [
         ("labor", "Arbete altanbygge", D("40"), D("650.00")),
         ("material", "Tryckimpregnerat virke", D("1"), D("18500.00")),
     ]},
    {"number": "Q-2002", "customer": "Kvarnholmen Fastigheter AB", "project": None,
     "status": "sent", "issued_days_ago": 3, "valid_days": 30, "lines": [
         ("labor", "Fasadrenovering hus D", D("120"), D("620.00")),
         ("material", "Puts och färg", D("1"), D("46000.00")),
     ]},
]

FROST_INVOICES = [
    {"number": "F-3001", "customer": "Bostadsbolaget Norr AB", "project": "P-101",
     "status": "paid", "issued_days_ago": 35, "lines": [
         ("labor", "Stambyte etapp 1", D("120"), D("620.00")),
         ("material", "Rör och kopplingar", D("1"), D("32400.00")),
     ]},
    {"number": "F-3002", "customer": "Kvarnholmen Fastigheter AB", "project": "P-102",
     "status": "sent", "issued_days_ago": 10, "lines": [
         ("labor", "Takbyte hus C, vecka 1", D("80"), D("640.00")),
         ("material", "Takpannor", D("1"), D("58000.00")),
     ]},
    {"number": "F-3003", "customer": "Anna Svensson", "project": "P-103", "status": "draft",
     "issued_days_ago": 1, "lines": [
         ("labor", "Altanbygge, delfaktura", D("20"), D("650.00")),
         ("material", "Virke och beslag", D("1"), D("9200.00")),
     ]},
]

# (employee number, [(pay type, description, quantity, unit amount)])
FROST_PAYSLIPS = [
    ("101", [
        ("monthly_salary", "Månadslön", D("1"), D("38500.00")),
        ("overtime", "Övertid 50 %", D("6"), D("330.00")),
    ]),
    ("102", [
        ("monthly_salary", "Månadslön", D("1"), D("41000.00")),
        ("overtime", "Övertid 50 %", D("4"), D("355.00")),
    ]),
]

