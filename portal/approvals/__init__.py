"""The approval pages: a vendor's request and change request, as the business reviews them (confirmUrl)."""
