from . import billing_xlsx_mixin
from . import billing_case_evidence
from . import billing_case_register_xlsx
