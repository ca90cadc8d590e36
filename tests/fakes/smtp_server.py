"""A real SMTP server for the suite (aiosmtpd from PyPI) on 127.0.0.1 only.

Each message it accepts is written to DIR as NNNN.eml, with the envelope recipients in an
X-Envelope-To header first, for tests to read. A recipient whose address starts "reject" is
refused with 550, so tests can see a send fail; one starting "slow" waits two seconds.
tests/run starts it: python3 smtp_server.py PORT DIR
"""
import asyncio
import itertools
import os
import sys

from aiosmtpd.controller import Controller

port, folder = int(sys.argv[1]), sys.argv[2]
os.makedirs(folder, exist_ok=True)
counter = itertools.count(1)


class Keep:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 mailbox unavailable: " + address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(2)
        name = os.path.join(folder, "%06d-%d.eml" % (next(counter), os.getpid()))
        head = ("X-Envelope-To: %s\r\nX-Envelope-From: %s\r\n" % (", ".join(envelope.rcpt_tos), envelope.mail_from)).encode()
        with open(name + ".part", "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(name + ".part", name)
        return "250 Message accepted"


controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
