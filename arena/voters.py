"""Who is asking: the identity a battle is served to and a vote is cast by."""

from __future__ import annotations

from dataclasses import dataclass

from arena.models import Judge, User


@dataclass(frozen=True, slots=True)
class Voter:
    """A signed-in user, an anonymous browser session, or an automated judge."""

    user: User | None = None
    session_key: str = ""
    judge: Judge | None = None
    #: The client's network address (``arena.net.client_address``), for the per-address caps.
    address: str = ""

    def __post_init__(self) -> None:
        if self.judge is None and self.user is None and not self.session_key:
            raise ValueError("a voter needs a user, a session or a judge")

    @property
    def is_judge(self) -> bool:
        return self.judge is not None
