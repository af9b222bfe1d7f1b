"""The admin's read-only rule, written once: staff read these rows but never add, change or delete them
in the admin; they change only through their services (and their audit events)."""

from django.contrib import admin


class ReadOnly:
    """For a ModelAdmin or an inline."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass
