"""The organisation tree and the decision-area catalogue, as pure in-memory views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID


class Tree:
    """A forest given by child -> parent links (units, or decision areas)."""

    __slots__ = ("parent",)

    def __init__(self, parent: Mapping[UUID, UUID | None]):
        self.parent = dict(parent)

    @classmethod
    def of(cls, items: Iterable) -> "Tree":
        return cls({item.id: item.parent_id for item in items})

    def __contains__(self, node: UUID) -> bool:
        return node in self.parent

    def ancestors(self, node: UUID) -> list[UUID]:
        """The node itself, then its parent, up to the root."""
        chain = []
        seen = set()
        current: UUID | None = node
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.parent.get(current)
        return chain

    def is_within(self, node: UUID, root: UUID) -> bool:
        """True when `node` is `root` or below it."""
        return root in self.ancestors(node)

    def overlaps(self, a: UUID, b: UUID) -> bool:
        return self.is_within(a, b) or self.is_within(b, a)

    def would_cycle(self, node: UUID, new_parent: UUID | None) -> bool:
        """Moving `node` under `new_parent` creates a cycle when the new parent is in node's subtree."""
        return new_parent is not None and self.is_within(new_parent, node)
