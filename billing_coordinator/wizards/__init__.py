from . import billing_case_cancel
from . import billing_case_resolve
from . import billing_case_reassign
from . import billing_case_log_call
from . import billing_case_resolve_bulk
from . import billing_aging_report
from . import billing_statement_wizard
