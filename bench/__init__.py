"""The benchmarks: scripts, each run as a file (`python bench/pdp.py …`); what they share is `bench._common`.

A package (not only a folder) so that `bench._common` is this one whatever else the import path holds.
"""
