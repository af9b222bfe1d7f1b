"""URL patterns; filled in by the capability that owns this module."""

urlpatterns: list = []
