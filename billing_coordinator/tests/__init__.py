from . import test_billing_case
from . import test_billing_security
from . import test_billing_team
from . import test_billing_tour
from . import test_detection
from . import test_resolution
from . import test_i18n
from . import test_take_next_concurrency
