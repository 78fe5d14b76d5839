"""Soak: a simulated identity provider that runs random, realistic SCIM operations, keeps its own
model of what it did, and at the end compares the service's whole SCIM state with that model.

Operations: creates, duplicate creates (409 expected), retried creates, attribute updates (PATCH
and PUT), deactivations and reactivations, deletes, lookups by filter, group creates, renames,
member adds and removes (retried too), group deletes, and parallel bursts of operations that
commute (distinct users, adds to one group). Requests go to any of the given base URLs (several
gunicorn instances on one database). Any 5xx, any unexpected status and any difference between the
final state and the model is a failure.

    # against running servers (the same integration on each):
    python bench/soak.py --base-url http://a:8000/scim/v2/ID --base-url http://b:8000/scim/v2/ID --token T --ops 20000
    # or let it start a PostgreSQL of its own and two gunicorn instances:
    python bench/soak.py --spawn --ops 20000

Prints a JSON summary; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPConnection

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NAMES = ["Ada", "Grace", "Zoë", "José", "Мария", "李", "محمد", "Ngozi", "Søren", "Aarav", "O'Brien", "👩🏽‍💻"]


@dataclass
class ModelUser:
    id: str
    user_name: str
    external_id: str
    active: bool = True
    title: str = ""
    display_name: str = ""


@dataclass
class ModelGroup:
    id: str
    display_name: str
    members: set = field(default_factory=set)


class Failure(Exception):
    pass


class Client:
    """HTTP to any of several base URLs; a connection per thread and base URL (keep-alive)."""

    def __init__(self, bases: list[str], token: str, rng: random.Random):
        self.bases = [urllib.parse.urlsplit(b) for b in bases]
        self.token = token
        self.rng = rng
        self.local = threading.local()
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()
        self.requests = 0

    def _connection(self, index: int) -> HTTPConnection:
        connections = getattr(self.local, "connections", None)
        if connections is None:
            connections = self.local.connections = {}
        if index not in connections:
            base = self.bases[index]
            connections[index] = HTTPConnection(base.hostname, base.port, timeout=60)
        return connections[index]

    def call(self, method: str, path: str, body=None) -> tuple[int, dict | None]:
        with self.lock:
            index = self.rng.randrange(len(self.bases))
        base = self.bases[index]
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/scim+json",
            "User-Agent": "soak-idp/1.0",
            "Connection": "close",
        }
        for attempt in range(2):
            connection = self._connection(index)
            try:
                connection.request(method, base.path + path, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (ConnectionError, OSError):
                connection.close()
                self.local.connections.pop(index, None)
                if attempt:
                    raise
        status = response.status
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
        document = json.loads(raw) if raw else None
        if status >= 500:
            raise Failure(f"{method} {path} -> {status} {raw[:300]!r}")
        return status, document


class Soak:
    def __init__(self, client: Client, rng: random.Random, *, burst_workers: int = 8):
        self.client = client
        self.rng = rng
        self.users: dict[str, ModelUser] = {}
        self.groups: dict[str, ModelGroup] = {}
        self.counter = 0
        self.failures: list[str] = []
        self.operations = 0
        self.burst_workers = burst_workers
        self.tag = f"{int(time.time())}{rng.randrange(10**6)}"

    # ------------------------------------------------------------------ helpers
    def expect(self, what: str, got: int, *allowed: int) -> None:
        if got not in allowed:
            raise Failure(f"{what}: got {got}, expected {allowed}")

    def fresh_name(self) -> str:
        self.counter += 1
        first = self.rng.choice(NAMES)
        return f"{first}.{self.tag}.{self.counter}@example.test"

    def user_body(self, user: ModelUser) -> dict:
        body = {
            "schemas": [USER],
            "userName": user.user_name,
            "externalId": user.external_id,
            "active": user.active,
            "emails": [{"value": f"u{user.external_id}@example.test", "type": "work", "primary": True}],
        }
        if user.title:
            body["title"] = user.title
        if user.display_name:
            body["displayName"] = user.display_name
        return body

    def live_users(self) -> list[ModelUser]:
        return list(self.users.values())

    def pick_user(self) -> ModelUser | None:
        return self.rng.choice(self.live_users()) if self.users else None

    def pick_group(self) -> ModelGroup | None:
        return self.rng.choice(list(self.groups.values())) if self.groups else None

    # --------------------------------------------------------------- operations
    def create_user(self) -> None:
        user = ModelUser(id="", user_name=self.fresh_name(), external_id=f"ext-{self.tag}-{self.counter}")
        status, doc = self.client.call("POST", "/Users", self.user_body(user))
        self.expect("create user", status, 201)
        user.id = doc["id"]
        self.users[user.id] = user
        if self.rng.random() < 0.2:  # the IdP retries (its first answer timed out): a conflict
            status, _ = self.client.call("POST", "/Users", self.user_body(user))
            self.expect("retried create", status, 409)

    def duplicate_user(self) -> None:
        user = self.pick_user()
        if user is None or not user.active:
            return
        name = user.user_name.upper() if self.rng.random() < 0.5 else user.user_name
        status, doc = self.client.call(
            "POST", "/Users", {"schemas": [USER], "userName": name, "externalId": "someone-else"}
        )
        self.expect("duplicate create", status, 409)

    def update_user(self) -> None:
        user = self.pick_user()
        if user is None:
            return
        if self.rng.random() < 0.5:
            title = f"Title {self.rng.randrange(1000)} {self.rng.choice(NAMES)}"
            status, doc = self.client.call(
                "PATCH",
                f"/Users/{user.id}",
                {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": title}]},
            )
            self.expect("patch title", status, 200)
            user.title = title
        else:
            user.display_name = f"{self.rng.choice(NAMES)} {self.rng.randrange(1000)}"
            status, doc = self.client.call("PUT", f"/Users/{user.id}", self.user_body(user))
            self.expect("put user", status, 200)

    def toggle_active(self) -> None:
        user = self.pick_user()
        if user is None:
            return
        # Entra sends "False"/"True" strings with capitalised ops; Okta booleans.
        value = (not user.active) if self.rng.random() < 0.5 else ("False" if user.active else "True")
        op = self.rng.choice(["replace", "Replace"])
        status, doc = self.client.call(
            "PATCH",
            f"/Users/{user.id}",
            {"schemas": [PATCH], "Operations": [{"op": op, "path": "active", "value": value}]},
        )
        self.expect("toggle active", status, 200)
        user.active = not user.active

    def delete_user(self) -> None:
        candidates = [
            u for u in self.users.values() if not any(u.id in g.members for g in self.groups.values())
        ]
        if not candidates:
            return
        user = self.rng.choice(candidates)
        status, _ = self.client.call("DELETE", f"/Users/{user.id}")
        self.expect("delete user", status, 204)
        del self.users[user.id]
        status, _ = self.client.call("DELETE", f"/Users/{user.id}")  # a retried delete
        self.expect("retried delete", status, 404)

    def lookup_user(self) -> None:
        user = self.pick_user()
        if user is None:
            return
        query = urllib.parse.quote(f'userName eq "{user.user_name}"')
        status, doc = self.client.call("GET", f"/Users?filter={query}")
        self.expect("lookup", status, 200)
        if doc["totalResults"] != 1 or doc["Resources"][0]["id"] != user.id:
            raise Failure(f"lookup of {user.user_name} found {doc['totalResults']}")
        status, doc = self.client.call("GET", f"/Users/{user.id}")
        self.expect("get user", status, 200)
        self.compare_user(user, doc)

    def create_group(self) -> None:
        self.counter += 1
        members = set(
            self.rng.sample(
                [u.id for u in self.users.values()], k=min(len(self.users), self.rng.randrange(4))
            )
        )
        name = f"Team {self.rng.choice(NAMES)} {self.tag}-{self.counter}"
        status, doc = self.client.call(
            "POST",
            "/Groups",
            {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in sorted(members)]},
        )
        self.expect("create group", status, 201)
        self.groups[doc["id"]] = ModelGroup(doc["id"], name, members)

    def change_members(self) -> None:
        group = self.pick_group()
        if group is None or not self.users:
            return
        if group.members and self.rng.random() < 0.4:
            member = self.rng.choice(sorted(group.members))
            body = {
                "schemas": [PATCH],
                "Operations": [{"op": "remove", "path": f'members[value eq "{member}"]'}],
            }
            group.members.discard(member)
        else:
            member = self.rng.choice(list(self.users))
            body = {
                "schemas": [PATCH],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": member}]}],
            }
            group.members.add(member)
        for _ in range(2 if self.rng.random() < 0.2 else 1):  # sometimes retried
            status, _ = self.client.call("PATCH", f"/Groups/{group.id}", body)
            self.expect("change members", status, 200, 204)

    def rename_group(self) -> None:
        group = self.pick_group()
        if group is None:
            return
        self.counter += 1
        name = f"Renamed {self.tag}-{self.counter}"
        status, _ = self.client.call(
            "PATCH",
            f"/Groups/{group.id}",
            {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"displayName": name}}]},
        )
        self.expect("rename group", status, 200, 204)
        group.display_name = name

    def delete_group(self) -> None:
        group = self.pick_group()
        if group is None or len(self.groups) < 3:
            return
        status, _ = self.client.call("DELETE", f"/Groups/{group.id}")
        self.expect("delete group", status, 204)
        del self.groups[group.id]

    def burst(self) -> None:
        """Operations that commute, sent at once: title changes of distinct users and member adds
        to one group."""
        group = self.pick_group()
        users = self.rng.sample(list(self.users.values()), k=min(len(self.users), self.burst_workers))
        if group is None or len(users) < 2:
            return
        jobs = []
        for index, user in enumerate(users):
            if index % 2:
                title = f"Burst {self.counter} {index}"
                jobs.append(
                    (
                        user,
                        title,
                        (
                            "PATCH",
                            f"/Users/{user.id}",
                            {
                                "schemas": [PATCH],
                                "Operations": [{"op": "replace", "path": "title", "value": title}],
                            },
                        ),
                    )
                )
            else:
                jobs.append(
                    (
                        user,
                        None,
                        (
                            "PATCH",
                            f"/Groups/{group.id}",
                            {
                                "schemas": [PATCH],
                                "Operations": [
                                    {"op": "add", "path": "members", "value": [{"value": user.id}]}
                                ],
                            },
                        ),
                    )
                )
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(lambda job: self.client.call(*job[2]), jobs))
        for (user, title, _), (status, _) in zip(jobs, results, strict=True):
            self.expect("burst", status, 200, 204)
            if title is None:
                group.members.add(user.id)
            else:
                user.title = title

    # ------------------------------------------------------------------ checks
    def compare_user(self, user: ModelUser, doc: dict) -> None:
        expected = {
            "userName": user.user_name,
            "externalId": user.external_id,
            "active": user.active,
            "title": user.title or None,
            "displayName": user.display_name or None,
        }
        got = {key: doc.get(key) for key in expected}
        if got != expected:
            raise Failure(f"user {user.id}: service has {got}, model has {expected}")

    def compare_all(self) -> list[str]:
        differences = []
        served_users = self.list_all("/Users")
        served_ids = {doc["id"] for doc in served_users}
        if served_ids != set(self.users):
            differences.append(
                f"user ids differ: only served {sorted(served_ids - set(self.users))[:5]}, "
                f"only in model {sorted(set(self.users) - served_ids)[:5]}"
            )
        for doc in served_users:
            if doc["id"] in self.users:
                try:
                    self.compare_user(self.users[doc["id"]], doc)
                except Failure as exc:
                    differences.append(str(exc))
        served_groups = self.list_all("/Groups")
        if {g["id"] for g in served_groups} != set(self.groups):
            differences.append("group ids differ")
        for doc in served_groups:
            group = self.groups.get(doc["id"])
            if group is None:
                continue
            members = {m["value"] for m in doc.get("members") or []}
            if doc["displayName"] != group.display_name or members != group.members:
                differences.append(
                    f"group {group.id}: served {doc['displayName']!r} {sorted(members)}, "
                    f"model {group.display_name!r} {sorted(group.members)}"
                )
        return differences

    def list_all(self, path: str) -> list[dict]:
        resources, start = [], 1
        while True:
            status, doc = self.client.call("GET", f"{path}?startIndex={start}&count=500")
            self.expect(f"list {path}", status, 200)
            resources.extend(doc["Resources"])
            if not doc["Resources"] or len(resources) >= doc["totalResults"]:
                return resources
            start += len(doc["Resources"])

    # --------------------------------------------------------------------- run
    def run(self, operations: int) -> dict:
        weighted = [
            (self.create_user, 18),
            (self.duplicate_user, 4),
            (self.update_user, 16),
            (self.toggle_active, 10),
            (self.delete_user, 4),
            (self.lookup_user, 14),
            (self.create_group, 4),
            (self.change_members, 16),
            (self.rename_group, 3),
            (self.delete_group, 1),
            (self.burst, 3 if self.burst_workers > 1 else 0),
        ]
        actions = [a for a, _ in weighted]
        weights = [w for _, w in weighted]
        started = time.monotonic()
        for _ in range(operations):
            action = self.rng.choices(actions, weights)[0]
            try:
                action()
            except Failure as exc:
                self.failures.append(f"{action.__name__}: {exc}")
            self.operations += 1
        differences = self.compare_all()
        return {
            "operations": self.operations,
            "requests": self.client.requests,
            "seconds": round(time.monotonic() - started, 1),
            "statuses": dict(sorted(self.client.statuses.items())),
            "server_errors": sum(n for s, n in self.client.statuses.items() if s >= 500),
            "failures": len(self.failures),
            "failure_examples": self.failures[:10],
            "differences": len(differences),
            "difference_examples": differences[:10],
            "users": len(self.users),
            "groups": len(self.groups),
        }


def soak(bases: list[str], token: str, *, operations: int, seed: int, burst_workers: int = 8) -> dict:
    rng = random.Random(seed)
    client = Client(bases, token, random.Random(seed + 1))
    return Soak(client, rng, burst_workers=burst_workers).run(operations)


def _spawned(args) -> dict:
    """A PostgreSQL of our own, two gunicorn instances on it, one integration."""
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    from bench.cluster import Gunicorn, OwnedPostgres, app_env, create_integration, manage

    # A `kill` (SIGTERM) still stops the servers and removes the cluster: the `finally` below
    # runs only if the signal becomes an exception.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pg = OwnedPostgres(durable=False)
    pg.start()
    servers = []
    try:
        env = app_env(pg.create_database("soak"), SCIM_RATE_LIMIT_PER_MINUTE="0")
        manage(env, "migrate", "--noinput")
        servers = [Gunicorn(env, workers=args.workers, threads=1) for _ in range(2)]
        info = create_integration(env, "soak", servers[0].url)
        path = urllib.parse.urlsplit(info["url"]).path
        bases = [server.url + path for server in servers]
        summary = soak(bases, info["token"], operations=args.ops, seed=args.seed, burst_workers=args.burst)
        summary["servers"] = f"2 gunicorn instances x {args.workers} workers, one PostgreSQL"
        return summary
    finally:
        for server in servers:
            server.stop()
        pg.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-url", action="append", default=[], help="an integration's SCIM base URL (repeatable)"
    )
    parser.add_argument("--token")
    parser.add_argument("--spawn", action="store_true", help="start a PostgreSQL and two gunicorn instances")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per instance (--spawn)")
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--burst", type=int, default=8, help="requests per parallel burst (1: no bursts)")
    args = parser.parse_args()
    if args.spawn:
        summary = _spawned(args)
    else:
        if not args.base_url or not args.token:
            parser.error("--base-url and --token, or --spawn")
        summary = soak(
            args.base_url, args.token, operations=args.ops, seed=args.seed, burst_workers=args.burst
        )
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return (
        0 if summary["failures"] == 0 and summary["differences"] == 0 and summary["server_errors"] == 0 else 1
    )


if __name__ == "__main__":
    sys.exit(main())
