"""Replays a request case (tests/scim/cases/*/*.json, from ../shared/cases) against the app through
Django's test client, checking each step's status and assertions.

The case format: a list of steps (or {"steps": [...]}) with method, path (relative to the SCIM
base URL), optional headers (a null value = don't send that header) and body, and `expect` with
`status` and `assertions` on a small JSONPath subset: .key, ['urn:...'], [n], [*] and
[?(@.key=='v')]; keys match case-insensitively, as SCIM attribute names do.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
_STEP = re.compile(
    r"\.(?P<key>[^.\[\]]+)"
    r"|\[(?P<index>\d+)\]"
    r"|\[(?P<quote>['\"])(?P<qkey>.+?)(?P=quote)\]"
    r"|\[(?P<star>\*)\]"
    r"|\[\?\(@\.(?P<fkey>[\w.:$-]+)\s*(?P<fop>==|!=)\s*(?:'(?P<fs>[^']*)'|\"(?P<fd>[^\"]*)\"|(?P<fbare>[\w.-]+))\)\]"
)


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*/*.json"))


def load_steps(path: Path) -> list[dict]:
    data = json.loads(path.read_text())
    return data["steps"] if isinstance(data, dict) else data


def _children(node, key: str) -> list:
    if not isinstance(node, dict):
        return []
    if key in node:
        return [node[key]]
    lowered = key.lower()
    return [value for name, value in node.items() if name.lower() == lowered][:1]


def _literal(match) -> object:
    if match["fs"] is not None:
        return match["fs"]
    if match["fd"] is not None:
        return match["fd"]
    bare = match["fbare"]
    constants = {"true": True, "false": False, "null": None}
    if bare in constants:
        return constants[bare]
    return int(bare) if bare.lstrip("-").isdigit() else bare


def select(document, path: str) -> tuple[list, bool]:
    """Every value `path` selects, and whether the path could select several."""
    nodes, multi, position = [document], False, 1
    if path in ("$", ""):
        return nodes, False
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r} at {position}")
        position = match.end()
        found = []
        for node in nodes:
            if match["key"] or match["qkey"]:
                found += _children(node, match["key"] or match["qkey"])
            elif match["index"]:
                index = int(match["index"])
                if isinstance(node, list) and index < len(node):
                    found.append(node[index])
            elif match["star"]:
                multi = True
                found += (
                    node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
                )
            else:
                multi = True
                want = _literal(match)
                for item in node if isinstance(node, list) else []:
                    value = item
                    for part in match["fkey"].split("."):
                        value = (_children(value, part) or [None])[0]
                    if (value == want) == (match["fop"] == "=="):
                        found.append(item)
        nodes = found
    return nodes, multi


def lookup(document, path: str) -> tuple[bool, object]:
    values, multi = select(document, path)
    if multi:
        return bool(values), values
    return (True, values[0]) if values else (False, None)


class Substituter:
    def __init__(self):
        self.results: dict[str, object] = {}
        self.run = uuid.uuid4().hex[:8]

    def _value(self, reference: str) -> tuple[bool, object]:
        if reference == "run":
            return True, self.run
        step, _, rest = reference.partition(".")
        if step not in self.results or self.results[step] is None:
            return False, None
        return lookup(self.results[step], "$." + (rest or "id"))

    def fill(self, value, *, in_path: bool = False):
        if isinstance(value, str):
            whole = re.fullmatch(r"\$\{([^}]+)\}", value)
            if whole and not in_path:
                found, result = self._value(whole.group(1))
                return result if found else value

            def replace(match):
                found, result = self._value(match.group(1))
                if not found:
                    return match.group(0)
                return urllib.parse.quote(str(result), safe="") if in_path else str(result)

            return re.sub(r"\$\{([^}]+)\}", replace, value)
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        if isinstance(value, dict):
            return {self.fill(key): self.fill(item) for key, item in value.items()}
        return value


_TYPES = {
    "integer": int,
    "string": str,
    "boolean": bool,
    "array": list,
    "object": dict,
    "number": (int, float),
    "null": type(None),
}


def check(assertion: dict, document, headers) -> str | None:
    """None when the assertion holds, else what went wrong."""
    if "header" in assertion:
        name = assertion["header"]
        value = headers.get(name)
        found, where = value is not None, f"header {name}"
    else:
        where = assertion.get("jsonpath", "$")
        found, value = lookup(document, where) if document is not None else (False, None)
    if "exists" in assertion:
        return None if found == bool(assertion["exists"]) else f"{where} exists={found}"
    if "absent_or_empty" in assertion:
        return (
            None if (not found or value in (None, [], {}, "")) else f"{where}={value!r}, want absent or empty"
        )
    if not found:
        return f"{where} missing"
    if "equals" in assertion:
        want = assertion["equals"]
        ok = value == want or (
            "[?" in where and isinstance(value, list) and len(value) == 1 and value[0] == want
        )
        return None if ok else f"{where}={value!r}, want {want!r}"
    if "not_equals" in assertion:
        return None if value != assertion["not_equals"] else f"{where}={value!r}, want something else"
    if "in" in assertion:
        return None if value in assertion["in"] else f"{where}={value!r}, want one of {assertion['in']!r}"
    if "type" in assertion:
        expected = _TYPES[assertion["type"]]
        ok = isinstance(value, expected) and not (
            assertion["type"] in ("integer", "number") and isinstance(value, bool)
        )
        return None if ok else f"{where}={value!r}, want a {assertion['type']}"
    if "contains" in assertion:
        want = assertion["contains"]
        if isinstance(value, str):
            return None if str(want) in value else f"{where}={value!r} lacks {want!r}"
        if isinstance(value, list):
            ok = want in value or (
                isinstance(want, dict)
                and any(isinstance(v, dict) and all(v.get(k) == w for k, w in want.items()) for v in value)
            )
            return None if ok else f"{where}={value!r} lacks {want!r}"
        return f"{where}={value!r} is not a container"
    if "length" in assertion:
        size = len(value) if hasattr(value, "__len__") else None
        return None if size == assertion["length"] else f"len({where})={size}, want {assertion['length']}"
    if "matches" in assertion:
        return (
            None
            if re.search(assertion["matches"], str(value))
            else f"{where}={value!r} does not match {assertion['matches']!r}"
        )
    if "gte" in assertion:
        ok = isinstance(value, int | float) and value >= assertion["gte"]
        return None if ok else f"{where}={value!r}, want >= {assertion['gte']}"
    return None


def replay(client, base_path: str, token: str, steps: list[dict]) -> list[str]:
    """Run the steps in order; return one line per failed step (empty when all pass)."""
    substituter = Substituter()
    failures = []
    for step in steps:
        path = substituter.fill(step["path"], in_path=True)
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/scim+json",
            "Content-Type": "application/scim+json",
        }
        for name, value in (step.get("headers") or {}).items():
            matching = [key for key in headers if key.lower() == name.lower()]
            for key in matching:
                del headers[key]
            if value is not None:
                headers[name] = substituter.fill(value)
        if "${" in path:
            failures.append(f"{step['name']}: {path}: an earlier step it refers to failed")
            continue
        body = step.get("body")
        content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"), "application/scim+json"
        )
        extra = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in headers.items()
            if k.lower() != "content-type"
        }
        data = json.dumps(substituter.fill(body)) if body is not None else ""
        response = client.generic(
            step["method"], base_path + path, data=data, content_type=content_type, **extra
        )
        try:
            document = json.loads(response.content) if response.content else None
        except ValueError:
            document = None
        substituter.results[step["name"]] = document
        expected = step.get("expect", {})
        statuses = expected.get("status", [])
        statuses = statuses if isinstance(statuses, list) else [statuses]
        if statuses and response.status_code not in statuses:
            failures.append(
                f"{step['name']}: status {response.status_code}, want {statuses}: {response.content[:300]!r}"
            )
            continue
        for assertion in substituter.fill(expected.get("assertions", [])):
            problem = check(assertion, document, response.headers)
            if problem:
                failures.append(f"{step['name']}: {problem}")
    return failures
