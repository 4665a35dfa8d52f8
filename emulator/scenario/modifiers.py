"""What the actions a service applies itself (the registry's ``service`` actions) mean for
its results: decided here from the rule, applied by the service. No wire involved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.scenario.engine import Decision, status_code


@dataclass(frozen=True, slots=True)
class FindShape:
    """How a ``truncate`` or ``duplicate`` rule shapes a C-FIND's (or MWL's) matches."""

    truncate_after: int | None = None
    truncate_status: int = 0x0000
    duplicate_index: int = 0
    duplicate_times: int = 0

    @classmethod
    def of(cls, modifier: Decision | None) -> FindShape:
        if modifier is None:
            return cls()
        params = modifier.params
        if modifier.action == "truncate":
            return cls(int(params["after"]), status_code(params.get("status", 0)))
        return cls(None, 0, int(params.get("index", 1)), int(params.get("times", 1)))

    def cut(self, match: int) -> bool:
        """True if the *match*-th match (1-based) is not sent: the results end before it."""
        return self.truncate_after is not None and match > self.truncate_after

    def copies(self, match: int) -> int:
        return 1 + (self.duplicate_times if match == self.duplicate_index else 0)


def retrieve_failures(modifier: Decision | None) -> Callable[[int], bool]:
    """For a ``fail_suboperations`` rule: a predicate on the sub-operation's number (1-based)."""
    if modifier is None or modifier.action != "fail_suboperations":
        return lambda n: False
    params = modifier.params
    if "indexes" in params:
        chosen = frozenset(int(i) for i in params["indexes"])
        return lambda n: n in chosen
    if "every" in params:
        every = int(params["every"])
        return lambda n: n % every == 0
    ratio, rng = float(params["ratio"]), modifier.rng
    return lambda n: rng.random() < ratio
