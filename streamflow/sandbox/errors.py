"""Errors of the sandbox: isolation that cannot be had is an error, never a silent downgrade."""

from __future__ import annotations

from streamflow.errors import StreamflowError

__all__ = ["SandboxUnavailable"]


class SandboxUnavailable(StreamflowError):
    """The requested isolation cannot be set up here; the message says what is missing and how to
    get it (or which weaker mode the user may opt into, knowing what it gives up)."""
