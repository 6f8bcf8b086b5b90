from . import billing_case
from . import billing_case_detection_order_mismatch
from . import billing_case_detection_pricelist
from . import billing_case_sale_demo
from . import account_move
from . import res_company
from . import res_config_settings
