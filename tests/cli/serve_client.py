#!/usr/bin/env python3
"""serve_client.py - the tests' client of `ottorec serve` (stdlib only).

  serve_client.py post PORT PATH [FILE]   one request (body: FILE, or none);
      prints the status, a tab and the body
  serve_client.py recommend PORT JSONL K BATCH OUT.csv
      every line of JSONL to POST /recommend?k=K, BATCH lines per request,
      written as the organiser's submission CSV (what `ottorec recommend -o`
      writes: header, per session clicks, carts, orders rows) to compare
      byte for byte
  serve_client.py raw PORT FILE   FILE's bytes as they are on one
      connection (a hand-made request); prints what comes back
  serve_client.py slow PORT FILE GO   POST FILE to /recommend in two
      halves: the headers and the first half, then (once the file GO
      exists) the rest; prints the status, a tab and the body (a request
      held in flight while the test reloads or stops the server)
  serve_client.py tocsv ANSWER OUT.csv   what `post`/`slow` printed (200
      and answer lines) as the submission CSV
"""
import http.client
import json
import socket
import sys


def conn(port):
    return http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)


def post(port, path, body):
    c = conn(port)
    c.request("POST" if body is not None else "GET", path, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def read_all(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def csv_rows(answers):
    """Answer lines as the submission CSV's rows (clicks, carts, orders)."""
    rows = []
    for a in answers:
        a = json.loads(a)
        for t in ("clicks", "carts", "orders"):
            rows.append("%d_%s,%s" % (a["session"], t, " ".join(str(x) for x in a[t])))
    return rows


def main(argv):
    cmd = argv[1]
    if cmd == "post":
        body = open(argv[4], "rb").read() if len(argv) > 4 else None
        st, data = post(argv[2], argv[3], body)
        sys.stdout.write("%d\t%s" % (st, data.decode("utf-8", "replace")))
        return 0
    if cmd == "raw":
        s = socket.create_connection(("127.0.0.1", int(argv[2])), timeout=30)
        s.sendall(open(argv[3], "rb").read())
        out = read_all(s)
        sys.stdout.write(out.decode("utf-8", "replace"))
        return 0
    if cmd == "slow":
        import os
        import time
        body = open(argv[3], "rb").read()
        s = socket.create_connection(("127.0.0.1", int(argv[2])), timeout=60)
        head = ("POST /recommend HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode()
        half = len(body) // 2
        s.sendall(head + body[:half])
        for _ in range(6000):
            if os.path.exists(argv[4]):
                break
            time.sleep(0.01)
        s.sendall(body[half:])
        out = read_all(s)
        head, _, data = out.partition(b"\r\n\r\n")
        status = head.split(b" ")[1].decode() if head else "none"
        sys.stdout.write("%s\t%s" % (status, data.decode("utf-8", "replace")))
        return 0
    if cmd == "tocsv":
        st, _, body = open(argv[2]).read().partition("\t")
        if st != "200":
            sys.stderr.write("status %s\n" % st)
            return 1
        open(argv[3], "w").write("\n".join(["session_type,labels"] + csv_rows(body.splitlines())) + "\n")
        return 0
    if cmd == "recommend":
        port, path, k, batch, out = argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6]
        lines = [l for l in open(path, "rb").read().split(b"\n") if l.strip()]
        c = conn(port)
        rows = ["session_type,labels"]
        for i in range(0, len(lines), batch):
            part = lines[i:i + batch]
            c.request("POST", "/recommend?k=%d" % k, body=b"\n".join(part) + b"\n")
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                sys.stderr.write("status %d: %s\n" % (r.status, data[:300]))
                return 1
            answers = data.decode().splitlines()
            if len(answers) != len(part):
                sys.stderr.write("%d answers to %d sessions\n" % (len(answers), len(part)))
                return 1
            for q, a in zip(part, answers):
                if json.loads(a)["session"] != json.loads(q)["session"]:
                    sys.stderr.write("answer %s in the place of session %s\n"
                                     % (a[:40], json.loads(q)["session"]))
                    return 1
            rows += csv_rows(answers)
        c.close()
        open(out, "w").write("\n".join(rows) + "\n")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
