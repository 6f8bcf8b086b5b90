from . import test_order_mismatch
