"""The organiser's side of the organisation page: its description in each language, and its statements.

Editors and owners only; for anyone else, as for an organisation that is not theirs, every page is a 404.
A bad form answers 400, which rolls the request back: nothing is stored.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts import auth
from ..accounts import services as accounts
from ..accounts.forms import EmptyForm
from ..extensions import db
from ..markup import render_markdown
from ..models import Organisation, Role
from . import editing
from .forms import DescriptionForm, NewStatementForm, PageSettingsForm, StatementForm

bp = auth.organiser_blueprint("organisation_editor", __name__)


def _organisation(organisation_id):
    """The organisation, if the signed-in member may edit its page; 404 otherwise."""
    role = accounts.role_in(auth.current_account(), organisation_id)
    if role is None or not Role.at_least(role, Role.EDITOR):
        abort(404)
    return db.session.get(Organisation, organisation_id)


def _language_or_404(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    return code


def _statement(organisation, statement_id):
    statement = editing.statement_of(organisation, statement_id)
    if statement is None:
        abort(404)
    return statement


def _to_page(organisation):
    return redirect(url_for("organisation_editor.page", organisation_id=organisation.id))


@bp.get("/org/<int:organisation_id>/page")
@auth.login_required
def page(organisation_id):
    """The page's parts in one place: descriptions by language, the main language, the statements."""
    organisation = _organisation(organisation_id)
    return _overview(organisation, PageSettingsForm(current_app.config["LANGUAGES"], obj=organisation))


def _overview(organisation, settings_form):
    return render_template(
        "organisations/editor.html", organisation=organisation, settings_form=settings_form, empty=EmptyForm(),
        statements=editing.statements_of(organisation), languages=current_app.config["LANGUAGES"],
    ), 400 if settings_form.errors else 200


@bp.post("/org/<int:organisation_id>/page/settings")
@auth.login_required
def settings(organisation_id):
    organisation = _organisation(organisation_id)
    form = PageSettingsForm(current_app.config["LANGUAGES"])
    if not form.validate_on_submit():
        return _overview(organisation, form)
    editing.set_primary_language(organisation, form.primary_language.data)
    flash(_("Saved."))
    return _to_page(organisation)


@bp.route("/org/<int:organisation_id>/page/about/<code>", methods=["GET", "POST"])
@auth.login_required
def description(organisation_id, code):
    """The description in one language, with the other languages as tabs, as the petition text editor has."""
    organisation = _organisation(organisation_id)
    _language_or_404(code)
    saved = organisation.description(code)
    form = DescriptionForm(data={"description": saved.description if saved else ""})
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = render_markdown(form.description.data or "")
        else:
            changed = editing.save_description(organisation, code, form.description.data)
            flash(_("Saved.") if changed else _("Nothing changed."))
            return redirect(url_for("organisation_editor.description", organisation_id=organisation.id, code=code))
    return render_template(
        "organisations/editor_description.html", organisation=organisation, form=form, code=code, preview=preview,
        languages=current_app.config["LANGUAGES"],
    ), 400 if form.errors else 200


@bp.route("/org/<int:organisation_id>/statements/new", methods=["GET", "POST"])
@auth.login_required
def new_statement(organisation_id):
    organisation = _organisation(organisation_id)
    languages = current_app.config["LANGUAGES"]
    form = NewStatementForm(languages, language=request.args.get("language") or organisation.primary_language)
    if form.validate_on_submit():
        statement = editing.create_statement(organisation, form.language.data, form.title.data, form.body.data,
                                             form.statement_date.data)
        flash(_("Draft saved. Add other languages, then publish it."))
        return redirect(url_for("organisation_editor.edit_statement", organisation_id=organisation.id,
                                statement_id=statement.id, code=statement.primary_language))
    return render_template("organisations/editor_new_statement.html", organisation=organisation, form=form), \
        400 if form.errors else 200


@bp.route("/org/<int:organisation_id>/statements/<int:statement_id>/<code>", methods=["GET", "POST"])
@auth.login_required
def edit_statement(organisation_id, statement_id, code):
    """One language of a statement; the date is the statement's own, the same in every language."""
    organisation = _organisation(organisation_id)
    statement = _statement(organisation, statement_id)
    _language_or_404(code)
    saved = statement.translation(code)
    data = {"statement_date": statement.statement_date}
    if saved is not None:
        data.update(title=saved.title, body=saved.body)
    form = StatementForm(data=data)
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = render_markdown(form.body.data or "")
        else:
            changed = editing.save_statement_text(statement, code, form.title.data, form.body.data,
                                                  form.statement_date.data)
            flash(_("Saved.") if changed else _("Nothing changed."))
            return redirect(url_for("organisation_editor.edit_statement", organisation_id=organisation.id,
                                    statement_id=statement.id, code=code))
    return render_template(
        "organisations/editor_statement.html", organisation=organisation, statement=statement, form=form,
        code=code, preview=preview, languages=current_app.config["LANGUAGES"], empty=EmptyForm(),
    ), 400 if form.errors else 200


@bp.post("/org/<int:organisation_id>/statements/<int:statement_id>/<code>/remove")
@auth.login_required
def remove_translation(organisation_id, statement_id, code):
    organisation = _organisation(organisation_id)
    statement = _statement(organisation, statement_id)
    if EmptyForm().validate_on_submit():
        try:
            if editing.remove_translation(statement, _language_or_404(code)):
                flash(_("Language removed."))
        except editing.StatementError:
            flash(_("The main language cannot be removed. Delete the statement instead."), "error")
            return redirect(url_for("organisation_editor.edit_statement", organisation_id=organisation.id,
                                    statement_id=statement.id, code=code)), 303
    return redirect(url_for("organisation_editor.edit_statement", organisation_id=organisation.id,
                            statement_id=statement.id, code=statement.primary_language))


@bp.post("/org/<int:organisation_id>/statements/<int:statement_id>/publish")
@auth.login_required
def publish(organisation_id, statement_id):
    organisation = _organisation(organisation_id)
    statement = _statement(organisation, statement_id)
    if EmptyForm().validate_on_submit():
        if request.form.get("publish") == "0":
            if editing.unpublish(statement, auth.current_account()):
                flash(_("The statement is a draft again: it is no longer on the public page."))
        elif editing.publish(statement, auth.current_account()):
            flash(_("Published: the statement is on the organisation's page."))
    return _to_page(organisation)


@bp.post("/org/<int:organisation_id>/statements/<int:statement_id>/delete")
@auth.login_required
def delete_statement(organisation_id, statement_id):
    organisation = _organisation(organisation_id)
    statement = _statement(organisation, statement_id)
    if EmptyForm().validate_on_submit():
        editing.delete_statement(statement, auth.current_account())
        flash(_("Statement deleted."))
    return _to_page(organisation)

