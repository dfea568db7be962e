"""Short-lived random keys, kept in the database so every worker process shares them."""
from sqlalchemy import Date, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class DailyKey(db.Model):
    """A random key for one purpose and one UTC day, deleted once the day is over."""

    __tablename__ = "daily_keys"

    purpose: Mapped[str] = mapped_column(String(40), primary_key=True)
    day = mapped_column(Date, primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<DailyKey {self.purpose} {self.day}>"
