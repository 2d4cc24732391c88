#!/usr/bin/env python3
"""Knock on a launcher's port (ferryrun's or ferryd's) the ways a stranger
could: knock.py PORT HOW COUNT, HOW one of
  open-close  connect and close at once, COUNT times
  secret      a well-formed introduction with a wrong secret, COUNT times
  garbage     bytes that are no frame at all, COUNT times
  hold        COUNT connections that say nothing, kept open until stdin ends
Prints how many connections were made."""
import socket
import struct
import sys


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def hello(secret):
    # [u32 length][u16 W_HELLO=1][u32 version][u32 tree index][u32 len][secret]
    body = struct.pack(">IIi", 1, 1, len(secret)) + secret
    return struct.pack(">IH", 2 + len(body), 1) + body


def main():
    port, how, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    held = []
    for _ in range(count):
        s = connect(port)
        if how == "secret":
            s.sendall(hello(b"0" * 64))
        elif how == "garbage":
            s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)))
        elif how == "hold":
            held.append(s)
            continue
        if how != "open-close":
            # Wait for the launcher to hang up on us: refused, not ignored.
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
        s.close()
    print(count, flush=True)
    if held:
        sys.stdin.read()
        for s in held:
            s.close()


main()
