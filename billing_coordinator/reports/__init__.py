from . import billing_xlsx_mixin
from . import billing_case_evidence
from . import billing_statement
from . import billing_aging_report
from . import billing_case_register_xlsx
from . import billing_aging_xlsx
