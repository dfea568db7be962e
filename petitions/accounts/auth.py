"""Who is signed in. The session holds an account id, its session epoch and when the sign-in happened.

Bumping an account's epoch (signing out, password change or reset) ends every
session of the account at its next request: the cookie is the client's, so a
copy of it must stop working on the server's say. Sessions also end after
ORGANISER_SESSION_SECONDS.
"""
import time
from functools import wraps

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_babel import refresh

from ..extensions import db
from ..models import Account

SESSION_KEY = "organiser"
PENDING_KEY = "organiser_pending"
PENDING_SECONDS = 300


def sign_in(account, with_totp):
    """Start a session for ``account``; ``with_totp`` says whether a second factor was shown."""
    session.clear()  # a fresh session on sign-in: nothing carried over from before
    now = int(time.time())
    session[SESSION_KEY] = {"id": account.id, "epoch": account.session_epoch, "at": now,
                            "totp_at": now if with_totp else None}
    session.permanent = False


def mark_totp(now=None):
    """Record that the signed-in member has just shown a code (after enabling TOTP, for example)."""
    data = dict(session.get(SESSION_KEY) or {})
    if data:
        data["totp_at"] = int(now or time.time())
        session[SESSION_KEY] = data


def sign_out():
    """Forget the session in this browser; the caller ends it on the server (services.end_sessions)."""
    session.clear()


def begin_second_step(account):
    """Password accepted, code still to come: remember who, for a few minutes only."""
    session.clear()
    session[PENDING_KEY] = {"id": account.id, "epoch": account.session_epoch, "at": int(time.time())}


def pending_account():
    """The account whose password was just accepted, while its code step is still open; else None.

    The step is over after PENDING_SECONDS, when the epoch moved, or once the account has had
    SECOND_STEP_MAX_FAILURES wrong codes within SECOND_STEP_WINDOW_SECONDS (counted in the
    database, not in the cookie).
    """
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None
    account = db.session.get(Account, data.get("id"))
    if account is None or account.session_epoch != data.get("epoch"):
        return None
    if account.second_step_locked(current_app.config["SECOND_STEP_MAX_FAILURES"],
                                  current_app.config["SECOND_STEP_WINDOW_SECONDS"]):
        return None
    return account


def end_pending():
    session.pop(PENDING_KEY, None)


def current_account():
    """The signed-in account, or None. (Not cached on ``g``: an app context can outlive a request.)"""
    account = None
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and time.time() - data.get("at", 0) <= current_app.config["ORGANISER_SESSION_SECONDS"]:
        candidate = db.session.get(Account, data.get("id"))
        if candidate is not None and candidate.session_epoch == data.get("epoch"):
            account = candidate
    return account


def totp_is_fresh():
    """Whether this session was opened (or re-checked) with a second factor recently enough to export."""
    data = session.get(SESSION_KEY) or {}
    at = data.get("totp_at")
    return bool(at) and time.time() - at <= current_app.config["EXPORT_TOTP_MAX_AGE"]


def use_account_language():
    """Organiser pages speak the member's chosen language (or the browser's before sign-in)."""
    account = current_account()
    if account is not None and account.language in current_app.config["LANGUAGES"]:
        g.lang = account.language
        refresh()


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_account() is None:
            return redirect(url_for("accounts.sign_in", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)

    return wrapped


def safe_next(target):
    """Only a path on this site, never another host, is followed after signing in."""
    if target and target.startswith("/organiser") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def no_store(response):
    """Organiser pages show personal data: no cache anywhere may keep them."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def organiser_blueprint(name, import_name):
    """A blueprint under /organiser: pages in the member's language, never cached."""
    bp = Blueprint(name, import_name, url_prefix="/organiser")
    bp.before_request(use_account_language)
    bp.after_request(no_store)
    return bp
