"""The tallies kept by triggers match the rows they count, whatever path wrote the rows."""
import random
from datetime import date, datetime, timedelta, timezone

from flask_migrate import upgrade
from sqlalchemy import func, select, text

from petitions import counting, create_app, erasure, public_names, retention, withdrawal
from petitions.address_hashes import email_hash
from petitions.extensions import db
from petitions.models import Petition, PetitionStatus, Signature, SignatureStatus, SignatureTally, tally
from petitions.organiser import campaign, integrity, services as organiser, stats
from petitions.signing import services

from ..helpers import queued_to
from ..test_migrations import empty_database_url  # noqa: F401  (a fixture)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)
COUNTRIES = ("DE", "BY", "RU", "GB", "UA")
LANGUAGES = ("en", "ru", "be")


def _grouped(petition_id, column, *where):
    rows = db.session.execute(
        select(column, func.count()).where(Signature.petition_id == petition_id, *where).group_by(column)
    ).all()
    return {key: n for key, n in rows}


def dashboard_from_rows(petition, now):
    """The dashboard as it was computed before the tallies: GROUP BYs over every signature."""
    today = now.date()
    confirmed = Signature.status == SignatureStatus.CONFIRMED
    since = datetime.combine(today - timedelta(days=stats.CHART_DAYS_MAX - 1), datetime.min.time(),
                             tzinfo=timezone.utc)
    days = _grouped(petition.id, func.date(Signature.confirmed_at), confirmed, Signature.confirmed_at >= since)
    days = {date.fromisoformat(str(day)[:10]): n for day, n in days.items()}
    series = []
    if days:
        first = min(days)
        series = [(first + timedelta(days=i), days.get(first + timedelta(days=i), 0))
                  for i in range((today - first).days + 1)]
    by_status = _grouped(petition.id, Signature.status)
    online = by_status.get(SignatureStatus.CONFIRMED, 0)
    total = online + petition.paper_count
    next_goal = counting.next_goal_for(total, petition.goal)
    last_7 = sum(days.get(today - timedelta(days=i), 0) for i in range(7))
    largest_first = lambda counts: sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # noqa: E731
    return stats.Dashboard(
        online=online, paper=petition.paper_count, total=total, next_goal=next_goal,
        today=days.get(today, 0), last_7_days=last_7, per_day=series,
        by_country=largest_first(_grouped(petition.id, Signature.country, confirmed)),
        by_language=largest_first(_grouped(petition.id, Signature.language, confirmed)),
        signed=sum(by_status.values()) + petition.expired_unconfirmed,
        confirmed_ever=db.session.scalar(select(func.count()).where(
            Signature.petition_id == petition.id, Signature.confirmed_at.is_not(None))),
        waiting=by_status.get(SignatureStatus.PENDING, 0), never_confirmed=petition.expired_unconfirmed,
        goal_estimate=stats.estimate_goal_date(total, next_goal, last_7, today),
    )


def tally_sums():
    rows = db.session.execute(
        select(SignatureTally.petition_id, SignatureTally.dimension, SignatureTally.key, func.sum(SignatureTally.count))
        .group_by(SignatureTally.petition_id, SignatureTally.dimension, SignatureTally.key)
    ).all()
    return {(p, d, k): n for p, d, k, n in rows if n}


def assert_tallies_match_rows(petitions):
    for petition in petitions:
        db.session.refresh(petition)
        assert stats.dashboard(petition, NOW) == dashboard_from_rows(petition, NOW)
        wanted = _grouped(petition.id, Signature.language, Signature.status == SignatureStatus.CONFIRMED,
                          Signature.wants_updates.is_(True))
        assert campaign.recipients_by_language(petition.id) == wanted
        by_status = _grouped(petition.id, Signature.status)
        summary = organiser.petition_summary(petition.slug)
        assert (summary["pending"], summary["withdrawn"]) == (by_status.get("pending", 0),
                                                              by_status.get("withdrawn", 0))
        # The public count, every way it is read: one petition, several at once, inside another statement.
        confirmed = by_status.get("confirmed", 0)
        assert counting.confirmed_count(petition.id) == confirmed
        assert counting.confirmed_counts([petition.id]) == {petition.id: confirmed}
        assert db.session.scalar(select(counting.confirmed_count_of(petition.id))) == confirmed
    # And the triggers' tallies are exactly what a recount from the rows gives.
    kept = tally_sums()
    tally.rebuild_tallies(db.session)
    assert tally_sums() == kept


