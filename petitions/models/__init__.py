"""The data model. Import from here so every table is registered."""
from .keys import DailyKey
from .outbox import OutboxMessage
from .petition import CounterShard, GoalMilestone, Petition, PetitionStatus, PetitionTranslation
from .signature import PublicName, Signature, SignatureStatus
from .types import UTCDateTime, utcnow

__all__ = [
    "CounterShard",
    "DailyKey",
    "GoalMilestone",
    "OutboxMessage",
    "Petition",
    "PetitionStatus",
    "PetitionTranslation",
    "PublicName",
    "Signature",
    "SignatureStatus",
    "UTCDateTime",
    "utcnow",
]
