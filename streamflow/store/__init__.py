"""The LMDB run store only: results, operator state, dead letters, a run directory's records
and its status. No plans, operators, channels or file formats (tests/test_layering.py)."""
