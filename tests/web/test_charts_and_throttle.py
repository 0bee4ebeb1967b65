"""The dashboard's pure parts: daily series for the SVG charts, and the sign-in throttle's window."""

from datetime import date

from coldsend.web.charts import days_between, line_chart, series_by_day
from coldsend.web.throttle import LoginThrottle


class TestCharts:
    def test_rows_of_a_day_add_up_and_days_without_rows_are_zero(self) -> None:
        days = days_between(date(2026, 3, 30), date(2026, 4, 2))
        rows = [
            {"date": "2026-03-30", "email_account": "a@x.test", "sent": 3, "bounced": 1},
            {"date": "2026-03-30", "email_account": "b@x.test", "sent": 2, "bounced": 0},
            {"date": "2026-04-02", "email_account": "a@x.test", "sent": 7, "bounced": 2},
            {
                "date": "2026-05-01",
                "email_account": "a@x.test",
                "sent": 99,
                "bounced": 9,
            },  # outside the range
        ]
        sent, bounced = series_by_day(rows, days, (("sent", "Sent"), ("bounced", "Bounced")))
        assert list(sent.values) == [5, 0, 0, 7]
        assert list(bounced.values) == [1, 0, 0, 2]
        assert sent.color != bounced.color

    def test_the_svg_names_each_series_with_its_total(self) -> None:
        days = days_between(date(2026, 1, 1), date(2026, 1, 3))
        series = series_by_day([{"date": "2026-01-02", "sent": 12}], days, (("sent", "Sent <all>"),))
        svg = line_chart("Sent & more", days, series)
        assert svg.startswith('<svg class="chart"')
        assert 'data-series="Sent &lt;all&gt;" data-total="12"' in svg
        assert "<title>Sent &amp; more</title>" in svg
        assert ">20</text>" in svg  # the scale's top: 12 rounds up to 20


class TestThrottle:
    def test_failures_expire_with_the_window(self) -> None:
        now = [1000.0]
        throttle = LoginThrottle(per_address=2, per_ip=10, window=60, now=lambda: now[0])
        throttle.failed("Ada@Example.com", "192.0.2.1")
        throttle.failed("ada@example.com ", "192.0.2.1")
        assert throttle.blocked("ada@example.com", "192.0.2.9")
        now[0] += 61
        assert not throttle.blocked("ada@example.com", "192.0.2.9")

    def test_success_clears_the_address_but_not_the_ip(self) -> None:
        throttle = LoginThrottle(per_address=5, per_ip=2, window=60)
        throttle.failed("a@example.com", "192.0.2.1")
        throttle.failed("b@example.com", "192.0.2.1")
        throttle.succeeded("a@example.com")
        assert throttle.blocked("c@example.com", "192.0.2.1")
        assert not throttle.blocked("c@example.com", "192.0.2.2")
