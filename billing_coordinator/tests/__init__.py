from . import test_billing_case
from . import test_billing_security
from . import test_billing_tour
