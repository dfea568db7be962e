"""The integrity page: new signatures per hour, the day's busiest networks and domains, invalidating a flood.

Who sees what: a viewer sees the hours only; editors also see the day's
fingerprints, domains and the invalidations made; only owners invalidate and
undo, each through a POST with its own button, after a preview that changes
nothing.
"""
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts import auth
from ..accounts.forms import EmptyForm
from ..i18n import current_language, format_date, format_decimal, native_digits, number
from ..models import InvalidationKind, Role, SignatureStatus, utcnow
from ..texts import petition_text
from . import integrity, services
from .integrity_forms import FORMS, filter_form

bp = auth.organiser_blueprint("integrity", __name__)
MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer)


def _petition(slug, wanted=Role.VIEWER):
    """(petition, role), or 404: not the member's, role too low, or an open letter (it has no signatures)."""
    found = services.petition_for(auth.current_account(), slug, wanted)
    if found is None or found[0].is_letter:
        abort(404)
    return found


def _hour_label(start):
    end = start + timedelta(hours=1)
    return _("%(day)s, %(start)s–%(end)s", day=format_date(start.date()),
             start=native_digits(start.strftime("%H:00")), end=native_digits(end.strftime("%H:00")))


def _moment_label(moment):
    return f"{format_date(moment.date())} {native_digits(moment.strftime('%H:%M'))}"


def _usual_label(usual):
    return format_decimal(usual, "#,##0.#") if usual is not None else _("none before")


def _form_values(moment):
    """A moment as a datetime-local field shows it."""
    return moment.strftime("%Y-%m-%dT%H:%M") if moment is not None else ""


REFUSALS = {
    "fingerprint": lambda: _("This is not a fingerprint. A fingerprint has 64 characters, digits and the letters "
                             "a to f: use the link beside it in the list of busiest networks."),
    "domain": lambda: _("This is not an email domain. Type the part of the address after the @, for example "
                        "example.org."),
    "window": lambda: _("This is not a date and time. Write it as 2026-11-24 15:00 (UTC)."),
    "window_missing": lambda: _("Please give both the start and the end of the time window."),
    "window_order": lambda: _("The end of the time window must be after its start."),
    "window_long": lambda: ngettext("A fingerprint stands for one network on one day: choose a time window of "
                                    "%(count)s day at most.",
                                    "A fingerprint stands for one network on one day: choose a time window of "
                                    "%(count)s days at most.",
                                    integrity.FINGERPRINT_WINDOW_DAYS, count=number(integrity.FINGERPRINT_WINDOW_DAYS)),
    "nothing": lambda: _("No signature that counts or is waiting for confirmation matches this. Nothing was "
                         "changed."),
}


def _refuse(form, refused):
    field = getattr(form, refused.field) if refused.field else getattr(form, form.kind)
    field.errors = [*field.errors, REFUSALS[refused.code]()]


def _filter(petition, kind, form):
    """The service's filter for a submitted form. Raises integrity.FilterRefused."""
    if kind == InvalidationKind.FINGERPRINT:
        return integrity.fingerprint_filter(form.fingerprint.data, form.start.data, form.end.data)
    return integrity.domain_filter(petition.id, form.domain.data, form.start.data, form.end.data)


def _prefilled_forms():
    """The two filter forms, the fingerprint one filled from the address (the busiest list's links)."""
    args = request.args
    return {
        InvalidationKind.FINGERPRINT: filter_form(
            InvalidationKind.FINGERPRINT, formdata=None, fingerprint=args.get("fingerprint", "")[:64],
            start=args.get("start", "")[:40], end=args.get("end", "")[:40]),
        InvalidationKind.DOMAIN: filter_form(InvalidationKind.DOMAIN, formdata=None),
    }


