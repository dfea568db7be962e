"""The data model. Import from here so every table is registered."""
from .campaign import PaperBatch, PaperSignature, PetitionUpdate, UpdateTranslation
from .events import EventCount, EventKind
from .keys import DailyKey
from .letter import LetterSignatory, SignatoryKind, SignatoryStatus
from .organisation import Account, AuditEvent, Invitation, Membership, Organisation, RecoveryCode, Role
from .outbox import OutboxMessage
from .petition import (
    CounterShard, GoalMilestone, Petition, PetitionKind, PetitionStatus, PetitionTranslation, PetitionVersion,
    StatusChangeRefused, set_status,
)
from .sealing import KeyWrap, OrganisationKey, SealingKey
from .signature import PublicName, Signature, SignatureStatus
from .tally import SignatureTally
from .types import UTCDateTime, utcnow

__all__ = [
    "Account",
    "AuditEvent",
    "CounterShard",
    "DailyKey",
    "EventCount",
    "EventKind",
    "GoalMilestone",
    "Invitation",
    "KeyWrap",
    "LetterSignatory",
    "Membership",
    "Organisation",
    "OrganisationKey",
    "OutboxMessage",
    "PaperBatch",
    "PaperSignature",
    "Petition",
    "PetitionKind",
    "PetitionStatus",
    "PetitionTranslation",
    "PetitionUpdate",
    "PetitionVersion",
    "PublicName",
    "RecoveryCode",
    "Role",
    "SealingKey",
    "SignatoryKind",
    "SignatoryStatus",
    "Signature",
    "SignatureStatus",
    "SignatureTally",
    "StatusChangeRefused",
    "UTCDateTime",
    "UpdateTranslation",
    "set_status",
    "utcnow",
]
