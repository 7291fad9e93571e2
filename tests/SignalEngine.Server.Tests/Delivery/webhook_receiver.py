"""A webhook receiver written from the Standard Webhooks specification only (https://www.standardwebhooks.com):
it verifies each request's signature with Python's own hmac, optionally fails the first N attempts of every
message, and appends one JSON line per request to a log the test reads. It serves 127.0.0.1 only."""
import argparse, base64, hashlib, hmac, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--secret", action="append", required=True, help="whsec_... secret(s) to accept")
parser.add_argument("--fail-first", type=int, default=0, help="answer 500 to the first N attempts of each message id")
parser.add_argument("--log", required=True)
parser.add_argument("--lifetime", type=int, default=300, help="stop by itself after this many seconds")
args = parser.parse_args()

keys = [base64.b64decode(s[len("whsec_"):]) for s in args.secret]
attempts = {}
lock = threading.Lock()

def verified(msg_id, timestamp, body, header):
    if abs(time.time() - int(timestamp)) > 300:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode() for k in keys]
    for candidate in header.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and any(hmac.compare_digest(signature, e) for e in expected):
            return True
    return False

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        msg_id = self.headers.get("webhook-id", "")
        ok = verified(msg_id, self.headers.get("webhook-timestamp", "0"), body, self.headers.get("webhook-signature", ""))
        with lock:
            attempts[msg_id] = attempts.get(msg_id, 0) + 1
            attempt = attempts[msg_id]
        status = 401 if not ok else (500 if attempt <= args.fail_first else 200)
        self.send_response(status)
        self.end_headers()
        entry = {"id": msg_id, "attempt": attempt, "verified": ok, "status": status,
                 "signatures": len(self.headers.get("webhook-signature", "").split(" ")), "type": json.loads(body).get("type")}
        with lock, open(args.log, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def log_message(self, *_):
        pass

server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
threading.Timer(args.lifetime, server.shutdown).start()
server.serve_forever()
