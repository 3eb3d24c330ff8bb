"""Routes of the Visma payroll simulator, relative to /sandbox/visma_payroll/ (the framework adds
`_control/faults`, `_control/tokens`, `_control/requests`). Tokens come from the Visma identity
server, mounted with the eAccounting simulator under /sandbox/visma_eaccounting/connect/."""

from django.urls import path

from sandbox.visma_payroll import control, views

urlpatterns = [
    path("v2/employees", views.employees, name="employees"),
    path("v2/employees/<str:employee_id>", views.employee, name="employee"),
    path("v2/shortcuts/<str:kind>", views.shortcut_collection, name="shortcuts"),
    path("v2/shortcuts/<str:kind>/<str:shortcut_id>", views.shortcut_item, name="shortcut"),
    path("v2/shortcuts/<str:kind>/<str:start>/<str:end>", views.shortcut_range,
         name="shortcut-range"),
    path("v2/paycodes", views.paycodes, name="paycodes"),
    path("v2/paycodes/otheradditiondeduction", views.addition_deduction_paycodes,
         name="paycodes-otheradditiondeduction"),
    path("v2/paycodes/<str:paycode_id>", views.paycode, name="paycode"),
    path("v2/wageruns", views.wageruns, name="wageruns"),
    path("v2/wageruns/<str:wagerun_id>", views.wagerun, name="wagerun"),
    path("v2/payslips/wagerun/<str:wagerun_id>", views.payslips_of_wagerun,
         name="payslips-wagerun"),
    path("v2/payslips/<str:employee_id>/withdetails", views.payslips_with_details,
         name="payslips-withdetails"),
    path("v2/payslips/<str:payslip_id>", views.payslip, name="payslip"),
    path("_control/shortcuts/read", control.mark_read, name="control-shortcuts-read"),
    path("_control/wageruns", control.run_wagerun, name="control-wageruns"),
    path("_control/wageruns/lock", control.lock_wagerun, name="control-wageruns-lock"),
    path("_control/employees", control.employees, name="control-employees"),
]
