"""Scheduled actions in committed batches: progress, retry on concurrency, crash point.

``run_cron_batch`` runs a cron's work one batch at a time (a company for the detection,
a chunk of cases for the promise check, a chunk of customers for the statement run).
After each batch it commits with Odoo 19's progress API (``ir.cron._commit_progress``),
so a run that is cut short (time limit, killed worker) resumes with what is left: every
batch marks what it did (the company's detection date, the promise state, the customer's
statement date) in the same transaction as the work itself.

A batch that meets a concurrency error (serialization failure, deadlock, lock timeout:
another transaction changed the same rows) is rolled back and run once more on a fresh
snapshot; a second failure propagates, and the cron runner logs it and tries later.

For the crash test (``tools/crash_test.py``) only: with ``BC_CRASH_AFTER_BATCHES=N`` in
the environment, the process kills itself with SIGKILL in the middle of the batch after
its N-th committed one: that batch's work is done and flushed to the database but not
committed, as when the system kills a worker.
"""

import logging
import os
import signal

from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

CRASH_ENV = "BC_CRASH_AFTER_BATCHES"


def is_concurrency_error(error):
    """Whether ``error`` is one that a rollback and a retry may cure; such errors must
    reach the transaction's owner, never be swallowed by a savepoint."""
    return isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


def run_cron_batch(env, batches, process, *, size=len, retries=1):
    """Run ``process(batch)`` for each of ``batches``, committing after each one.

    :param env: the cron's environment (its cursor is committed after each batch)
    :param batches: a list of batches (records, id lists, ...)
    :param process: called with one batch; its writes are committed with the progress
    :param size: how many items a batch counts for in the cron progress
    :param retries: how many times a batch is run again after a concurrency error
    :return: the number of batches committed
    """
    cron = env["ir.cron"]
    cron._commit_progress(remaining=sum(size(batch) for batch in batches))
    crash_after = int(os.environ.get(CRASH_ENV) or 0)
    done = 0
    for batch in batches:
        for attempt in range(retries + 1):
            try:
                process(batch)
                env.flush_all()
                break
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                if attempt >= retries:
                    raise
                _logger.info(
                    "Cron batch %s met a concurrency error (%s); retrying once.",
                    batch,
                    type(error).__name__,
                )
                env.cr.rollback()  # also clears the transaction's caches
        if crash_after and done >= crash_after:
            _logger.warning(
                "%s=%s: killing this process (crash test).", CRASH_ENV, crash_after
            )
            os.kill(os.getpid(), signal.SIGKILL)
        time_left = cron._commit_progress(size(batch))
        done += 1
        if not time_left:
            break
    return done
