"""Integrity tools for a flood: hours flagged, the day's busiest networks and domains, invalidating and undoing."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

from petitions import counting, create_app
from petitions.address_hashes import petition_domain_hash
from petitions.daily_keys import client_hash
from petitions.extensions import db
from petitions.models import (
    AuditEvent, EventKind, Invalidation, OutboxMessage, Petition, Signature, utcnow,
)
from petitions.models.events import count_event, event_totals
from petitions.organiser import campaign, integrity, stats
from petitions.organiser import exports as organiser_exports
from petitions.ratelimits import client_network
from petitions.retention import purge
from petitions.signing import services
from petitions.texts import public_counts

from ..helpers import confirm, last_confirm_path, page_text, served_stamp, sign_in
from ..test_migrations import empty_database_url  # noqa: F401  (a fixture)

OFFICE = "203.0.113.7"
HOME = "198.51.100.23"
CAFE = "192.0.2.44"
INTEGRITY = AuditEvent.action.startswith("signatures.")


def sign_from(client, address, email, slug="free-them", **fields):
    """Post the sign form from a client ``address`` (its REMOTE_ADDR), as a person would."""
    data = {"full_name": "Signer " + email.split("@")[0], "email": email, "country": "BY", "city": "",
            "served": served_stamp(client.application), "website": ""}
    data.update(fields)
    response = client.post(f"/en/p/{slug}", data=data, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200, response.status_code
    return response


def fingerprint_of(address, slug="free-them"):
    """The fingerprint a signature from ``address`` to the petition ``slug`` gets today (services.client_fingerprint)."""
    petition_id = db.session.scalar(select(Petition.id).where(Petition.slug == slug))
    return client_hash(f"{petition_id}:{client_network(address)}")[:services.FINGERPRINT_HEX_DIGITS]


def signature_of(email):
    return db.session.scalar(select(Signature).where(Signature.email == email))


def statuses(petition):
    rows = db.session.execute(select(Signature.status, func.count()).where(Signature.petition_id == petition.id)
                              .group_by(Signature.status)).all()
    return dict(rows)


def unsent_to(address):
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == address, OutboxMessage.sent_at.is_(None)))


@pytest.fixture
def owner(app, make_member):
    client = app.test_client()
    sign_in(client, make_member(email="owner@rights.example", role="owner"))
    return client


@pytest.fixture
def flood(app, petition):
    """Today: four from the office network (two confirmed), two from home, one from a cafe; one at gmail."""
    signer = app.test_client()
    for i in range(4):
        sign_from(signer, OFFICE, f"bot{i}@flood.example", wants_updates="y")
    sign_from(signer, HOME, "olga@gmail.com")
    sign_from(signer, HOME, "ivan@smallngo.org")
    sign_from(signer, CAFE, "ales@another.org")
    for address in ("bot0@flood.example", "bot1@flood.example", "olga@gmail.com", "ales@another.org"):
        confirm(signer, last_confirm_path(address))
    db.session.commit()
    return signer


def today_window():
    day = utcnow().date()
    return f"{day.isoformat()}T00:00", f"{(day + timedelta(days=1)).isoformat()}T00:00"


def preview(client, kind, **fields):
    return client.post(f"/organiser/p/free-them/integrity/preview/{kind}",
                       data={f"{kind}-{name}": value for name, value in fields.items()})


def invalidate(client, kind, **fields):
    return client.post(f"/organiser/p/free-them/integrity/invalidate/{kind}",
                       data={f"{kind}-{name}": value for name, value in fields.items()})


# --- what signing keeps --------------------------------------------------------------------------------------

def test_a_new_signature_keeps_its_network_fingerprint_and_domain_hash_and_is_counted_in_its_hour(app, client,
                                                                                                   petition):
    before = utcnow()
    sign_from(client, "2001:db8:1:2:aaaa::1", "Sasha@Example.ORG")
    sign_from(client, "2001:db8:1:2:bbbb::9", "sasha@example.org")  # the same address again: not a new signature
    sign_from(client, "2001:db8:1:2:cccc::5", "misha@example.org")
    sasha, misha = signature_of("sasha@example.org"), signature_of("misha@example.org")  # details of the latest
    # One IPv6 subscriber picks any address in its /64: one fingerprint, as the rate limits count it.
    assert sasha.client_hash == misha.client_hash == fingerprint_of("2001:db8:1:2::77")
    assert sasha.email_domain_hash == misha.email_domain_hash == petition_domain_hash(
        app.config["HASH_KEY"], petition.id, "example.org")
    hour = integrity.hour_key(before)
    counted = event_totals(db.session, petition.id, EventKind.SIGNED_HOUR, since_key=hour)
    assert sum(counted.values()) == 2 and set(counted) <= {hour, integrity.hour_key(utcnow())}


def test_the_domain_hash_is_the_petitions_own(app, make_petition):
    first, second = make_petition(slug="first"), make_petition(slug="second")
    key = app.config["HASH_KEY"]
    assert petition_domain_hash(key, first.id, "gmail.com") != petition_domain_hash(key, second.id, "gmail.com")
    assert integrity.normalise_domain(" @Example.ORG. ") == "example.org"
    assert integrity.normalise_domain("пример.бел") == "пример.бел"
    for wrong in ("", "localhost", "a@b.org", "two words.org", "example..org", "x" * 300 + ".org"):
        assert integrity.normalise_domain(wrong) is None, wrong


# --- hours ---------------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)


def test_hours_well_above_the_median_of_the_week_before_are_flagged(app, make_petition):
    petition = make_petition()
    # The week before: 30 hours with 4 new signatures each, one burst of 200 (the median ignores it).
    for i in range(30):
        count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(NOW - timedelta(hours=60 + 3 * i)),
                    delta=4)
    count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(NOW - timedelta(hours=100)), 200)
    for hours_ago, n in ((0, 100), (1, 21), (2, 20), (3, 19), (5, 3)):
        count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(NOW - timedelta(hours=hours_ago)),
                    delta=n)
    shown = integrity.hours(petition.id, NOW, factor=5.0, minimum=20)
    assert len(shown) == integrity.HOURS_SHOWN and shown[0].start == NOW.replace(minute=0)
    by_age = {round((NOW.replace(minute=0) - hour.start).total_seconds() / 3600): hour for hour in shown}
    assert by_age[0].usual == 4 and by_age[0].flagged  # 100 > 5 × 4
    assert by_age[1].flagged                              # 21 > 20
    assert not by_age[2].flagged                          # 20 is not more than 5 × 4
    assert not by_age[3].flagged and not by_age[5].flagged
    assert [h.count for h in shown if h.flagged] == [100, 21]


def test_a_petition_without_history_is_compared_with_one_and_the_minimum(app, make_petition):
    petition = make_petition()
    count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(NOW), delta=25)
    count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(NOW - timedelta(hours=1)), delta=4)
    shown = integrity.hours(petition.id, NOW, factor=5.0, minimum=20)
    assert (shown[0].count, shown[0].usual, shown[0].flagged) == (25, 4, True)
    assert (shown[1].count, shown[1].usual, shown[1].flagged) == (4, None, False)


def test_the_page_marks_flagged_hours_in_words(app, petition, make_member):
    now = utcnow()
    count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(now), delta=40)
    count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(now - timedelta(hours=3)), delta=2)
    db.session.commit()
    viewer = app.test_client()
    sign_in(viewer, make_member(email="viewer@rights.example", role="viewer"))
    page = page_text(viewer.get("/organiser/p/free-them/integrity"))
    rows = re.findall(r"<tr( class=\"flagged\")?>\s*<td>[^<]*</td>\s*<td>(\d+)</td>", page)
    assert rows == [(' class="flagged"', "40"), ("", "2")]
    assert page.count("Well above usual") == 1
    dashboard = page_text(viewer.get("/organiser/p/free-them/"))
    assert "Hours well above usual, last 48 hours" in dashboard and "/organiser/p/free-them/integrity" in dashboard


# --- the busiest of a day ------------------------------------------------------------------------------------

def test_the_days_busiest_networks_and_domains_name_only_large_providers(app, petition, flood, add_signatures,
                                                                          make_member):
    # Yesterday's signatures are another day's: not counted today.
    add_signatures(petition, 5, at=utcnow() - timedelta(days=1, hours=1), client_hash="f" * 64,
                   email_domain_hash=petition_domain_hash(app.config["HASH_KEY"], petition.id, "gmail.com"))
    today = utcnow().date()
    assert integrity.busiest_fingerprints(petition.id, today) == [
        (fingerprint_of(OFFICE), 4), (fingerprint_of(HOME), 2), (fingerprint_of(CAFE), 1)]
    domains = integrity.day_domains(petition.id, today)
    assert domains == integrity.DayDomains(named=[("gmail.com", 1)], other_signatures=6, other_domains=3,
                                           largest_other=4)
    editor = app.test_client()
    sign_in(editor, make_member(email="editor@rights.example", role="editor"))
    page = page_text(editor.get("/organiser/p/free-them/integrity"))
    assert fingerprint_of(OFFICE)[:12] in page and "gmail.com" in page
    assert "3 other domains" in page and "the largest: 4" in page
    for private in ("flood.example", "smallngo.org", "another.org", OFFICE, HOME):
        assert private not in page, private
    # An editor sees, but has no button that changes anything.
    assert "/integrity/preview/" not in page and "Invalidate…" not in page
    viewer = app.test_client()
    sign_in(viewer, make_member(email="viewer@rights.example", role="viewer"))
    seen = page_text(viewer.get("/organiser/p/free-them/integrity"))
    assert fingerprint_of(OFFICE)[:12] not in seen and "gmail.com" not in seen and "Busiest networks" not in seen


def test_an_earlier_day_is_chosen_among_the_kept_ones_and_a_wrong_one_falls_back_to_today(app, petition, owner,
                                                                                          add_signatures):
    yesterday = utcnow().date() - timedelta(days=1)
    # Noon of yesterday, whatever the time now: "a day and two hours ago" is two days ago just after midnight.
    noon = datetime.combine(yesterday, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=12)
    add_signatures(petition, 3, at=noon, client_hash="e" * 64)
    page = page_text(owner.get(f"/organiser/p/free-them/integrity?day={yesterday.isoformat()}"))
    assert "e" * 12 in page
    for wrong in ("2001-01-01", "yesterday", (utcnow().date() - timedelta(days=30)).isoformat()):
        response = owner.get(f"/organiser/p/free-them/integrity?day={wrong}")
        assert response.status_code == 200 and "e" * 12 not in page_text(response)
        assert "Fingerprints are kept only for the days in the list below" in page_text(response)


def _plan(statement):
    """The plan of a statement: SQLite's without statistics, PostgreSQL's with them and no sequential scans."""
    compiled = statement.compile(db.engine, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE signatures")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + str(compiled), params))
    values = tuple(params[name].replace(tzinfo=None) if isinstance(params[name], datetime) else params[name]
                   for name in compiled.positiontup)
    return " ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values))


def test_the_busiest_of_a_day_read_one_index_range(app, petition, add_signatures):
    for days_ago in range(10):
        add_signatures(petition, 100, at=NOW - timedelta(days=days_ago), client_hash=f"{days_ago:064x}")
    plan = _plan(integrity.busiest_query(petition.id, NOW.date()))
    db.session.rollback()
    if db.engine.dialect.name == "sqlite":
        # In the index's order: counted as it is read, no row touched, nothing sorted but the ten.
        assert "COVERING INDEX ix_signatures_petition_day_client" in plan, plan
        assert "TEMP B-TREE FOR GROUP BY" not in plan, plan
    else:
        assert "ix_signatures_petition_day_" in plan and "created_day = '2026-11-24'" in plan, plan


def test_a_filter_finds_its_signatures_through_its_own_index(app, petition, add_signatures):
    for days_ago in range(5):
        add_signatures(petition, 100, at=NOW - timedelta(days=days_ago), client_hash=f"{days_ago:064x}",
                       email_domain_hash=f"{days_ago % 3:064x}")
    by_fingerprint = integrity.fingerprint_filter(f"{1:064x}", "2026-11-23T00:00", "2026-11-24T00:00")
    plan = _plan(integrity.preview_query(petition.id, by_fingerprint))
    assert "ix_signatures_petition_day_client" in plan and "petition_status" not in plan, plan
    by_domain = integrity.domain_filter(petition.id, "example.org")
    plan = _plan(integrity.preview_query(petition.id, by_domain))
    assert "ix_signatures_petition_domain" in plan and "petition_status" not in plan, plan
    db.session.rollback()


# --- preview, invalidate, undo --------------------------------------------------------------------------------

def test_the_preview_counts_by_status_and_changes_nothing(app, petition, flood, owner):
    start, end = today_window()
    before = (statuses(petition), counting.confirmed_count(petition.id), unsent_to("bot2@flood.example"))
    response = preview(owner, "fingerprint", fingerprint=fingerprint_of(OFFICE), start=start, end=end)
    page = page_text(response)
    assert response.status_code == 200
    assert "2 confirmed signatures would stop counting" in page
    assert "2 signatures waiting for confirmation could no longer be confirmed" in page
    assert "Invalidate 4 signatures" in page and f'value="{fingerprint_of(OFFICE)}"' in page
    assert (statuses(petition), counting.confirmed_count(petition.id), unsent_to("bot2@flood.example")) == before
    assert db.session.scalar(select(func.count()).select_from(Invalidation)) == 0


def test_invalidating_by_fingerprint_and_window_takes_them_out_of_the_count_the_exports_and_the_mail(
        app, petition, flood, owner, add_signatures):
    # The same network earlier, outside the window: kept.
    add_signatures(petition, 2, at=utcnow() - timedelta(days=2), client_hash=fingerprint_of(OFFICE))
    start, end = today_window()
    assert counting.confirmed_count(petition.id) == 6 and organiser_exports.count(petition) == 6
    assert unsent_to("bot2@flood.example") == 1 and campaign.recipients_by_language(petition.id) == {"en": 2}
    response = invalidate(owner, "fingerprint", fingerprint=fingerprint_of(OFFICE), start=start, end=end)
    assert response.status_code == 302
    assert "4 signatures invalidated" in page_text(owner.get(response.location))
    db.session.expire_all()
    assert statuses(petition) == {"confirmed": 4, "pending": 1, "invalidated": 4}
    assert counting.confirmed_count(petition.id) == 4 and public_counts(petition)[0] == 4
    assert organiser_exports.count(petition) == 4
    assert stats.dashboard(petition, utcnow()).online == 4
    assert campaign.recipients_by_language(petition.id) == {}  # no update reaches them
    # Pending ones get nothing more: their unsent confirmations are gone.
    assert unsent_to("bot2@flood.example") == unsent_to("bot3@flood.example") == 0
    record = db.session.scalar(select(Invalidation))
    assert (record.kind, record.matched_confirmed, record.matched_pending) == ("fingerprint", 2, 2)
    assert {s.invalidated_from for s in db.session.scalars(
        select(Signature).where(Signature.invalidation_id == record.id))} == {"confirmed", "pending"}
    [event] = db.session.scalars(select(AuditEvent).where(INTEGRITY)).all()
    assert event.action == "signatures.invalidate" and event.actor.endswith("<owner@rights.example>")
    assert (event.detail["confirmed"], event.detail["pending"], event.detail["by"]) == (2, 2, "fingerprint")
    assert event.detail["match"] == fingerprint_of(OFFICE)[:12] and event.petition_id == petition.id


def test_an_invalidated_signers_link_says_so_and_confirms_nothing_and_signing_again_sends_nothing(
        app, petition, flood, owner):
    start, end = today_window()
    pending_link = last_confirm_path("bot2@flood.example")
    confirmed_link = last_confirm_path("bot0@flood.example")
    invalidate(owner, "fingerprint", fingerprint=fingerprint_of(OFFICE), start=start, end=end)
    signer = app.test_client()
    for link in (pending_link, confirmed_link):
        page = signer.get(link)
        assert page.status_code == 409 and "This signature does not count" in page_text(page)
        pressed = signer.post(link, data={"served": served_stamp(app)})
        assert pressed.status_code == 409
    db.session.expire_all()
    assert signature_of("bot2@flood.example").status == "invalidated"
    assert counting.confirmed_count(petition.id) == 2
    sign_from(signer, OFFICE, "bot2@flood.example")
    sign_from(signer, OFFICE, "bot0@flood.example")
    assert unsent_to("bot2@flood.example") == unsent_to("bot0@flood.example") == 0
    assert statuses(petition)["invalidated"] == 4


def test_invalidating_by_domain_and_undoing_restores_every_status_and_the_count_exactly(app, petition, flood,
                                                                                        owner):
    before = {s.id: s.status for s in db.session.scalars(select(Signature))}
    count, tallies = counting.confirmed_count(petition.id), stats.dashboard(petition, utcnow())
    pending_link = last_confirm_path("bot3@flood.example")  # its unsent mail goes with the invalidation
    preview_page = page_text(preview(owner, "domain", domain="@Flood.Example"))
    assert "Invalidate 4 signatures" in preview_page
    assert "the record of this invalidation will not name it" in preview_page
    assert invalidate(owner, "domain", domain="flood.example").status_code == 302
    db.session.expire_all()
    assert counting.confirmed_count(petition.id) == count - 2
    record = db.session.scalar(select(Invalidation))
    # Not a large provider: the record keeps its hash, not its name.
    assert record.domain_label is None and "flood.example" not in page_text(owner.get("/organiser/p/free-them/integrity"))
    response = owner.post(f"/organiser/p/free-them/integrity/{record.id}/undo")
    assert response.status_code == 302 and "4 signatures restored" in page_text(owner.get(response.location))
    db.session.expire_all()
    assert {s.id: s.status for s in db.session.scalars(select(Signature))} == before
    assert counting.confirmed_count(petition.id) == count
    assert stats.dashboard(petition, utcnow()) == tallies
    assert db.session.scalar(select(func.count()).where(Signature.invalidation_id.is_not(None))) == 0
    db.session.refresh(record)
    assert (record.restored_confirmed, record.restored_pending) == (2, 2) and record.undone_by.endswith(
        "<owner@rights.example>")
    # A second press restores nothing and says so.
    again = owner.post(f"/organiser/p/free-them/integrity/{record.id}/undo")
    assert "already undone" in page_text(owner.get(again.location))
    assert counting.confirmed_count(petition.id) == count
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(INTEGRITY).order_by(AuditEvent.id))] == [
        "signatures.invalidate", "signatures.restore"]
    # The restored pending signer's link works again.
    assert confirm(app.test_client(), pending_link).status_code == 200
    db.session.expire_all()
    assert counting.confirmed_count(petition.id) == count + 1


def test_a_large_provider_is_named_in_the_record_and_a_signer_who_withdrew_meanwhile_stays_withdrawn(
        app, petition, flood, owner):
    from petitions import withdrawal

    invalidate(owner, "domain", domain="gmail.com")
    record = db.session.scalar(select(Invalidation))
    assert record.domain_label == "gmail.com"
    assert "Domain gmail.com" in page_text(owner.get("/organiser/p/free-them/integrity"))
    withdrawal.withdraw(signature_of("olga@gmail.com"))
    db.session.commit()
    count = counting.confirmed_count(petition.id)
    owner.post(f"/organiser/p/free-them/integrity/{record.id}/undo")
    db.session.expire_all()
    assert counting.confirmed_count(petition.id) == count
    assert db.session.scalar(select(Invalidation.restored_confirmed)) == 0


def test_only_owners_preview_invalidate_and_undo(app, petition, flood, owner, make_member):
    start, end = today_window()
    invalidate(owner, "domain", domain="another.org")
    record = db.session.scalar(select(Invalidation))
    editor = app.test_client()
    sign_in(editor, make_member(email="editor@rights.example", role="editor"))
    fields = {"fingerprint": fingerprint_of(OFFICE), "start": start, "end": end}
    assert preview(editor, "fingerprint", **fields).status_code == 404
    assert invalidate(editor, "fingerprint", **fields).status_code == 404
    assert editor.post(f"/organiser/p/free-them/integrity/{record.id}/undo").status_code == 404
    page = page_text(editor.get("/organiser/p/free-them/integrity"))
    assert "A domain that is not a large provider" in page and ">Undo<" not in page
    outsider = app.test_client()
    sign_in(outsider, make_member(email="other@elsewhere.example", role="owner", organisation="Elsewhere"))
    assert outsider.get("/organiser/p/free-them/integrity").status_code == 404
    assert invalidate(outsider, "fingerprint", **fields).status_code == 404
    assert outsider.post(f"/organiser/p/free-them/integrity/{record.id}/undo").status_code == 404
    db.session.expire_all()
    assert statuses(petition)["invalidated"] == 1 and db.session.get(Invalidation, record.id).undone_at is None


@pytest.mark.parametrize("kind, fields, message", [
    ("fingerprint", {"fingerprint": "203.0.113.7", "start": "2026-11-24T00:00", "end": "2026-11-25T00:00"},
     "This is not a fingerprint"),
    ("fingerprint", {"fingerprint": "0" * 63 + "g", "start": "2026-11-24T00:00", "end": "2026-11-25T00:00"},
     "This is not a fingerprint"),
    ("fingerprint", {"fingerprint": "0" * 64, "start": "yesterday", "end": "2026-11-25T00:00"},
     "This is not a date and time"),
    ("fingerprint", {"fingerprint": "0" * 64, "start": "1999-12-31T23:00", "end": "2026-11-25T00:00"},
     "This is not a date and time"),
    ("fingerprint", {"fingerprint": "0" * 64, "start": "", "end": "2026-11-25T00:00"},
     "both the start and the end"),
    ("fingerprint", {"fingerprint": "0" * 64, "start": "2026-11-25T00:00", "end": "2026-11-24T00:00"},
     "must be after its start"),
    ("fingerprint", {"fingerprint": "0" * 64, "start": "2026-01-01T00:00", "end": "2026-11-24T00:00"},
     "choose a time window of 31 days at most"),
    ("fingerprint", {"fingerprint": "0" * 64, "start": "2026-11-24T00:00", "end": "2026-11-25T00:00"},
     "No signature that counts or is waiting for confirmation matches this"),
    ("domain", {"domain": "not a domain"}, "This is not an email domain"),
    ("domain", {"domain": "nobody-signed-from.example"}, "No signature that counts or is waiting"),
    ("domain", {"domain": "flood.example", "end": "2000-01-02T00:00"}, "No signature that counts or is waiting"),
    ("domain", {"domain": "flood.example", "start": "2026-13-01T00:00"}, "This is not a date and time"),
])
def test_a_bad_filter_gets_a_clear_message_and_changes_nothing(app, petition, flood, owner, kind, fields, message):
    before = (statuses(petition), counting.confirmed_count(petition.id))
    for send in (preview, invalidate):
        response = send(owner, kind, **fields)
        assert response.status_code == 400 and message in page_text(response), page_text(response)[-3000:]
        assert 'aria-invalid="true"' in page_text(response)
    db.session.expire_all()
    assert (statuses(petition), counting.confirmed_count(petition.id)) == before
    assert db.session.scalar(select(func.count()).select_from(Invalidation)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(INTEGRITY)) == 0


def test_an_unknown_kind_or_invalidation_is_a_404(app, petition, flood, owner):
    assert preview(owner, "city", city="Minsk").status_code == 404
    assert owner.post("/organiser/p/free-them/integrity/999/undo").status_code == 404
    assert owner.post("/organiser/p/free-them/integrity/99999999999/undo").status_code == 404


def test_it_all_works_with_signer_data_sealed(app, petition, owner):
    from petitions.organiser.protection import turn_on

    turn_on(petition.organisation, "seven wild ravens over the marsh", "test")
    db.session.commit()
    signer = app.test_client()
    for i in range(3):
        sign_from(signer, OFFICE, f"bot{i}@flood.example")
    sign_from(signer, HOME, "olga@gmail.com")
    confirm(signer, last_confirm_path("bot0@flood.example"))
    db.session.commit()
    rows = db.session.scalars(select(Signature)).all()
    assert all(row.sealed is not None and row.email == "" for row in rows)
    today = utcnow().date()
    assert integrity.busiest_fingerprints(petition.id, today)[0] == (fingerprint_of(OFFICE), 3)
    assert integrity.day_domains(petition.id, today).named == [("gmail.com", 1)]
    assert "Invalidate 3 signatures" in page_text(preview(owner, "domain", domain="flood.example"))
    assert invalidate(owner, "domain", domain="flood.example").status_code == 302
    db.session.expire_all()
    assert statuses(petition) == {"invalidated": 3, "pending": 1} and counting.confirmed_count(petition.id) == 0
    record = db.session.scalar(select(Invalidation))
    owner.post(f"/organiser/p/free-them/integrity/{record.id}/undo")
    db.session.expire_all()
    assert statuses(petition) == {"confirmed": 1, "pending": 3} and counting.confirmed_count(petition.id) == 1


def test_the_export_leaves_out_invalidated_signatures(app, petition, flood, owner, make_member):
    invalidate(owner, "domain", domain="gmail.com")
    exporter = app.test_client()
    sign_in(exporter, make_member(email="editor@rights.example", role="editor", totp=True))
    response = exporter.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en",
                                                                    "with_emails": "y"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    emails = sorted(row[-1] for row in rows[1:])
    assert emails == ["ales@another.org", "bot0@flood.example", "bot1@flood.example"]


def test_purge_blanks_old_fingerprints_and_deletes_what_was_never_confirmed_when_it_would_have(
        app, petition, add_signatures):
    now = utcnow()
    add_signatures(petition, 2, at=now - timedelta(days=8), client_hash="a" * 64)
    add_signatures(petition, 3, at=now - timedelta(days=2), client_hash="b" * 64)
    add_signatures(petition, 1, status="invalidated", at=now - timedelta(days=9), invalidated_from="pending",
                   confirmation_sent_at=now - timedelta(days=9))
    add_signatures(petition, 1, status="invalidated", at=now - timedelta(days=9), invalidated_from="confirmed",
                   confirmed_at=now - timedelta(days=9))
    add_signatures(petition, 1, status="withdrawn", at=now - timedelta(hours=1), client_hash="c" * 64,
                   email_domain_hash="d" * 64)
    done = purge(now=now)
    db.session.commit()
    assert done["fingerprints_blanked"] == 2
    # Withdrawn: nothing says where it came from, however recent.
    assert db.session.execute(select(Signature.client_hash, Signature.email_domain_hash)
                              .where(Signature.status == "withdrawn")).all() == [(None, None)]
    assert db.session.scalar(select(func.count()).where(Signature.client_hash == "a" * 64)) == 0
    assert db.session.scalar(select(func.count()).where(Signature.client_hash == "b" * 64)) == 3
    assert statuses(petition) == {"confirmed": 5, "invalidated": 1, "withdrawn": 1}
    assert db.session.scalar(select(Signature.invalidated_from).where(Signature.status == "invalidated")) == "confirmed"
    db.session.refresh(petition)
    assert petition.expired_unconfirmed == 1


def test_a_closed_petitions_anonymisation_blanks_its_hashes_too(app, petition, add_signatures):
    from petitions.models import PetitionStatus

    add_signatures(petition, 2, client_hash="c" * 64, email_domain_hash="d" * 64)
    petition.status, petition.closed_at = PetitionStatus.CLOSED, utcnow() - timedelta(days=400)
    db.session.commit()
    purge(now=utcnow(), anonymise_after_days=180)
    db.session.commit()
    assert db.session.execute(select(Signature.client_hash, Signature.email_domain_hash).distinct()).all() == [
        (None, None)]


# --- the migration ---------------------------------------------------------------------------------------------

def test_0017_keeps_the_tally_triggers_and_will_not_go_back_while_signatures_are_invalidated(
        empty_database_url, tmp_path, caplog):  # noqa: F811
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    at = "2026-11-24 15:00:00"
    insert = text(
        "INSERT INTO signatures (petition_id, email, full_name, country, language, show_name, public_name,"
        " wants_updates, status, confirmation_sends, created_at, confirmed_at)"
        " VALUES (1, '', 'Listed', 'DE', 'en', true, 'full', false, :status, 1, :at, :confirmed)")

    def status_tally(conn):
        return dict(conn.execute(text(
            "SELECT key, SUM(count) FROM signature_tallies WHERE dimension = 'status' GROUP BY key"
            " HAVING SUM(count) <> 0")).all())

    with app.app_context():
        upgrade(revision="0016_bounces")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO petitions (id, slug, kind, status, organisation_name, primary_language, goal, next_goal,"
                " paper_count, expired_unconfirmed, created_at, updated_at) VALUES"
                " (1, 'p', 'petition', 'open', 'Org', 'en', 100, 100, 0, 0, :at, :at)"), {"at": at})
            for status in ("confirmed", "confirmed", "pending"):
                conn.execute(insert, {"status": status, "at": at, "confirmed": at if status == "confirmed" else None})
        upgrade()
        columns = {c["name"] for c in inspect(db.engine).get_columns("signatures")}
        assert {"client_hash", "email_domain_hash", "invalidation_id", "invalidated_from"} <= columns
        assert "ix_signatures_public_recent" in {ix["name"] for ix in inspect(db.engine).get_indexes("signatures")}
        with db.engine.begin() as conn:
            assert status_tally(conn) == {"confirmed": 2, "pending": 1}
            conn.execute(text("UPDATE signatures SET status = 'invalidated', invalidated_from = 'confirmed'"
                              " WHERE id = 1"))
            assert status_tally(conn) == {"confirmed": 1, "pending": 1, "invalidated": 1}
        with pytest.raises(SystemExit):  # flask_migrate logs the error and exits
            downgrade(revision="0016_bounces")
        assert "1 signatures are invalidated" in caplog.text
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE signatures SET status = 'confirmed', invalidated_from = NULL WHERE id = 1"))
        downgrade(revision="0016_bounces")
        assert "client_hash" not in {c["name"] for c in inspect(db.engine).get_columns("signatures")}
        with db.engine.begin() as conn:
            conn.execute(insert, {"status": "pending", "at": at, "confirmed": None})
            assert status_tally(conn) == {"confirmed": 2, "pending": 2}
        db.engine.dispose()


def test_one_network_has_short_unrelated_fingerprints_on_two_petitions(app):
    # Kept beside signatures, the limiter's whole hash would link one network's signatures across campaigns,
    # and with the day's key still in the database it could be reversed by trying every IPv4 address.
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.23"}):
        first, second = services.client_fingerprint(1), services.client_fingerprint(2)
        assert len(first) == len(second) == services.FINGERPRINT_HEX_DIGITS
        assert first != second and first != client_hash(client_network("198.51.100.23"))[:len(first)]


def test_purge_blanks_the_domain_hash_with_the_fingerprint(app, petition, add_signatures):
    add_signatures(petition, 2, at=utcnow() - timedelta(days=8), client_hash="abcde", email_domain_hash="f" * 64)
    purge()
    assert db.session.execute(select(Signature.client_hash, Signature.email_domain_hash)).all() == [(None, None)] * 2


@pytest.mark.parametrize("moment", ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "2026-13-01T00:00", "soon"])
def test_a_window_end_that_is_no_moment_is_refused_by_name(moment):
    with pytest.raises(integrity.FilterRefused):
        integrity.parse_moment(moment, "start")
