"""Rate-limit keys and limits: every key is a keyed hash, so no client address or email address reaches the limiter's storage."""
import ipaddress

from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from flask_limiter.util import get_remote_address

from .address_hashes import email_hash
from .daily_keys import client_hash
from .plaintext import single_line


def client_network(address):
    """The unit a client is limited as: an IPv4 address, or the /64 network of an IPv6 address.

    One IPv6 subscriber is usually given a whole /64 and can pick a new address in it for every
    request, so limiting per IPv6 address would limit nothing.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or ""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_key():
    """Rate-limit key for the client: a keyed hash, so no raw address reaches the limiter's storage."""
    return "client:" + client_hash(client_network(get_remote_address()))


def submitted_address_hash(field="email"):
    """The keyed hash of the address in the submitted form, normalised as the forms and services see it.

    Every rate-limit key on an address is built here. Hashing the raw field would let
    "owner@example.org" with an invisible or control character inside get a bucket of
    its own while the form's filter (``single_line``) makes it the real address again.
    The address is also normalised as ``ValidEmail`` does (an IDNA domain in either
    form is one address); one that does not validate is hashed as filtered.
    """
    address = single_line(request.form.get(field, "")) or ""
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        pass
    return email_hash(current_app.config["HASH_KEY"], address)


def email_key():
    """Rate-limit key for the address in the submitted form: the keyed hash uniqueness is checked on."""
    return "email:" + submitted_address_hash()


def configured_limit(name):
    """A Flask-Limiter limit read from the configuration when the request comes, so tests and operators can set it."""
    return lambda: current_app.config[name]
