from . import billing_case_type
from . import billing_case
from . import billing_case_demo
from . import account_move
from . import account_payment
from . import res_company
from . import res_config_settings
from . import res_partner