def details(email, rng):
    return services.SignerDetails(full_name=f"Signer {email[:6]}", email=email, country=rng.choice(COUNTRIES),
                                  city=None, show_name=rng.random() < 0.3, wants_updates=rng.random() < 0.5)


def test_every_dashboard_figure_matches_the_rows_after_a_random_mix(app, make_petition):
    rng = random.Random(19)
    petitions = [make_petition(slug="first", goal=50), make_petition(slug="second", goal=20)]
    addresses = [f"signer{i}@d{i % 6}.example" for i in range(80)]
    moments = []  # (address, petition) pairs signed so far
    # Invalidations and their undoing, on their own dice so the mix above stays what it was.
    flood_rng, invalidated, undone = random.Random(23), 0, 0
    # Time moves forward over more than a year (so the chart's cut-off at 365 days is exercised),
    # slowly through the last week, as a campaign's end does.
    for step in range(240):
        start, span = (NOW - timedelta(days=400), timedelta(days=393) / 160) if step < 160 else \
            (NOW - timedelta(days=7), timedelta(days=7) / 80)
        now = start + span * ((step % 160) + rng.random())
        if step % 9 == 4:
            invalidated, undone = _invalidate_or_undo(flood_rng, petitions, now, invalidated, undone)
        action = rng.random()
        if action < 0.35 or not moments:
            petition, address = rng.choice(petitions), rng.choice(addresses)
            services.sign(petition, details(address, rng), rng.choice(LANGUAGES), now=now,
                          client=f"{addresses.index(address) % 5:064x}")
            moments.append((address, petition))
        elif action < 0.75:
            address, petition = rng.choice(moments[-10:])
            mail = [m for m in queued_to(address) if "/confirm/" in m.text_body]
            if mail:
                token = mail[-1].text_body.split("/confirm/")[1].split()[0]
                try:
                    services.confirm(token, now=now)
                except Exception:  # an erased or withdrawn signature's link: refused, nothing changes
                    db.session.rollback()
                    continue
        elif action < 0.85:
            address, petition = rng.choice(moments)
            key = services.petition_email_hash(app.config["HASH_KEY"], petition.id, address)
            signature = db.session.scalar(select(Signature).where(Signature.email_hash == key))
            if signature is not None:
                withdrawal.withdraw(signature, now=now)
        elif action < 0.95:
            address, _ = rng.choice(moments)
            erasure.erase_everything(email_hash(app.config["HASH_KEY"], address))
        else:
            retention.purge(now=now)
        db.session.commit()
        if step % 60 == 59:
            assert_tallies_match_rows(petitions)
    # A long-ended petition's signers are anonymised by the purge; its figures stay.
    petitions[1].status, petitions[1].closed_at = PetitionStatus.CLOSED, NOW - timedelta(days=400)
    db.session.commit()
    retention.purge(now=NOW)
    db.session.commit()
    assert_tallies_match_rows(petitions)
    figures = stats.dashboard(petitions[0], NOW)
    # The mix reached every figure, so the comparison above compared something.
    assert figures.waiting and figures.confirmed_ever > figures.online > 0 and figures.never_confirmed
    assert len(figures.by_country) > 1 and figures.last_7_days and figures.per_day
    assert invalidated > 3 and undone > 1
    assert db.session.scalar(select(func.count()).where(Signature.status == SignatureStatus.INVALIDATED))


def _invalidate_or_undo(rng, petitions, now, invalidated, undone):
    """One invalidation (by domain, or by fingerprint in a window) or the undoing of one, committed."""
    petition = rng.choice(petitions)
    active = [r for r in integrity.invalidations(petition.id) if r.undone_at is None]
    try:
        if active and rng.random() < 0.4:
            integrity.undo(petition, rng.choice(active), "test", now=now)
            undone += 1
        else:
            if rng.random() < 0.5:
                found = integrity.domain_filter(petition.id, f"d{rng.randrange(6)}.example")
            else:
                found = integrity.fingerprint_filter(f"{rng.randrange(5):064x}", (now - timedelta(days=30)).isoformat(),
                                                     now.isoformat())
            integrity.invalidate(petition, found, "test", now=now)
            invalidated += 1
        db.session.commit()
    except integrity.FilterRefused:  # nothing matched: nothing changed
        db.session.rollback()
    return invalidated, undone


