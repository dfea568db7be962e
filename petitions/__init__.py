"""petitions: self-hosted, multilingual petitions and open letters."""
from flask import Flask, request

from . import config as config_module
from .config import ROOT


def create_app(profile=None, overrides=None):
    """Build the application. ``profile``: production, development or testing."""
    settings = config_module.load(profile, overrides)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=settings["INSTANCE_DIR"],
        instance_relative_config=False,
    )
    app.config.update(settings)

    from . import database, errors, forgery, i18n, models  # noqa: F401  (database: SQLite set up for several processes)
    from .extensions import babel, csrf, db, limiter, migrate

    db.init_app(app)
    from .models.types import alembic_render_item

    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
        render_item=alembic_render_item,
    )
    # Before the session-token check, so a cross-site request gets the clearer answer.
    # RFC 8058 one-click unsubscribe: a mail program POSTs from anywhere; the link's token authorises it.
    forgery.init_app(app, exempt_endpoints={"signing.unsubscribe"})
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
    from .organiser.protection_views import bp as protection_bp
    from .organiser.views import bp as organiser_bp
    from .sharing.views import bp as sharing_bp
    from .signing.views import bp as signing_bp

    app.register_blueprint(signing_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organiser_bp)
    app.register_blueprint(protection_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(letters_moderation_bp)
    app.register_blueprint(sharing_bp)
    if app.config["DEV_MAILBOX"]:
        from .mail.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)

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

    from .cli import register

    register(app)
    return app


def _install_request_transaction(app):
    """Commit once per request, after the view succeeded; roll back otherwise."""
    from .extensions import db
    from .mail.worker import InProcessDelivery
    from .security import add_security_headers

    delivery = InProcessDelivery(app) if app.config["MAIL_DELIVER_AFTER_REQUEST"] else None
    app.extensions["petitions.mail_delivery"] = delivery

    @app.after_request
    def finish_transaction(response):
        if response.status_code < 400:
            db.session.commit()
            if delivery is not None and request.method == "POST":
                delivery.nudge()
        else:
            db.session.rollback()
        return add_security_headers(response, secure=request.is_secure)
