"""The platform's own JWTs: signing keys, access and person tokens, bearer authentication for our APIs."""
