#!/usr/bin/env python3
"""Raw TLS client for tests/e2e/hostile_test.sh: exact bytes to the proxy, what came back, and
whether the server closed the connection. Python's stdlib ssl (and botocore for SigV4).

  exchange PORT CA [--source IP]      send stdin's bytes; print the reply, then a last line
                                      <<closed>> (EOF or reset within --wait s) or <<open>>
  trickle PORT CA FIRST INTERVAL      send stdin's first FIRST bytes at once, then one byte every
                                      INTERVAL s; print the reply and "<<closed after N of M>>"
                                      (or "<<sent all M>>" when the server never closed)
  signed PORT CA AKID SECRET_FILE PATH BODY_FILE
                                      one SigV4-signed POST, then wait; like exchange
  hello PORT CA                       a hand-made TLS 1.2 ClientHello offering DEFLATE and null
                                      compression (OpenSSL clients cannot offer DEFLATE without
                                      zlib); prints "compression N" from the ServerHello, or the
                                      alert
  hold PORT CA COUNT STATUS_FILE [--source IP]
                                      COUNT idle TLS connections (handshake done, nothing sent);
                                      STATUS_FILE gets "open N closed I,J,..." (indices in opening
                                      order; "none") once all are up and on every change, until
                                      SIGTERM
"""
import argparse
import os
import selectors
import signal
import socket
import ssl
import sys
import time


def connect(port, ca, source=None):
    context = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30,
                                   source_address=(source, 0) if source else None)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def read_until_close(conn, wait):
    """Everything the server sends until it closes (True) or `wait` s pass (False)."""
    reply = b""
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return reply, False
        conn.settimeout(left)
        try:
            data = conn.recv(65536)
        except socket.timeout:
            return reply, False
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return reply, True
        if not data:
            return reply, True
        reply += data


def report(reply, closed):
    sys.stdout.write(reply.decode("latin-1"))
    sys.stdout.write("\n<<closed>>\n" if closed else "\n<<open>>\n")


def exchange(args):
    conn = connect(args.port, args.ca, args.source)
    conn.sendall(sys.stdin.buffer.read())
    report(*read_until_close(conn, args.wait))


def trickle(args):
    data = sys.stdin.buffer.read()
    conn = connect(args.port, args.ca)
    conn.sendall(data[:args.first])
    sent = args.first
    conn.setblocking(False)
    reply = b""
    closed = False
    while sent < len(data) and not closed:
        time.sleep(args.interval)
        try:
            chunk = conn.recv(65536)
            if not chunk:
                closed = True
                break
            reply += chunk
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            closed = True
            break
        try:
            conn.sendall(data[sent:sent + 1])
            sent += 1
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError, BlockingIOError):
            closed = True
    conn.setblocking(True)
    sys.stdout.write(reply.decode("latin-1"))
    sys.stdout.write(f"\n<<closed after {sent} of {len(data)}>>\n" if closed
                     else f"\n<<sent all {len(data)}>>\n")


def signed(args):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = open(args.body_file, "rb").read()
    secret = open(args.secret_file).read().strip()
    host = f"127.0.0.1:{args.port}"
    request = AWSRequest(method="POST", url=f"https://{host}{args.path}", data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(args.akid, secret), "kms-xks-proxy", "us-east-1").add_auth(request)
    head = f"POST {args.path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
    for name, value in request.headers.items():
        head += f"{name}: {value}\r\n"
    conn = connect(args.port, args.ca)
    conn.sendall(head.encode() + b"\r\n" + body)
    report(*read_until_close(conn, args.wait))


def hold(args):
    conns = [connect(args.port, args.ca, args.source) for _ in range(args.count)]
    selector = selectors.DefaultSelector()
    for index, conn in enumerate(conns):
        conn.setblocking(False)
        selector.register(conn, selectors.EVENT_READ, index)
    closed = []

    def write_status(text):
        with open(args.status_file + ".tmp", "w") as out:
            out.write(text + "\n")
        os.replace(args.status_file + ".tmp", args.status_file)

    def status():
        return f"open {len(conns) - len(closed)} closed " + (
            ",".join(str(i) for i in sorted(closed)) or "none")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    write_status(status())
    while True:
        events = selector.select(timeout=1)
        for key, _ in events:
            try:
                data = key.fileobj.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            if not data:
                selector.unregister(key.fileobj)
                closed.append(key.data)
        if events:
            write_status(status())


def hello(args):
    def ext(kind, body):
        return kind.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body
    extensions = (ext(0x000a, bytes.fromhex("0004001d0017"))      # x25519, P-256
                  + ext(0x000b, bytes.fromhex("0100"))            # uncompressed points
                  + ext(0x000d, bytes.fromhex("0006040308040401")))
    body = (b"\x03\x03" + os.urandom(32) + b"\x00"
            + bytes.fromhex("0002c02c")                             # ECDHE-ECDSA-AES256-GCM-SHA384
            + bytes.fromhex("020100")                               # DEFLATE, null
            + len(extensions).to_bytes(2, "big") + extensions)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    raw = socket.create_connection(("127.0.0.1", args.port), timeout=30)
    raw.sendall(b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake)
    reply = b""
    while len(reply) < 5 or len(reply) < 5 + int.from_bytes(reply[3:5], "big"):
        data = raw.recv(65536)
        if not data:
            break
        reply += data
    if reply[:1] == b"\x15":
        print(f"alert {reply[6] if len(reply) > 6 else '?'}")
    elif reply[:1] == b"\x16" and reply[5:6] == b"\x02":
        sid_len = reply[5 + 4 + 2 + 32]
        print(f"compression {reply[5 + 4 + 2 + 32 + 1 + sid_len + 2]}")
    else:
        print(f"unexpected {reply[:16].hex()}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("exchange", "trickle", "signed", "hello", "hold"):
        p = sub.add_parser(name)
        p.add_argument("port", type=int)
        p.add_argument("ca")
        p.add_argument("--wait", type=float, default=30)
        p.add_argument("--source")
        if name == "trickle":
            p.add_argument("first", type=int)
            p.add_argument("interval", type=float)
        if name == "signed":
            for field in ("akid", "secret_file", "path", "body_file"):
                p.add_argument(field)
        if name == "hold":
            p.add_argument("count", type=int)
            p.add_argument("status_file")
    args = parser.parse_args()
    {"exchange": exchange, "trickle": trickle, "signed": signed, "hello": hello,
     "hold": hold}[args.command](args)


if __name__ == "__main__":
    main()
