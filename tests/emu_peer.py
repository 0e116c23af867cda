#!/usr/bin/env python3
"""Peers for the emulation tests and benchmark (tests/cli_emu.sh, bench/emu_iperf.sh).

  emu_peer.py freeport N          print a port P such that P .. P+N-1 are free on 127.0.0.1
  emu_peer.py server PORTFILE     serve on 127.0.0.1 (port written to PORTFILE) until killed;
                                  each connection sends one command line first:
                                    sink N    read N bytes, reply "SECONDS\\n": first to last byte
                                    source N  send N bytes, then close
                                    echo      echo every byte until EOF
  emu_peer.py upload PORT N K     K connections at once each send N bytes to `sink`; print
                                  "RATE_BPS" from the server-side first/last byte times (one
                                  connection) or from the client's wall time (several)
  emu_peer.py download PORT N     receive N bytes from `source`; print "RATE_BPS" measured
                                  from the first to the last byte received
  emu_peer.py ping PORT K         K one-byte echo round trips on one connection; print the
                                  median and the minimum RTT in milliseconds
  emu_peer.py listen PORT         hold PORT open (to make it busy) until killed
"""
import socket
import socketserver
import statistics
import sys
import threading
import time

CHUNK = 65536


def recv_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        c = sock.recv(1)
        if not c:
            break
        buf += c
    return buf.decode().strip()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cmd = recv_line(s).split()
        if not cmd:
            return
        if cmd[0] == "sink":
            left, first, last = int(cmd[1]), None, None
            while left > 0:
                d = s.recv(min(CHUNK, left))
                if not d:
                    break
                now = time.monotonic()
                if first is None:
                    first = now
                last = now
                left -= len(d)
            s.sendall(("%.9f\n" % ((last or 0) - (first or 0))).encode())
        elif cmd[0] == "source":
            left, block = int(cmd[1]), b"x" * CHUNK
            while left > 0:
                n = min(CHUNK, left)
                s.sendall(block[:n])
                left -= n
        elif cmd[0] == "echo":
            while True:
                d = s.recv(CHUNK)
                if not d:
                    break
                s.sendall(d)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send_sink(port, n, out, i):
    s = connect(port)
    s.sendall(b"sink %d\n" % n)
    block, left = b"y" * CHUNK, n
    while left > 0:
        k = min(CHUNK, left)
        s.sendall(block[:k])
        left -= k
    out[i] = float(recv_line(s))
    s.close()


def main():
    mode = sys.argv[1]
    if mode == "freeport":
        n = int(sys.argv[2])
        for _ in range(100):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            p = probe.getsockname()[1]
            probe.close()
            if p + n > 65535:
                continue
            held, ok = [], True
            for q in range(p, p + n):
                t = socket.socket()
                try:
                    t.bind(("127.0.0.1", q))
                    held.append(t)
                except OSError:
                    ok = False
                    break
            for t in held:
                t.close()
            if ok:
                print(p)
                return 0
        return 1
    if mode == "server":
        srv = Server(("127.0.0.1", 0), Handler)
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        import os
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
        srv.serve_forever()
        return 0
    if mode == "listen":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[2])))
        s.listen(1)
        print("listening", flush=True)
        time.sleep(3600)
        return 0
    port = int(sys.argv[2])
    if mode == "upload":
        n, k = int(sys.argv[3]), int(sys.argv[4])
        out = [0.0] * k
        t0 = time.monotonic()
        th = [threading.Thread(target=send_sink, args=(port, n, out, i)) for i in range(k)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        wall = time.monotonic() - t0
        secs = out[0] if k == 1 else wall
        print("%.0f" % (n * k * 8 / secs))
        return 0
    if mode == "download":
        n = int(sys.argv[3])
        s = connect(port)
        s.sendall(b"source %d\n" % n)
        got, first, last = 0, None, None
        while got < n:
            d = s.recv(CHUNK)
            if not d:
                break
            now = time.monotonic()
            if first is None:
                first = now
            last = now
            got += len(d)
        s.close()
        if got != n:
            print("short read: %d of %d bytes" % (got, n), file=sys.stderr)
            return 1
        print("%.0f" % (n * 8 / (last - first)))
        return 0
    if mode == "ping":
        k = int(sys.argv[3])
        s = connect(port)
        s.sendall(b"echo\n")
        rtts = []
        for _ in range(k):
            t = time.monotonic()
            s.sendall(b"p")
            if s.recv(1) != b"p":
                print("echo failed", file=sys.stderr)
                return 1
            rtts.append((time.monotonic() - t) * 1e3)
        s.close()
        print("%.3f %.3f" % (statistics.median(rtts), min(rtts)))
        return 0
    print("emu_peer.py: unknown mode " + mode, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
