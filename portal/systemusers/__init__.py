"""The business's own system-access pages: overview, creation, details, revoking and deleting."""
