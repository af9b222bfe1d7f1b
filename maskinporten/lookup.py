"""Which system user a client may get a token for (CONTRACT §1 look-up rule), and why none matched."""

from registry.models import Organisation, RefusalReason, SystemClient, SystemUser, SystemUserType


def grantable_system_users(*, client_id: str, owner_orgno: str, external_ref: str, vendor_orgno: str):
    """Live standard or agent system users owned by the live organisation `owner_orgno` with this
    externalRef, whose live system lists `client_id` and is registered by `vendor_orgno` (the client's
    owner). At most one."""
    return SystemUser.objects.live().filter(
        owner__orgno=owner_orgno, external_ref=external_ref, **_grantable(client_id, vendor_orgno)
    )


def system_user_still_grantable(*, system_user_id: str, client_id: str, vendor_orgno: str) -> bool:
    """Whether `client_id` of `vendor_orgno` would still get a token for this system user (the rule above,
    by id): a platform token is made or refreshed only while it holds."""
    return SystemUser.objects.live().filter(pk=system_user_id, **_grantable(client_id, vendor_orgno)).exists()


def _grantable(client_id: str, vendor_orgno: str) -> dict:
    """The look-up rule's conditions on a live system user, besides which one it is."""
    return {
        "owner__is_deleted": False,
        "user_type__in": [SystemUserType.STANDARD, SystemUserType.AGENT],
        "system__is_deleted": False,
        "system__clients__client_id": client_id,
        "system__vendor__orgno": vendor_orgno,
    }


def find_system_user(*, client_id: str, owner_orgno: str, external_ref: str, vendor_orgno: str) -> SystemUser | None:
    lookup = {"client_id": client_id, "owner_orgno": owner_orgno, "external_ref": external_ref}
    queryset = grantable_system_users(**lookup, vendor_orgno=vendor_orgno)
    return queryset.select_related("owner", "system", "system__vendor").with_last_used().first()


def why_no_system_user(
    *, client_id: str, vendor_orgno: str, owner_orgno: str, external_ref: str
) -> tuple[RefusalReason, str]:
    """The likely cause (for the business) and its words (for the error description). Only runs on the
    (rare) refused path."""
    if not Organisation.objects.filter(orgno=owner_orgno, is_deleted=False).exists():
        return RefusalReason.UNKNOWN_ORGANISATION, f"Organisation {owner_orgno} is not known here"
    listings = SystemClient.objects.filter(client_id=client_id, system__is_deleted=False)
    listing = listings.select_related("system__vendor").first()
    if listing is None:
        return RefusalReason.CLIENT_NOT_ON_SYSTEM, f"Client {client_id} is not in the clientId list of any live system"
    system = listing.system
    if system.vendor.orgno != vendor_orgno:
        why = f"System {system.system_id} is registered by another vendor than the owner of client {client_id}"
        return RefusalReason.CLIENT_NOT_ON_SYSTEM, why
    of_system = SystemUser.objects.filter(owner__orgno=owner_orgno, system=system)
    if of_system.filter(external_ref=external_ref, is_deleted=True).exists():
        why = f"The system user of {owner_orgno} for system {system.system_id} has been deleted"
        return RefusalReason.SYSTEM_USER_DELETED, why
    if of_system.live().exists():
        why = (
            f"Organisation {owner_orgno} has a system user for system {system.system_id}, "
            f"but not with externalRef '{external_ref}'"
        )
        return RefusalReason.UNKNOWN_EXTERNAL_REF, why
    why = (
        f"Organisation {owner_orgno} has no system user for system {system.system_id}; "
        "the organisation must approve a system user request first"
    )
    return RefusalReason.NO_SYSTEM_USER, why
