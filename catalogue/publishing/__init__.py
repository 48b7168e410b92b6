"""Publishing catalogues: key pairs, signed bundles, trusted keys, verification and diffs."""
