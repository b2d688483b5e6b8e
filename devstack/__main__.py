"""`make dev`: bring the whole stack up in the foreground; Ctrl-C stops what it started."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from devstack import users
from devstack.stack import DEMO_EMAIL, DEMO_PASSWORD, LocalStack, StackOptions
from devstack.templates import ROOT


def _options() -> StackOptions:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("--no-frontend", action="store_true", help="serve the API only")
    arguments = parser.parse_args()
    frontend = ROOT / "frontend" / "dist"
    return StackOptions(
        emulator_port=int(os.environ.get("AWS_EMULATOR_PORT", "4566")),
        api_port=int(os.environ.get("PORT", "8000")),
        region=os.environ.get("AWS_REGION", "us-east-1"),
        frontend_dir=None
        if arguments.no_frontend or not (frontend / "index.html").is_file()
        else frontend,
    )


def main() -> int:
    options = _options()
    started = time.monotonic()
    step = 0

    def progress(message: str) -> None:
        nonlocal step
        step += 1
        print(f"[{time.monotonic() - started:5.1f}s] {message}", flush=True)

    stack = LocalStack(options, progress=progress)

    def stop(signum, _frame):
        print("\nStopping...", flush=True)
        stack.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start_emulator()
        stack.provision()
        progress(f"Demo user {DEMO_EMAIL}")
        cognito = stack.session.client("cognito-idp")
        users.ensure_confirmed_user(cognito, stack.user_pool_id, DEMO_EMAIL, DEMO_PASSWORD)
        progress(f"Starting the API (gunicorn) on {options.api_url}")
        stack.start_api()
    except Exception as error:
        print(f"\nThe local stack could not start: {error}", file=sys.stderr)
        stack.stop()
        return 1
    frontend = "the browser app" if options.frontend_dir else "no browser app (npm build missing)"
    archive = ", ".join(stack.stream_setup.buckets.values()) if stack.stream_setup else "none"
    print(
        f"""
Ready in {time.monotonic() - started:.1f}s.

  App:        {options.api_url}/   ({frontend})
  API:        {options.api_url}/api/v1   docs: {options.api_url}/api/docs
  Emulator:   {options.endpoint}   (user pool {stack.user_pool_id})
  Stream:     purge, audit archive and notifier running locally; archive s3://{archive}
              (make audit-verify checks its hash chain)
  Outbox:     {options.outbox}/
              every email sent (through the emulator's SES) is also written there as a .eml
              file; make digest sends the daily digest now
  Demo user:  {DEMO_EMAIL} / {DEMO_PASSWORD}

Press Ctrl-C to stop.
""",
        flush=True,
    )
    code = stack.wait()
    stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
