"""Model bundles: a directory with a manifest mapping each API capability to the model that serves it."""

from bbt.bundle.manifest import CAPABILITIES, MANIFEST, read_manifest

__all__ = ["CAPABILITIES", "MANIFEST", "read_manifest"]
