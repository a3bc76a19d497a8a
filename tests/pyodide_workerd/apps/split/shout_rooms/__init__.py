"""A local package: the Durable Object class lives in a module of it."""

from .room import ShoutRoom

__all__ = ["ShoutRoom"]
