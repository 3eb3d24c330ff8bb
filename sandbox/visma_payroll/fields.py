"""Field names the Spiris Lön API V2 takes in request bodies (the published OpenAPI file,
`CreateEmployeeRequest`, the shortcut `*Request` schemas), so a body carrying anything else is
refused as the real API refuses it (every request schema there has additionalProperties false).
"""

DISTRIBUTION = {"Project": None, "CostCenter1": None, "CostCenter2": None,
                "CostCenter3": None}

EMPLOYEE_CONTRACT = {"EmployeeCategory", "SalaryType", "ContractStartDate", "ContractEndDate",
                     "UsesVLAFromDate", "UsesVLA", "TimeReserveType"}
CREATE_EMPLOYEE = {
    "FirstName": None, "LastName": None, "EmployeeNumber": None, "IdentificationNumber": None,
    "EmailWork": None, "PhoneMobile": None, "PayslipSendMethod": None, "PayslipLanguage": None,
    "Contract": dict.fromkeys(EMPLOYEE_CONTRACT),
}
CREATE_EMPLOYEE_REQUIRED = ("FirstName", "LastName", "IdentificationNumber", "Contract")

# What every time-shaped shortcut (hours worked and the absences) takes.
TIME_SHORTCUT = {
    "EmployeeId": None, "StartDate": None, "EndDate": None, "ShortcutRegistrationMethod": None,
    "PercentOfDay": None, "MinutesOfDay": None, "StartTime": None, "EndTime": None,
    "Comment": None, "CostCenterItemId1": None, "CostCenterItemId2": None,
    "CostCenterItemId3": None, "ProjectId": None, "ProjectCostCenterDistribution": DISTRIBUTION,
}
TIME_SHORTCUT_REQUIRED = ("EmployeeId", "StartDate", "EndDate", "ShortcutRegistrationMethod")

# shortcut type (the URL segment) -> (allowed fields, required fields)
SHORTCUTS = {
    "hoursworked": ({**TIME_SHORTCUT, "InconvenientHoursOne": None, "InconvenientHoursTwo": None,
                     "InconvenientHoursThree": None, "InconvenientHoursFour": None,
                     "BreakTime": None}, TIME_SHORTCUT_REQUIRED),
    "sickleave": ({**TIME_SHORTCUT, "DontCreateKarens": None,
                   "KarensDeductionHoursOverride": None}, TIME_SHORTCUT_REQUIRED),
    "careofsickchild": (TIME_SHORTCUT, TIME_SHORTCUT_REQUIRED),
    "holiday": (TIME_SHORTCUT, TIME_SHORTCUT_REQUIRED),
    "parentalleave": ({**TIME_SHORTCUT, "IsTenDaysAtTheBirthOfChild": None,
                       "IsHolidayAccruing": None, "AbsenceTimeUnit": None},
                      TIME_SHORTCUT_REQUIRED),
    "otherabsence": ({**TIME_SHORTCUT, "OtherAbsenceGroup": None, "IsHolidayAccruing": None,
                      "OtherAbsenceQuantityType": None},
                     (*TIME_SHORTCUT_REQUIRED, "OtherAbsenceGroup", "OtherAbsenceQuantityType")),
    "otheradditiondeduction": ({
        "EmployeeId": None, "Date": None, "Comment": None,
        "Rows": {"PaycodeNumber": None, "Quantity": None, "UnitPrice": None, "Amount": None,
                 "VatAmount": None, "ProjectId": None, "CostCenterItemId1": None,
                 "CostCenterItemId2": None, "CostCenterItemId3": None},
    }, ("EmployeeId", "Date", "Rows")),
}

# Registration methods [HoursWorkedRequest.ShortcutRegistrationMethod].
TIME, HOURS, PERCENTAGE = 0, 1, 2
