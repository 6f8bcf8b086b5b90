from . import billing_case_cancel
from . import billing_case_resolve
from . import billing_case_reassign
