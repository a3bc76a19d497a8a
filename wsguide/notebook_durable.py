"""Old home of the Durable Object notebook helpers, kept until the notebooks are rewritten."""

from .teach.rooms import check_hibernation, check_room, load_chat_example, room_gateway  # noqa: F401
from .teach.waits import within  # noqa: F401
