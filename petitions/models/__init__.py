"""The data model. Import from here so every table is registered."""
from .bounces import ReturnPath, Suppression, SuppressionReason
from .campaign import PaperBatch, PaperSignature, PetitionUpdate, UpdateTranslation
from .events import EventCount, EventKind
from .integrity import Invalidation, InvalidationKind
from .keys import DailyKey
from .letter import LetterSignatory, SignatoryKind, SignatoryStatus
from .organisation import (
    Account, AuditEvent, Invitation, Membership, Organisation, OrganisationDescription, RecoveryCode, Role,
)
from .outbox import OutboxMessage
from .petition import (
    GoalMilestone, Petition, PetitionKind, PetitionStatus, PetitionTranslation, PetitionVersion,
    StatusChangeRefused, set_status,
)
from .sealing import KeyWrap, OrganisationKey, SealingKey
from .signature import PublicName, Signature, SignatureStatus
from .statement import Statement, StatementStatus, StatementTranslation
from .subscriber import Subscriber, SubscriberMailing, SubscriberMailingText, SubscriberStatus
from .tally import SignatureTally
from .timeline import Outcome, TimelineEntry, TimelineFile, TimelineFileKind, TimelineKind, TimelineText
from .types import UTCDateTime, utcnow

__all__ = [
    "Account",
    "AuditEvent",
    "DailyKey",
    "EventCount",
    "EventKind",
    "GoalMilestone",
    "Invalidation",
    "InvalidationKind",
    "Invitation",
    "KeyWrap",
    "LetterSignatory",
    "Membership",
    "Organisation",
    "OrganisationDescription",
    "OrganisationKey",
    "OutboxMessage",
    "Outcome",
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
    "ReturnPath",
    "Role",
    "SealingKey",
    "SignatoryKind",
    "SignatoryStatus",
    "Signature",
    "SignatureStatus",
    "SignatureTally",
    "Statement",
    "StatementStatus",
    "StatementTranslation",
    "StatusChangeRefused",
    "Subscriber",
    "SubscriberMailing",
    "SubscriberMailingText",
    "SubscriberStatus",
    "Suppression",
    "SuppressionReason",
    "TimelineEntry",
    "TimelineFile",
    "TimelineFileKind",
    "TimelineKind",
    "TimelineText",
    "UTCDateTime",
    "UpdateTranslation",
    "set_status",
    "utcnow",
]
