#!/usr/bin/env python3
"""A registry token service for tests, as registries with token auth use one.

GET /token?service=S&scope=repository:NAME:ACTIONS with HTTP Basic
credentials of a known user answers {"token": JWT} granting, for each scope,
the requested actions that the user's grants allow (possibly none, as real
token services do: the registry then refuses the request); unknown
credentials get 401. The JWT is signed RS256 by the openssl CLI with KEY and
carries CERT in its x5c header, which docker-registry checks against its
rootcertbundle.

Usage: token_server.py PORT_FILE KEY CERT ISSUER USERS_FILE
USERS_FILE is JSON, read at every request (so users can be added while the
service runs):
  {"USER": {"password": "PASSWORD",
            "grants": {"REPOSITORY_PATTERN": ["pull", "push"], ...}}}
A pattern is an fnmatch pattern of repository names ("team/index/*"); a user
without "grants" may do anything. Writes the port it listens on (127.0.0.1)
to PORT_FILE, then serves until killed.
"""
import base64
import fnmatch
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT_FILE, KEY, CERT, ISSUER, USERS_FILE = sys.argv[1:6]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64():
    der = subprocess.run(
        ["openssl", "x509", "-in", CERT, "-outform", "DER"],
        check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


X5C = cert_der_b64()


def sign(message):
    return subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", KEY],
        input=message, check=True, capture_output=True).stdout


def allowed(user, kind, name, actions):
    """The actions of `actions` that `user` may do on resource kind:name."""
    grants = user.get("grants")
    if grants is None:
        return actions
    if kind != "repository":
        return []
    permitted = set()
    for pattern, granted in grants.items():
        if fnmatch.fnmatchcase(name, pattern):
            permitted.update(granted)
    return [action for action in actions if action in permitted]


def make_token(user_name, user, service, scopes):
    access = []
    for scope in scopes:
        kind, name, actions = scope.split(":")
        access.append({"type": kind, "name": name,
                       "actions": allowed(user, kind, name,
                                          actions.split(","))})
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    claims = {"iss": ISSUER, "sub": user_name, "aud": service,
              "exp": now + 300, "nbf": now - 10, "iat": now,
              "jti": os.urandom(8).hex(), "access": access}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, claims))
    return signing_input + "." + b64url(sign(signing_input.encode()))


def authenticate(header):
    """The (name, user) whose Basic credentials `header` carries, or None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    with open(USERS_FILE) as f:
        users = json.load(f)
    user = users.get(name)
    if user is None or user.get("password") != password:
        return None
    return name, user


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        who = authenticate(self.headers.get("Authorization"))
        if url.path != "/token" or who is None:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        query = urllib.parse.parse_qs(url.query)
        token = make_token(who[0], who[1], query.get("service", [""])[0],
                           query.get("scope", []))
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("token_server: " + (fmt % args) + "\n")


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
