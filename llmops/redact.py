"""Keys in URLs never reach a log, a report, a history or an error message."""

from __future__ import annotations

import re

__all__ = ["redact_urls"]

_USERINFO = re.compile(r"(://[^/\s:@]*):[^/\s@]*@")
_SECRET_PARAM = re.compile(
    r"([?&;][^=&\s]*(?:key|token|secret|passw|pwd|sig|auth|credential)[^=&\s]*=)[^&#\s]*", re.I
)


def redact_urls(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@`` and the values of
    secret-looking query parameters (``api-key=``, ``token=``, ``password=``...) masked."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1:***@", text))
