"""The words of the shout Worker (a local module)."""

NOT_AN_UPGRADE = "Expected Upgrade: websocket"


def shout(text: str) -> str:
    return text.upper() + "!"
