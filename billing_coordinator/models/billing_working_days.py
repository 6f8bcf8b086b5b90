"""Working days of a company, for SLA deadlines (not a model: a helper of billing.case)."""

from bisect import bisect_left, bisect_right
from datetime import datetime, time, timedelta

from pytz import timezone, utc

# Dates read beyond what is asked, so that a batch of cases needs few calendar reads.
_MARGIN_DAYS = 60
# A calendar without any working day in this many days is treated as "every day works".
_MAX_SEARCH_DAYS = 5 * 366


class WorkingDays:
    """The working dates of one company: the attendances of its resource calendar
    (``res.company.resource_calendar_id``) minus its public holidays (global
    ``resource.calendar.leaves``: no resource, the company's or no calendar).

    One instance serves a whole batch of cases of the company: dates are read by windows
    through ``resource.calendar._work_intervals_batch`` and kept sorted, so each question
    is a bisection. A company without a calendar works every day. A day with some working
    time left after a partial holiday counts as a working day (as ``plan_days`` does)."""

    def __init__(self, company, date_from, date_to):
        self.company = company
        self.calendar = company.resource_calendar_id
        self.tz = timezone(self.calendar.tz or "UTC") if self.calendar else utc
        self.start = self.end = None  # the window read so far, both included
        self.dates = []
        self._extend(date_from, date_to)

    # ------------------------------------------------------------------ reads

    def _read(self, date_from, date_to):
        """Sorted working dates in [date_from, date_to]."""
        if not self.calendar:
            return [
                date_from + timedelta(days=n)
                for n in range((date_to - date_from).days + 1)
            ]
        start = self.tz.localize(datetime.combine(date_from, time.min))
        end = self.tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        # Public holidays of this company only: a global leave without calendar of
        # another company would otherwise apply too.
        domain = [("time_type", "=", "leave"), ("company_id", "=", self.company.id)]
        intervals = self.calendar._work_intervals_batch(
            start, end, domain=domain, tz=self.tz
        )[False]
        return sorted(
            {begin.date() for begin, stop, _meta in intervals if stop > begin}
        )

    def _extend(self, date_from, date_to):
        """Make sure the window covers [date_from, date_to]."""
        if self.start is None:
            self.dates = self._read(date_from, date_to + timedelta(days=_MARGIN_DAYS))
            self.start, self.end = date_from, date_to + timedelta(days=_MARGIN_DAYS)
            return
        if date_from < self.start:
            self.dates = (
                self._read(date_from, self.start - timedelta(days=1)) + self.dates
            )
            self.start = date_from
        if date_to > self.end:
            new_end = date_to + timedelta(days=_MARGIN_DAYS)
            self.dates += self._read(self.end + timedelta(days=1), new_end)
            self.end = new_end

    # -------------------------------------------------------------- questions

    def local_date(self, utc_datetime):
        """The calendar day (in the calendar's time zone) of a UTC timestamp."""
        return utc.localize(utc_datetime).astimezone(self.tz).date()

    def add(self, day, count):
        """The ``count``-th working day after ``day`` (``day`` itself for 0)."""
        if count <= 0:
            return day
        self._extend(day, day + timedelta(days=count * 2))
        while True:
            index = bisect_right(self.dates, day) + count - 1
            if index < len(self.dates):
                return self.dates[index]
            if (self.end - day).days > _MAX_SEARCH_DAYS:
                return day + timedelta(days=count)  # a calendar without working time
            self._extend(day, self.end + timedelta(days=max(count * 2, _MARGIN_DAYS)))

    def count(self, date_from, date_to):
        """Working days from ``date_from`` (included) to ``date_to`` (excluded)."""
        if date_to <= date_from:
            return 0
        self._extend(date_from, date_to)
        return bisect_left(self.dates, date_to) - bisect_left(self.dates, date_from)
