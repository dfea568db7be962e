"""The data model. Import from here so every table is registered."""
from .outbox import OutboxMessage
from .petition import CounterShard, GoalMilestone, Petition, PetitionStatus, PetitionTranslation
from .signature import Signature, SignatureStatus
from .types import UTCDateTime, utcnow

__all__ = [
    "CounterShard",
    "GoalMilestone",
    "OutboxMessage",
    "Petition",
    "PetitionStatus",
    "PetitionTranslation",
    "Signature",
    "SignatureStatus",
    "UTCDateTime",
    "utcnow",
]
