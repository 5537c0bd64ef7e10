#!/usr/bin/python3
"""The lab's null-modem cable between the two VMs' ttyS1 sockets.

A real cable holds no data: a byte the other end's UART does not take is lost. QEMU's socket
chardev reads only what the guest's UART takes, so the socket holds everything a node sent
while the other was down or rebooting, and a relay like socat blocks and holds more. The node
that boots then reads its peer's status lines of half a minute ago; heartbeat 3.0.6 took a
stale "active" for a live peer, waited for it, and held nothing once it was declared dead.

So this relay keeps no backlog: it forwards what one end sends, and an end whose queue stops
shrinking (its guest does not read) is disconnected, which makes QEMU drop what it had queued,
and connected again. While `cut_marker` exists the cable is pulled.

usage: cable.py SOCKET_A SOCKET_B CUT_MARKER
"""

import fcntl
import os
import select
import socket
import struct
import sys
import termios
import time

# An end whose queue has not shrunk for this long is not reading: at 115200 baud a UART takes
# 11 kB a second, so a reading guest drains any queue heartbeat makes well within it.
STALL_SECONDS = 1.0
RETRY_SECONDS = 0.5


def connect(path):
    """A connection to a VM's ttyS1 socket, or None while the VM is off."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


def unread(s):
    """Bytes sent into `s` that its reader has not taken yet (SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0" * 4))[0]


def send(s, data):
    """Sends what the end takes now; the rest is lost, as bytes a UART has no room for."""
    while data:
        try:
            data = data[s.send(data) :]
        except OSError:
            return


class Cable:
    def __init__(self, paths, cut_marker):
        self.paths = paths
        self.cut_marker = cut_marker
        self.ends = [None, None]
        # Per end: its unread count when last seen, and since when it has not shrunk.
        self.queued = [0, 0]
        self.stalled_since = [None, None]

    def close(self, i):
        if self.ends[i] is not None:
            self.ends[i].close()
        self.ends[i] = None
        self.queued[i] = 0
        self.stalled_since[i] = None

    def forward(self, i):
        """Passes what end i sent to the other end; False when end i hung up."""
        while True:
            try:
                data = self.ends[i].recv(4096)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            other = self.ends[1 - i]
            if other is not None:
                send(other, data)

    def watch(self, i, now):
        """Disconnects end i when it stopped reading: QEMU then drops what it had queued."""
        left = unread(self.ends[i])
        if left == 0 or left < self.queued[i]:
            self.stalled_since[i] = None
        elif self.stalled_since[i] is None:
            self.stalled_since[i] = now
        elif now - self.stalled_since[i] > STALL_SECONDS:
            # What it sent meanwhile still reaches the other end.
            self.forward(i)
            self.close(i)
            return
        self.queued[i] = left

    def step(self):
        if os.path.exists(self.cut_marker):
            self.close(0)
            self.close(1)
            time.sleep(RETRY_SECONDS)
            return
        for i in (0, 1):
            if self.ends[i] is None:
                self.ends[i] = connect(self.paths[i])
        live = [s for s in self.ends if s is not None]
        if not live:
            time.sleep(RETRY_SECONDS)
            return
        readable, _, _ = select.select(live, [], [], 0.05)
        for i in (0, 1):
            if self.ends[i] is not None and self.ends[i] in readable and not self.forward(i):
                self.close(i)
        now = time.monotonic()
        for i in (0, 1):
            if self.ends[i] is not None:
                self.watch(i, now)
        if None in self.ends:
            time.sleep(0.01)


def main(paths, cut_marker):
    cable = Cable(paths, cut_marker)
    while True:
        try:
            cable.step()
        except Exception as error:  # the cable stays plugged in whatever one round met
            print(f"cable: {error!r}", file=sys.stderr, flush=True)
            cable.close(0)
            cable.close(1)
            time.sleep(RETRY_SECONDS)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1:3], sys.argv[3])