def test_bulk_writes_outside_the_services_keep_the_tallies(app, make_petition, add_signatures):
    petition = make_petition()
    add_signatures(petition, 30, at=NOW - timedelta(days=2), country="BY", language="be", wants_updates=True)
    add_signatures(petition, 12, status="pending", at=NOW - timedelta(days=1))
    db.session.execute(text("UPDATE signatures SET country = 'UA' WHERE id % 3 = 0"))
    db.session.execute(text("DELETE FROM signatures WHERE id % 5 = 0"))
    db.session.commit()
    assert stats.dashboard(petition, NOW).by_country == dashboard_from_rows(petition, NOW).by_country
    assert dict(stats.dashboard(petition, NOW).by_country) == {"BY": 16, "UA": 8}
    assert campaign.recipients_by_language(petition.id) == {"be": 24}


def test_rebuild_repairs_tallies_and_leaves_other_petitions_alone(app, make_petition, add_signatures):
    broken, other = make_petition(slug="broken"), make_petition(slug="other")
    add_signatures(broken, 7)
    add_signatures(other, 3)
    db.session.execute(text("UPDATE signature_tallies SET count = count + 100"))
    damaged = stats.counts(other.id, tally.STATUS)
    assert damaged["confirmed"] > 100 and stats.counts(broken.id, tally.STATUS)["confirmed"] > 100
    tally.rebuild_tallies(db.session, broken.id)
    db.session.commit()
    assert stats.counts(broken.id, tally.STATUS) == {"confirmed": 7}
    assert stats.counts(other.id, tally.STATUS) == damaged


def test_recent_public_signers_read_the_partial_index(app, make_petition, add_signatures):
    petition = make_petition()
    add_signatures(petition, 50, at=NOW - timedelta(days=3))
    add_signatures(petition, 3, at=NOW - timedelta(days=2), show_name=True, shown_name="Listed")
    add_signatures(petition, 20, at=NOW - timedelta(days=1))
    add_signatures(petition, 2, status="withdrawn", at=NOW, show_name=True, shown_name="Gone",
                   confirmed_at=NOW - timedelta(hours=1))
    assert public_names.recent_public_signers(petition.id, 10) == [("Listed", "DE")] * 3
    if db.engine.dialect.name == "postgresql":
        statement = public_names._RECENT_PUBLIC.params(of_petition=petition.id, limit=10)
        query = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {query}")))
    else:
        # No ANALYZE: a fresh database has no statistics, and the query must not depend on them.
        query = public_names._RECENT_PUBLIC_SQLITE.text.replace(":of_petition", str(petition.id)).replace(":limit", "10")
        plan = " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    db.session.rollback()
    assert "ix_signatures_public_recent" in plan, query


def test_migration_counts_the_rows_already_there(empty_database_url, tmp_path):  # noqa: F811
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0010_update_sent_at")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO petitions (id, slug, kind, status, organisation_name, primary_language, goal, next_goal,"
                " paper_count, expired_unconfirmed, created_at, updated_at) VALUES"
                " (1, 'p', 'petition', 'open', 'Org', 'en', 100, 100, 0, 0, :at, :at)"), {"at": NOW.replace(tzinfo=None)})
            for i, (status, country) in enumerate([("confirmed", "DE"), ("confirmed", "BY"), ("pending", "DE"),
                                                   ("withdrawn", "DE"), ("confirmed", "DE")]):
                confirmed_at = None if status == "pending" else (NOW - timedelta(days=i)).replace(tzinfo=None)
                conn.execute(text(
                    "INSERT INTO signatures (petition_id, email, full_name, country, language, show_name, public_name,"
                    " wants_updates, status, confirmation_sends, created_at, confirmed_at)"
                    " VALUES (1, '', '', :country, 'en', false, 'full', true, :status, 1, :at, :confirmed_at)"),
                    {"country": country, "status": status, "at": NOW.replace(tzinfo=None), "confirmed_at": confirmed_at})
        upgrade()
        petition = db.session.get(Petition, 1)
        figures = stats.dashboard(petition, NOW)
        assert (figures.signed, figures.waiting, figures.confirmed_ever) == (5, 1, 4)
        assert figures.by_country == [("DE", 2), ("BY", 1)]
        assert stats.counts(1, tally.UPDATES) == {"en": 3}
        # And the triggers are in place: a new row counts.
        db.session.execute(text("UPDATE signatures SET status = 'confirmed' WHERE status = 'pending'"))
        assert stats.counts(1, tally.STATUS) == {"confirmed": 4, "withdrawn": 1}
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
