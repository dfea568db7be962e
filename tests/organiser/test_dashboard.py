"""The dashboard: counts, per-day chart, countries and languages, confirmation funnel and goal estimate."""
from datetime import date, datetime, timedelta, timezone

from petitions.organiser import stats
from petitions.retention import purge

from ..helpers import page_text, sign_in

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


def test_figures_add_up(app, make_petition, add_signatures):
    petition = make_petition(goal=100)
    add_signatures(petition, 10, at=NOW - timedelta(days=20))
    add_signatures(petition, 14, at=NOW - timedelta(days=3), country="BY", language="be")
    add_signatures(petition, 4, at=NOW - timedelta(hours=2), country="RU", language="ru")
    add_signatures(petition, 5, status="pending", at=NOW - timedelta(hours=1))
    add_signatures(petition, 2, status="withdrawn", at=NOW - timedelta(days=2), confirmed_at=NOW - timedelta(days=2))
    figures = stats.dashboard(petition, NOW)
    assert (figures.online, figures.total, figures.next_goal) == (28, 28, 100)
    assert (figures.today, figures.last_7_days) == (4, 18)
    assert figures.by_country == [("BY", 14), ("DE", 10), ("RU", 4)]
    assert dict(figures.by_language) == {"be": 14, "en": 10, "ru": 4}
    assert figures.per_day[0] == (date(2026, 11, 4), 10) and figures.per_day[-1] == (date(2026, 11, 24), 4)
    assert len(figures.per_day) == 21 and sum(n for _, n in figures.per_day) == 28  # withdrawn no longer count
    assert (figures.signed, figures.confirmed_ever, figures.waiting) == (35, 30, 5)
    # 72 more at 18 per week (18/7 a day): 28 days.
    assert figures.goal_estimate == date(2026, 11, 24) + timedelta(days=28)


def test_never_confirmed_share_survives_the_purge(app, make_petition, add_signatures):
    petition = make_petition()
    add_signatures(petition, 6, at=NOW - timedelta(days=1))
    add_signatures(petition, 2, status="pending", at=NOW - timedelta(days=30))
    purge(now=NOW)
    figures = stats.dashboard(petition, NOW)
    assert (figures.signed, figures.never_confirmed, figures.waiting) == (8, 2, 0)
    assert figures.unconfirmed_share == 0.25


def test_no_estimate_without_recent_signatures(app, make_petition, add_signatures):
    petition = make_petition()
    add_signatures(petition, 3, at=NOW - timedelta(days=30))
    assert stats.dashboard(petition, NOW).goal_estimate is None


def test_dashboard_page_draws_the_chart_on_the_server(app, make_petition, add_signatures, make_member):
    petition = make_petition()
    add_signatures(petition, 3)
    client = app.test_client()
    sign_in(client, make_member(language="de"))
    page = page_text(client.get("/organiser/p/free-them/"))
    assert '<svg' in page and 'role="img"' in page and "<script" not in page
    assert "Deutschland" in page  # countries in the member's language
