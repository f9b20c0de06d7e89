"""How a compiled plan runs: the executor interface and the local executor."""
