from registry.models.audit import AuditEvent
from registry.models.catalog import AccessPackage, Area, PolicyRule, Resource, RolePackage
from registry.models.events import (
    DeliveryStatus,
    VendorEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from registry.models.outbox import Notification, NotificationStatus
from registry.models.parties import (
    ClientListing,
    Organisation,
    PackageDelegation,
    Person,
    Role,
    RoleAssignment,
)
from registry.models.systems import (
    ClientDelegation,
    RegisteredSystem,
    SystemChangeLog,
    SystemClient,
    SystemPackage,
    SystemRight,
    SystemUser,
    SystemUserPackage,
    SystemUserRight,
    SystemUserType,
)
from registry.models.usage import RefusalReason, SystemUserUsage, TokenRefusal

__all__ = [
    "ClientListing",
    "DeliveryStatus",
    "VendorEvent",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "AccessPackage",
    "Area",
    "AuditEvent",
    "ClientDelegation",
    "Notification",
    "NotificationStatus",
    "Organisation",
    "PackageDelegation",
    "Person",
    "PolicyRule",
    "RefusalReason",
    "RegisteredSystem",
    "Resource",
    "Role",
    "RoleAssignment",
    "RolePackage",
    "SystemChangeLog",
    "SystemClient",
    "SystemPackage",
    "SystemRight",
    "SystemUser",
    "SystemUserPackage",
    "SystemUserRight",
    "SystemUserType",
    "SystemUserUsage",
    "TokenRefusal",
]
