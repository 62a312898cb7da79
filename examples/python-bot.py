#!/usr/bin/env python3
"""A chat bot in standard-library Python (asyncio), written from docs/protocol.md.

It joins a room, answers `!ping` with `pong` and `!time` with the server's
time, and survives server restarts: it resumes every stream from the last
`seq` it handled (docs/protocol.md §4 "Delivery guarantees"), so it neither
misses nor answers a message twice, and it re-sends an unacknowledged reply
with its original `id` so nobody sees a reply twice.

    python3 examples/python-bot.py --host 127.0.0.1 --port 50000 --name pingbot

The resume point is kept in memory, so a restart of the *bot* starts afresh
(with `history: 0`, it does not answer old pings). Pass `--state FILE` to keep
it on disk instead.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import sys


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class Bot:
    def __init__(self, args):
        self.args = args
        self.room = args.room if args.room.startswith("#") else "#" + args.room
        # stream -> {"seq": int, "epoch": str}: the last message handled.
        self.resume = {}
        self.unacked = {}  # request id -> request object, in send order
        self.next_id = 0
        self.id_prefix = "py%04x-" % random.randrange(0x10000)
        self.stopping = False
        self.writer = None
        if args.state and os.path.exists(args.state):
            with open(args.state, encoding="utf-8") as f:
                self.resume = json.load(f)

    def save_state(self):
        if not self.args.state:
            return
        tmp = self.args.state + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.resume, f)
        os.replace(tmp, self.args.state)

    def send(self, obj):
        self.writer.write((json.dumps(obj) + "\n").encode("utf-8"))

    def request(self, obj):
        """Send a request that must be acknowledged; it is re-sent after a reconnect."""
        self.next_id += 1
        obj["id"] = self.id_prefix + str(self.next_id)
        self.unacked[obj["id"]] = obj
        if self.writer is not None:
            self.send(obj)

    def hello(self):
        hello = {"type": "hello", "version": 1, "name": self.args.name, "bot": True}
        if self.args.password:
            hello["password"] = self.args.password
        if self.resume:
            hello["resume"] = self.resume
        else:
            hello["history"] = 0  # a bot does not answer what was said before it came
        return hello

    def seen(self, stream, event):
        """Record that a stream's message was handled; False if it was handled already."""
        seq = event.get("seq")
        if not isinstance(seq, int):
            return True
        last = self.resume.get(stream)
        if last is not None and seq <= last["seq"]:
            return False
        epoch = last["epoch"] if last else None
        self.resume[stream] = {"seq": seq, "epoch": self.epochs.get(stream, epoch)}
        return True

    def on_message(self, msg):
        if not self.seen(msg["room"], msg):
            return
        if msg.get("from") == self.args.name:
            return
        text = msg.get("text", "").strip()
        if text == "!ping":
            self.request({"type": "say", "room": msg["room"], "text": "pong"})
        elif text == "!time":
            self.request({"type": "say", "room": msg["room"], "text": "it is " + msg["ts"]})
        self.save_state()

    def on_private(self, msg):
        if not self.seen("@", msg):
            return
        if msg.get("text", "").strip() == "!ping":
            self.request({"type": "dm", "to": msg["from"], "text": "pong"})
        self.save_state()

    def handle(self, event):
        kind = event.get("type")
        if kind == "welcome":
            self.epochs = event.get("epochs", {})
            log("bot: signed in as", event["name"], "in", ", ".join(event["rooms"]))
            if self.room not in event["rooms"]:
                self.request({"type": "join", "room": self.room, "history": 0})
            for req in list(self.unacked.values()):
                self.send(req)  # same id: the server answers a re-send with the original ack
        elif kind == "history":
            stream = event["room"]
            if "epoch" in event:
                self.epochs[stream] = event["epoch"]
            for msg in event["messages"]:
                if stream == "@":
                    self.on_private(msg)
                else:
                    self.on_message(msg)
        elif kind == "message":
            self.on_message(event)
        elif kind == "private":
            self.on_private(event)
        elif kind == "system" and event.get("event") == "reset":
            # The stream's history was lost: start over from what the server has now.
            self.resume.pop(event.get("room"), None)
        elif kind == "ack":
            self.unacked.pop(event.get("id"), None)
        elif kind == "error":
            log("bot: error", event.get("code"), event.get("message"))
            if event.get("code") == "rate_limited" and event.get("id") in self.unacked:
                delay = event.get("retryAfterMs", 1000) / 1000
                asyncio.get_running_loop().call_later(
                    delay, self.send, self.unacked[event["id"]]
                )
            else:
                self.unacked.pop(event.get("id"), None)
                if event.get("code") in ("banned", "auth_failed", "auth_required", "bad_alias"):
                    self.stopping = True
        elif kind == "ping":
            self.send({"type": "pong"})

    async def session(self):
        reader, self.writer = await asyncio.open_connection(self.args.host, self.args.port)
        self.epochs = {}
        self.send(self.hello())
        try:
            while not self.stopping:
                line = await reader.readline()
                if not line:
                    return
                if not line.startswith(b"{"):
                    continue  # the text banner before the handshake
                self.handle(json.loads(line))
        finally:
            self.writer.close()
            self.writer = None

    async def run(self):
        delay = 0.25
        while not self.stopping:
            try:
                await self.session()
                delay = 0.25
            except (OSError, asyncio.IncompleteReadError) as err:
                log("bot: connection failed:", err)
            if self.stopping:
                break
            # Exponential backoff with jitter (docs/protocol.md §8).
            wait = delay * (0.5 + random.random() / 2)
            log("bot: reconnecting in %.1f s" % wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, 5.0)


def main():
    p = argparse.ArgumentParser(description="A chat bot that answers !ping and !time.")
    p.add_argument("--host", default=os.environ.get("CHAT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CHAT_PORT", "50000")))
    p.add_argument("--name", default="pybot")
    p.add_argument("--room", default="#lobby")
    p.add_argument("--password", default=os.environ.get("CHAT_PASSWORD"))
    p.add_argument("--state", help="keep the resume point in this file across bot restarts")
    args = p.parse_args()
    bot = Bot(args)
    loop = asyncio.new_event_loop()
    task = loop.create_task(bot.run())
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass


if __name__ == "__main__":
    main()
