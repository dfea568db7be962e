"""Email: an outbox table, a worker that delivers it, and the messages we send."""
