"""A real SMTP server for the notification tests: aiosmtpd on a loopback port.

Usage: server.py PORT DIR [fail|slow]

Listens on 127.0.0.1:PORT (0 picks a free port), prints "PORT <n>" on stdout once it accepts
connections, and writes every message it receives to DIR as one JSON file, 0001.json, 0002.json,
...: {"mail_from": ..., "rcpt_tos": [...], "data": "<the raw message>"}. Each file is written under
a temporary name and renamed, so a reader never sees half of one. With "fail" it answers every
DATA with "451 4.3.0 try again later" and keeps nothing; with "slow" it takes half a second
over each DATA before it keeps the message and answers, as a busy relay does. Runs until killed.
"""

import asyncio
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    """The aiosmtpd handler: keeps each message as a JSON file, or refuses it."""

    def __init__(self, directory, mode):
        self.directory = directory
        self.fail = mode == "fail"
        self.slow = mode == "slow"
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail:
            return "451 4.3.0 try again later"
        if self.slow:
            await asyncio.sleep(0.5)
        # Handlers run on the controller's one event-loop thread: the counter needs no lock.
        self.count += 1
        name = f"{self.count:04d}.json"
        content = envelope.original_content or envelope.content
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": content,
        }
        temporary = os.path.join(self.directory, f".{name}.tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(record, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, os.path.join(self.directory, name))
        return "250 2.0.0 OK"


class LoopbackController(Controller):
    """A Controller that learns the port it was given when asked for port 0."""

    def _create_server(self):
        create = super()._create_server()

        async def bind():
            server = await create
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in ("fail", "slow")):
        sys.exit("usage: server.py PORT DIR [fail|slow]")
    port = int(sys.argv[1])
    directory = sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    handler = Recorder(directory, mode=sys.argv[3] if len(sys.argv) == 4 else None)
    # server_hostname: the greeting's name, so that aiosmtpd does not ask DNS for this host's.
    controller = LoopbackController(
        handler, hostname="127.0.0.1", port=port, server_hostname="smtp.test"
    )
    controller.start()
    print(f"PORT {controller.port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
