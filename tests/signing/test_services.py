"""The rules of signing, tested at the service level."""
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from petitions import counting, texts
from petitions.extensions import db
from petitions.models import GoalMilestone, Petition, Signature, SignatureStatus, utcnow
from petitions.signing import services
from petitions.tokens import TokenExpired, TokenInvalid, confirmation_tokens

from ..helpers import queued_to


def details(email="ada@example.org", name="Ada Lovelace", country="GB"):
    return services.SignerDetails(full_name=name, email=email, country=country, city=None,
                                  show_name=False, wants_updates=False)


def sign_and_get_token(petition, email="ada@example.org", lang="en"):
    services.sign(petition, details(email), lang)
    db.session.commit()
    message = queued_to(email)[-1]
    return message.text_body.split("/confirm/")[1].split()[0]


def test_new_signature_is_pending_and_not_counted(app, petition):
    outcome = services.sign(petition, details(), "ru")
    db.session.commit()
    signature = db.session.scalar(select(Signature))
    assert outcome == services.SignOutcome.NEW
    assert signature.status == SignatureStatus.PENDING
    assert signature.language == "ru"
    assert counting.confirmed_count(petition.id) == 0
    assert len(queued_to("ada@example.org")) == 1


def test_confirmation_counts_once_and_second_click_changes_nothing(app, petition):
    token = sign_and_get_token(petition)
    signature, newly = services.confirm(token)
    db.session.commit()
    assert newly and signature.status == SignatureStatus.CONFIRMED and signature.confirmed_at
    again, newly_again = services.confirm(token)
    db.session.commit()
    assert not newly_again
    assert counting.confirmed_count(petition.id) == 1


def test_signing_again_with_other_details_while_a_press_is_checked_leaves_it_pending(app, petition):
    """The details can change between the press's read and its write: its link then confirms nothing."""
    token = sign_and_get_token(petition)

    def sign_again_meanwhile(petition_facts, count):  # what another request could do at that moment
        services.sign(petition, details(name="Someone Else"), "en")
        db.session.flush()

    with pytest.raises(services.TokenSuperseded):
        services.confirm(token, before_writing=sign_again_meanwhile)
    db.session.commit()
    signature = db.session.scalar(select(Signature))
    assert (signature.status, signature.full_name) == (SignatureStatus.PENDING, "Someone Else")
    assert counting.confirmed_count(petition.id) == 0
    # The link sent for the new details confirms them.
    newer = queued_to("ada@example.org")[-1].text_body.split("/confirm/")[1].split()[0]
    assert services.confirm(newer)[1] and counting.confirmed_count(petition.id) == 1


def test_same_address_in_other_case_counts_once(app, petition):
    services.sign(petition, details("Ada@Example.org"), "en")
    services.sign(petition, details("ADA@EXAMPLE.ORG"), "en")
    db.session.commit()
    assert db.session.query(Signature).count() == 1