def _page(petition, role, forms=None):
    config = current_app.config
    now = utcnow()
    today = integrity.today_of(now)
    days = integrity.days_with_fingerprints(today, config["FINGERPRINT_RETENTION_DAYS"])
    asked = request.args.get("day")
    day = integrity.parse_day(asked, days)
    day_refused = bool(asked) and day is None
    day = day or today
    can_see = Role.at_least(role, Role.EDITOR)
    owner = Role.at_least(role, Role.OWNER)
    shown = integrity.hours(petition.id, now, config["FLOOD_HOUR_FACTOR"], config["FLOOD_HOUR_MINIMUM"])
    fingerprints, domains, records = [], None, []
    if can_see:
        fingerprints = [(fingerprint, n, url_for(
            "integrity.page", slug=petition.slug, day=day.isoformat(), fingerprint=fingerprint,
            start=f"{day.isoformat()}T00:00", end=f"{(day + timedelta(days=1)).isoformat()}T00:00",
            _anchor="by-fingerprint")) for fingerprint, n in integrity.busiest_fingerprints(petition.id, day)]
        domains = integrity.day_domains(petition.id, day)
        records = integrity.invalidations(petition.id)
    forms = {**_prefilled_forms(), **(forms or {})} if owner else {}
    return render_template(
        "organiser/integrity.html", petition=petition, role=role, text=petition_text(petition, current_language())[0],
        hours=[hour for hour in shown if hour.count or hour.flagged], hour_label=_hour_label,
        usual_label=_usual_label, moment_label=_moment_label, factor=format_decimal(config["FLOOD_HOUR_FACTOR"], "#,##0.#"),
        minimum=config["FLOOD_HOUR_MINIMUM"], days=days, day=day, can_see=can_see, owner=owner,
        fingerprints=fingerprints, domains=domains, records=records, forms=forms, empty=EmptyForm(),
        filter_label=integrity.filter_label, retention_days=config["FINGERPRINT_RETENTION_DAYS"],
        day_refused=day_refused,
    )


@bp.get("/p/<slug>/integrity")
@auth.login_required
def page(slug):
    petition, role = _petition(slug)
    return _page(petition, role)


def _submitted(slug, kind):
    """(petition, form, filter) of an owner's submitted filter, or the page again with what is wrong (a 400)."""
    petition, role = _petition(slug, Role.OWNER)
    if kind not in FORMS:
        abort(404)
    form = filter_form(kind)
    if not form.validate_on_submit():
        return petition, form, None, (_page(petition, role, {kind: form}), 400)
    try:
        signature_filter = _filter(petition, kind, form)
    except integrity.FilterRefused as refused:
        _refuse(form, refused)
        return petition, form, None, (_page(petition, role, {kind: form}), 400)
    return petition, form, signature_filter, None


@bp.post("/p/<slug>/integrity/preview/<kind>")
@auth.login_required
def preview(slug, kind):
    """How many signatures, of which statuses, the filter would take; one button to go ahead. Changes nothing."""
    petition, form, signature_filter, refused = _submitted(slug, kind)
    if refused:
        return refused
    found = integrity.preview(petition, signature_filter)
    taken = integrity.would_take(found)
    if not taken:
        _refuse(form, integrity.FilterRefused("nothing"))
        return _page(petition, Role.OWNER, {kind: form}), 400
    untouched = sum(n for status, n in found.items() if status not in SignatureStatus.INVALIDATABLE)
    return render_template(
        "organiser/integrity_preview.html", petition=petition, form=form, kind=kind, found=found, taken=taken,
        untouched=untouched, signature_filter=signature_filter, moment_label=_moment_label,
        provider=integrity.provider_hashes(petition.id).get(signature_filter.domain_hash),
    )


@bp.post("/p/<slug>/integrity/invalidate/<kind>")
@auth.login_required
def invalidate(slug, kind):
    petition, form, signature_filter, refused = _submitted(slug, kind)
    if refused:
        return refused
    try:
        record = integrity.invalidate(petition, signature_filter, auth.current_account())
    except integrity.FilterRefused as nothing:
        _refuse(form, nothing)
        return _page(petition, Role.OWNER, {kind: form}), 400
    flash(ngettext("%(count)s signature invalidated. It no longer counts; you can undo this below.",
                   "%(count)s signatures invalidated. They no longer count; you can undo this below.",
                   record.matched, count=number(record.matched)))
    return redirect(url_for("integrity.page", slug=slug, _anchor="invalidations"))


@bp.post("/p/<slug>/integrity/<int:invalidation_id>/undo")
@auth.login_required
def undo(slug, invalidation_id):
    petition, _role = _petition(slug, Role.OWNER)
    record = integrity.invalidation_of(petition, invalidation_id) if invalidation_id <= MAX_ID else None
    if record is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            restored = integrity.undo(petition, record, auth.current_account())
        except integrity.AlreadyUndone:
            flash(_("This invalidation was already undone. Nothing was changed."))
        else:
            count = sum(restored.values())
            flash(ngettext("%(count)s signature restored.", "%(count)s signatures restored.", count,
                           count=number(count)))
    return redirect(url_for("integrity.page", slug=slug, _anchor="invalidations"))
