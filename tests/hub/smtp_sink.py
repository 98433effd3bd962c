#!/usr/bin/python3
# A real SMTP server for the hub's notification tests (aiosmtpd, Debian's python3-aiosmtpd) on
# loopback. Every accepted message is written to DIR/mail-N.eml (atomically: written, then
# renamed) with its envelope recipients in DIR/mail-N.rcpt. How it answers DATA is read from
# DIR/mode at each message, so a test switches it while the hub runs:
#   accept (default)   250
#   refuse5            550 (permanent refusal)
#   refuse4            451 (temporary refusal)
#   stall              never answers (the client must time out)
#   drop               closes the connection without an answer
# --tls CERT KEY: STARTTLS required, and AUTH (PLAIN/LOGIN) required after it, with --user/--password.
# Prints "smtp listening on PORT" once it accepts connections.
import argparse
import asyncio
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--user", default="")
parser.add_argument("--password", default="")
args = parser.parse_args()
counter = [0]


def mode():
    try:
        with open(os.path.join(args.dir, "mode")) as f:
            return f.read().strip() or "accept"
    except OSError:
        return "accept"


class Handler:
    async def handle_DATA(self, server, session, envelope):
        m = mode()
        if m == "refuse5":
            return "550 5.7.1 refused by the test relay"
        if m == "refuse4":
            return "451 4.3.0 try again later (test relay)"
        if m == "stall":
            await asyncio.sleep(3600)
        if m == "drop":
            server.transport.close()
            return "421 closing"
        counter[0] += 1
        base = os.path.join(args.dir, "mail-%d" % counter[0])
        with open(base + ".rcpt.tmp", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 accepted as mail-%d" % counter[0]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
    return AuthResult(success=ok)


async def main():
    loop = asyncio.get_running_loop()
    kwargs = {}
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        kwargs = dict(tls_context=ctx, require_starttls=True, authenticator=authenticator, auth_required=True,
                      auth_require_tls=True)
    server = await loop.create_server(lambda: SMTP(Handler(), hostname="sink.test", **kwargs), "127.0.0.1", 0)
    print("smtp listening on %d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
