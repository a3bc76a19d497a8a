"""The runtime's exact texts for WebSocket errors, events and close reasons.

Copied from workerd (``spec/workers-websocket-semantics.md`` §2, §3, §4.3, §5.2,
§7.2) and kept together so a test can compare each one and none is ever
paraphrased by accident.
"""

from __future__ import annotations

SEND_BEFORE_ACCEPT = (
    "You must call one of accept() or state.acceptWebSocket() on this WebSocket "
    "before sending messages."
)
SEND_AFTER_CLOSE = "Can't call WebSocket send() after close()."
ACCEPT_NEW_WEBSOCKET = "Websockets obtained from the 'new WebSocket()' constructor cannot call accept"
ACCEPT_RELEASED = "Can't accept() WebSocket that was already used in a response."
ACCEPT_HIBERNATABLE = "Can't accept() WebSocket after enabling hibernation."
CLOSE_CODE = "Invalid WebSocket close code: {code}."
CLOSE_REASON_TOO_LONG = "WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded."
CLOSE_REASON_WITHOUT_CODE = "If you specify a WebSocket close reason, you must also specify a code."
RETURN_NO_UPGRADE = (
    "Worker tried to return a WebSocket in a response to a request which did not "
    'contain the header "Upgrade: websocket".'
)
RETURN_NEW_WEBSOCKET = "Can't return WebSocket in a Response if it was created with `new WebSocket()`"
RETURN_RELEASED = "Can't return WebSocket that was already used in a response."
RETURN_ACCEPTED = "Can't return WebSocket in a Response after calling accept()."
RETURN_HIBERNATABLE = "Can't return WebSocket in a Response after calling acceptWebSocket()."
INCOMPATIBLE_STATE = "Tried to make an api::WebSocket hibernatable when it was in an incompatible state."
CONSTRUCTOR = "WebSocket Constructor: {detail}"
ATTACHMENT_TOO_BIG = (
    "A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' was {size} bytes."
)
#: The close event's reason when the peer vanished (code 1006).
CLOSED_NO_FRAME_REASON = "WebSocket disconnected without sending Close frame."
#: The close event's reason when ``new WebSocket(url)`` could not connect (code 1006).
CONNECT_FAILED_REASON = "Failed to establish websocket connection"
NETWORK_LOST = "Network connection lost."

MAX_CLOSE_REASON_BYTES = 123
MAX_ATTACHMENT_BYTES = 16_384
