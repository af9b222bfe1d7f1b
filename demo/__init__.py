"""The demo: a vendor's program (client.py) and a resource owner's API (provider.py).

Both talk to a running Systembruker only over HTTP, as real vendors and resource owners would; they
share the Maskinporten-style token helper in maskinporten_client.py. See docs/demo-api.md.
"""
