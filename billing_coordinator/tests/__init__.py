from . import test_billing_case
