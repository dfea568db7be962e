"""How an import preview says what it understood, in the reader's language (for the page and the command line)."""
from dataclasses import dataclass

from babel import Locale
from flask import current_app
from flask_babel import gettext as _

from ..i18n import country_name


@dataclass
class ShownChoice:
    value: str
    label: str


@dataclass
class ShownLine:
    number: int
    text: str
    status: str
    listed_as: str        # "People's Watch – India", or the name alone
    how: list             # one phrase per country or region: "Chad: name in French"
    problem: str          # why it is not ready, or ""
    choices: list         # ShownChoice, the suggestion first


def _place(codes, region, language):
    return ", ".join([*(country_name(code, language) for code in codes), *([region] if region else [])])


def _listed(name, codes, region, language):
    place = _place(codes, region, language)
    return f"{name} – {place}" if place else name


def how_recognised(recognised, language):
    """ "exact", "name in French", "common alias" ...: how one country was read."""
    if recognised.how == "code":
        return _("ISO code")
    if recognised.how == "alias":
        return _("common alias")
    if recognised.how == "chosen":
        return _("chosen by you")
    if recognised.language in current_app.config["LANGUAGES"]:
        return _("exact")
    other = Locale.parse(recognised.language).get_display_name(language) or recognised.language
    return _("name in another language: %(language)s", language=other)


def shown(line, language):
    """A preview line as plain strings for a template or a terminal."""
    how = [f"{country_name(r.code, language)}: {how_recognised(r, language)}" for r in line.found]
    if line.trailing and line.found:
        how.append(_("the country ends the name, without a separator"))
    if line.region:
        how.append(_("%(region)s: a region, kept as typed", region=line.region))
    if not line.found and not line.region and line.status == "ready":
        how.append(_("no country"))
    problem = ""
    if line.status == "decision":
        problem = _("needs your decision")
    elif line.status == "duplicate":
        problem = (_("repeats line %(line)s", line=line.duplicate_of) if line.duplicate_of
                   else _("already listed"))
    elif line.status == "unparsed":
        problem = _("no name before the country")
    elif line.status == "skipped":
        problem = _("not imported, as you chose")
    choices = []
    for choice in line.choices:
        if choice.value == "none":
            label = _("%(name)s (no country)", name=choice.name)
        elif choice.value == "region":
            label = _("%(name)s – %(region)s (a region)", name=choice.name, region=choice.region)
        else:
            label = _listed(choice.name, choice.codes, choice.region, language)
        choices.append(ShownChoice(choice.value, label))
    return ShownLine(line.number, line.text, line.status, _listed(line.name, line.codes, line.region, language),
                     how, problem, choices)