def test_database_refuses_a_second_row_with_the_same_address_hash(app, petition):
    services.sign(petition, details(), "en")
    db.session.commit()
    first = db.session.scalar(select(Signature))
    db.session.add(Signature(petition_id=petition.id, email_hash=first.email_hash, email="x@example.org",
                             full_name="X", country="DE", language="en"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_signing_again_while_pending_resends_a_bounded_number_of_times(app, petition):
    limit = app.config["MAX_CONFIRMATION_SENDS"]
    outcomes = [services.sign(petition, details(), "en") for _ in range(limit + 2)]
    db.session.commit()
    assert outcomes[0] == services.SignOutcome.NEW
    assert outcomes[1:limit] == [services.SignOutcome.RESENT] * (limit - 1)
    assert outcomes[limit:] == [services.SignOutcome.SUPPRESSED] * 2
    assert len(queued_to("ada@example.org")) == limit


def test_signing_again_after_confirming_tells_the_owner_once_a_day(app, petition):
    token = sign_and_get_token(petition)
    services.confirm(token)
    first = services.sign(petition, details(name="Someone Else"), "de")
    second = services.sign(petition, details(), "en")
    later = services.sign(petition, details(), "en", now=utcnow() + timedelta(days=2))
    db.session.commit()
    assert (first, second, later) == (services.SignOutcome.NOTIFIED, services.SignOutcome.SUPPRESSED,
                                      services.SignOutcome.NOTIFIED)
    kinds = [m.kind for m in queued_to("ada@example.org")]
    assert kinds == ["confirm", "already_signed", "already_signed"]
    signature = db.session.scalar(select(Signature))
    assert signature.full_name == "Ada Lovelace"  # a second attempt cannot rewrite a confirmed signature
    assert counting.confirmed_count(petition.id) == 1


def test_token_names_the_signature_not_the_address(app, petition):
    token = sign_and_get_token(petition)
    payload = confirmation_tokens(app).read(token)
    signature = db.session.scalar(select(Signature))
    assert payload["s"] == signature.id
    assert "ada" not in str(payload).lower()


def test_tampered_token_is_refused_and_changes_nothing(app, petition):
    token = sign_and_get_token(petition)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(TokenInvalid):
        services.confirm(forged)
    with pytest.raises(TokenInvalid):
        services.confirm("not-a-token")
    assert db.session.scalar(select(Signature)).status == SignatureStatus.PENDING


def test_token_for_another_purpose_does_not_confirm(app, petition):
    from petitions.tokens import TokenService

    sign_and_get_token(petition)
    signature = db.session.scalar(select(Signature))
    other = TokenService(app.config["SECRET_KEY"], "something-else", 3600).make({"s": signature.id, "h": signature.email_hash[:16]})
    with pytest.raises(TokenInvalid):
        services.confirm(other)


def test_expired_token_can_still_ask_for_a_new_link(app, petition):
    token = sign_and_get_token(petition)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    with pytest.raises(TokenExpired):
        services.confirm(token)
    assert services.resend_confirmation(token) is True
    db.session.commit()
    app.config["CONFIRM_TOKEN_MAX_AGE"] = 3600
    new_token = queued_to("ada@example.org")[-1].text_body.split("/confirm/")[1].split()[0]
    _, newly = services.confirm(new_token)
    assert newly


def test_token_of_a_deleted_signature_cannot_confirm_a_new_one(app, petition):
    token = sign_and_get_token(petition, "first@example.org")
    db.session.delete(db.session.scalar(select(Signature)))
    db.session.commit()
    sign_and_get_token(petition, "second@example.org")
    with pytest.raises(TokenInvalid):
        services.confirm(token)


def test_closed_petition_takes_no_signatures(app, make_petition):
    closed = make_petition(status="closed")
    with pytest.raises(services.PetitionNotSignable):
        services.sign(closed, details(), "en")


@pytest.mark.parametrize(
    ("count", "goal", "expected"),
    [(0, 1000, 1000), (999, 1000, 1000), (1000, 1000, 2000), (1999, 1000, 2000), (2000, 1000, 5000),
     (5000, 1000, 10000), (10000, 1000, 20000), (60, 50, 100), (750, 750, 1000), (3, 1, 5)],
)
def test_next_goal_climbs_a_ladder_of_round_numbers(count, goal, expected):
    assert counting.next_goal_for(count, goal) == expected


def test_reaching_the_goal_stores_the_moment_and_raises_the_next_goal(app, make_petition):
    petition = make_petition(goal=2)
    tokens = [sign_and_get_token(petition, f"s{i}@example.org") for i in range(3)]
    services.confirm(tokens[0])
    db.session.commit()
    assert db.session.scalars(select(GoalMilestone)).all() == []
    services.confirm(tokens[1])
    db.session.commit()
    milestones = db.session.scalars(select(GoalMilestone)).all()
    assert [m.goal for m in milestones] == [2]
    assert milestones[0].reached_at is not None
    assert db.session.get(Petition, petition.id).next_goal == 5
    assert texts.public_counts(petition) == (2, 5)


def test_reading_the_count_never_touches_the_signatures_table(app, petition):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.lower())

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        counting.confirmed_count(petition.id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements and all("signatures " not in s and "from signatures" not in s for s in statements)
    assert any("signature_tallies" in s for s in statements)


def test_title_in_a_language_falls_back_to_the_primary_one_like_the_page(make_petition):
    from petitions.models.petition import title_in

    petition = make_petition(slug="two-texts", languages=("ru", "be"), primary="be")
    assert title_in(petition.id, "ru") == ("ru", "Освободите узников совести")
    assert title_in(petition.id, "de") == ("be", "Вызваліце вязняў сумлення")
    assert title_in(petition.id, "de") == (texts.petition_text(petition, "de")[0].language,
                                          texts.petition_text(petition, "de")[0].title)
