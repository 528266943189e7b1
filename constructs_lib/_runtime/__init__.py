"""The library's basement: the jsii kernel, provider loading, type hints, ids, references and validation.

Nothing here is public API; a user of the library never imports it.
"""
