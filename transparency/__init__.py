"""Tamper evidence an outsider can check: a Merkle tree over the whole event log (RFC 9162), signed checkpoints.

`merkle` is the pure tree math; `store` keeps the tree beside the events; `signing` the Ed25519 checkpoints;
`log` extends the tree and proves; `audit` checks every stored row against it (`plaintrail verify`).
"""
