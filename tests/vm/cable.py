#!/usr/bin/python3
"""The lab's null-modem cable between the two VMs' ttyS1 sockets.

A real cable holds no data: a byte the other end's UART does not take is lost. QEMU's socket
chardev reads only what the guest's UART takes, so the socket holds everything a node sent
while the other was down or rebooting, and a relay like socat blocks and holds more. The node
that boots then reads its peer's status lines of half a minute ago; heartbeat 3.0.6 took a
stale "active" for a live peer, waited for it, and held nothing once it was declared dead.

So this relay keeps no backlog: it forwards what one end sends, and an end that leaves bytes
unread for longer than a UART would have held them is disconnected, which makes QEMU drop what
it had queued, and connected again. While `cut_marker` exists the cable is pulled.

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

# A UART at 115200 baud drains its 16-byte FIFO in about 1.4 ms; an end that holds bytes for
# this long is not reading.
STALL_SECONDS = 0.2
RETRY_SECONDS = 0.5


def connect(path):
    """A connection to a VM's ttyS1 socket, or None while the VM is off."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
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


def main(paths, cut_marker):
    ends = [None, None]
    stalled_since = [None, None]
    while True:
        if os.path.exists(cut_marker):
            for i, s in enumerate(ends):
                if s is not None:
                    s.close()
                    ends[i] = None
            time.sleep(RETRY_SECONDS)
            continue
        for i, s in enumerate(ends):
            if s is None:
                ends[i] = connect(paths[i])
                stalled_since[i] = None
        live = [s for s in ends if s is not None]
        if not live:
            time.sleep(RETRY_SECONDS)
            continue
        readable, _, _ = select.select(live, [], [], 0.05)
        for i, s in enumerate(ends):
            if s is None or s not in readable:
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                s.close()
                ends[i] = None
                continue
            other = ends[1 - i]
            if other is None:
                continue
            try:
                other.send(data)
            except (BlockingIOError, OSError):
                pass
        now = time.monotonic()
        for i, s in enumerate(ends):
            if s is None:
                continue
            if unread(s) == 0:
                stalled_since[i] = None
            elif stalled_since[i] is None:
                stalled_since[i] = now
            elif now - stalled_since[i] > STALL_SECONDS:
                s.close()
                ends[i] = None
        if None in ends:
            time.sleep(0.01)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1:3], sys.argv[3])
