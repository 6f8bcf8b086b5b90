from . import billing_case_cancel
