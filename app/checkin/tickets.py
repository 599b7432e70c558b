"""QR images of tickets (qrcode): the payload is the ticket's secret, nothing else."""

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(secret: str, *, box_size: int = 10) -> bytes:
    """A PNG of the ticket's QR code, with the quiet zone scanners need."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(secret)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def ticket_attachments(ticket) -> list[tuple[str, bytes, str]]:
    """What a confirmation email carries for the ticket."""
    return [(f"kakawari-ticket-{ticket.registration_id}.png", qr_png(ticket.secret), "image/png")]
