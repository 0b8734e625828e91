"""Runs the scim2-tester conformance checker against a GovSkills SCIM endpoint.

Usage: python check.py BASE_URL TOKEN

Prints one line per check and exits with 1 if any check reports an error, else 0.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    results = check_server(client)
    failures = 0
    for result in results:
        failed = result.status in (Status.ERROR, Status.CRITICAL)
        failures += failed
        print(
            f"{result.status.name:8} {result.resource_type or '-':6} "
            f"{result.title}: {result.reason or ''}"
        )
    print(f"{len(results)} checks, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
