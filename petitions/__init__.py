"""petitions: self-hosted, multilingual petitions and open letters."""
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

from . import config as config_module
from .paths import resource_dir


def create_app(profile=None, overrides=None):
    """Build the application. ``profile``: production, development or testing."""
    settings = config_module.load(profile, overrides)
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=settings["INSTANCE_DIR"],
        instance_relative_config=False,
    )
    app.config.update(settings)
    app.session_interface = CookieFirstSessionInterface()
    # Before any route is added: every <int:...> in a URL then means an id the database can hold.
    app.url_map.converters["int"] = BoundedIntegerConverter
    # First of all before_request functions: the forgery and CSRF checks read the form.
    _install_body_limits(app)

    from . import database, errors, forgery, i18n, models  # noqa: F401  (models: every table registered)
    from .extensions import babel, csrf, db, limiter, migrate

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    db.init_app(app)
    database.init_app(app, db)  # SQLite set up for several processes
    from .models.types import alembic_render_item

    migrate.init_app(
        app, db, directory=str(resource_dir("migrations")), render_as_batch=True, compare_type=True,
        render_item=alembic_render_item,
    )
    # Before the session-token check, so a cross-site request gets the clearer answer.
    # RFC 8058 one-click unsubscribe: a mail program POSTs from anywhere; the link's token authorises it.
    forgery.init_app(app, exempt_endpoints={"signing.unsubscribe", "subscribing.unsubscribe"})
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    errors.init_app(app)

    from .accounts.views import bp as accounts_bp
    from .api.views import bp as api_bp
    from .embed.views import bp as embed_bp
    from .letters.moderation import bp as letters_moderation_bp
    from .letters.views import bp as letters_bp
    from .organisations.editor_views import bp as organisation_editor_bp
    from .organisations.subscribe_views import bp as subscribing_bp
    from .organisations.views import bp as organisations_bp
    from .organiser.integrity_views import bp as integrity_bp
    from .organiser.protection_views import bp as protection_bp
    from .organiser.subscriber_views import bp as organiser_subscribers_bp
    from .organiser.timeline_views import bp as organiser_timeline_bp
    from .organiser.views import bp as organiser_bp
    from .sharing.views import bp as sharing_bp
    from .signing.timeline_views import bp as timeline_files_bp
    from .signing.views import bp as signing_bp

    app.register_blueprint(signing_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organiser_bp)
    app.register_blueprint(protection_bp)
    app.register_blueprint(integrity_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(letters_moderation_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(organisation_editor_bp)
    app.register_blueprint(subscribing_bp)
    app.register_blueprint(organiser_subscribers_bp)
    app.register_blueprint(organiser_timeline_bp)
    app.register_blueprint(timeline_files_bp)
    if app.config["DEV_MAILBOX"]:
        from .mail.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)

    from . import caching

    caching.init_app(app)  # inside ProxyFix: the scheme it restores is part of FastPath's key
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _install_request_transaction(app)

    @app.get("/healthz")
    def healthz():
        # For load balancers and uptime checks; touches no database, so it is
        # also the benchmarks' baseline for what a bare request costs.
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for it on every site, whatever the page links to; served from here, like everything else.
        return app.send_static_file("favicon.ico")

    @app.get("/readyz")
    def readyz():
        # Readiness, for load balancers: 503 while this process cannot reach the
        # database, so traffic goes elsewhere. Redis down is reported, but the
        # site still signs (limits fall back to each process's memory), so it
        # does not take the instance out: every instance shares the same Redis.
        from .extensions import unreachable_dependencies

        down = unreachable_dependencies(app.config)
        headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        if "database" in down:
            return "not ready: database unreachable\n", 503, headers
        if down:
            return "ready; unreachable: " + ", ".join(down) + "\n", 200, headers
        return "ready\n", 200, headers

    from .cli import register

    register(app)
    return app


class BoundedIntegerConverter(IntegerConverter):
    """Flask's <int:...>, but only up to 2**31 - 1 (a PostgreSQL integer); a larger number is a 404.

    Without the bound, /organiser/org/99999999999999999999/members reached the
    database, which PostgreSQL answers with an error: a 500 instead of a 404.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # werkzeug's parameter names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# The size setting for a request's body, by endpoint, else by blueprint; MAX_CONTENT_LENGTH otherwise.
BODY_LIMITS = {
    "signing": "SUPPORTER_MAX_CONTENT_LENGTH",
    "embed": "SUPPORTER_MAX_CONTENT_LENGTH",
    "letters": "SUPPORTER_MAX_CONTENT_LENGTH",
    "api": "SUPPORTER_MAX_CONTENT_LENGTH",
    "subscribing": "SUPPORTER_MAX_CONTENT_LENGTH",
    "organiser.new_petition": "TEXT_MAX_CONTENT_LENGTH",
    "organiser.edit_text": "TEXT_MAX_CONTENT_LENGTH",
    "organiser.updates": "TEXT_MAX_CONTENT_LENGTH",
    "organiser_subscribers.subscribers_page": "TEXT_MAX_CONTENT_LENGTH",
    "organisation_editor": "TEXT_MAX_CONTENT_LENGTH",
    # A photo or a PDF and a text; worked out from TIMELINE_PHOTO/PDF_MAX_BYTES (organiser/timeline_views.py).
    "organiser_timeline": "TIMELINE_MAX_CONTENT_LENGTH",
    "organiser.paper": "IMPORT_MAX_CONTENT_LENGTH",
    "organiser_letters.import_list": "IMPORT_MAX_CONTENT_LENGTH",
    # The preview's "save" posts the whole list back.
    "organiser_letters.import_confirm": "IMPORT_MAX_CONTENT_LENGTH",
}


class CookieFirstSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, which builds its signing serializer only when a session cookie came.

    Flask builds it for every request, though supporters' pages carry no cookie: that was 1.4% of a
    confirmation press's instructions.
    """

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _install_body_limits(app):
    """Refuse request bodies larger than their route needs (a 413), before anything parses them."""

    @app.before_request
    def limit_body():
        setting = BODY_LIMITS.get(request.endpoint) or BODY_LIMITS.get(request.blueprint)
        if setting is None:
            return
        request.max_content_length = app.config[setting]
        # Flask keeps any one form field under 500 KB by default; a long text or a pasted list may be more.
        request.max_form_memory_size = app.config[setting]


def _install_request_transaction(app):
    """Commit once per request, after the view succeeded; roll back otherwise."""
    from . import errors
    from .extensions import db
    from .mail.worker import InProcessDelivery
    from .headers import add_security_headers

    delivery = InProcessDelivery(app) if app.config["MAIL_DELIVER_AFTER_REQUEST"] else None
    app.extensions["petitions.mail_delivery"] = delivery

    @app.after_request
    def finish_transaction(response):
        if not db.session.registry.has():
            pass  # nothing opened a database session (/healthz, a cached page): no transaction to end
        elif response.status_code < 400:
            try:
                db.session.commit()
            except Exception as exc:
                # The database went away after the view ran: nothing was saved, and the answer says so.
                if not errors.database_unreachable(exc):
                    raise
                return add_security_headers(errors.unavailable_response(exc), secure=request.is_secure)
            if delivery is not None and request.method == "POST":
                delivery.nudge()
        else:
            db.session.rollback()
        return add_security_headers(response, secure=request.is_secure)
