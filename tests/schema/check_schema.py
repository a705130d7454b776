#!/usr/bin/env python3
"""Checks scenarios/schema.json against the scenario files.

Every scenarios/**/*.json (other than schema.json, and other than the
benchmark worlds of scenarios/bench/, some with 100,000 connections: the
benchmark runner covers those) must validate; every
tests/bad/*.json and tests/bad/encoding/*.json must be rejected (invalid
JSON counts as rejected, and so does text that is not UTF-8 or a string
with a lone surrogate escape, which RFC 8259 §8.2 leaves unpredictable and
the loader refuses), except the semantic-*.json files, whose errors (unknown names,
overlapping subnets, unreachable peers...) only the loader can see: those
must be valid JSON that the schema accepts, so that they test the loader's
own checks.  Prints one line per file and exits 1 on any failure."""
import json
import pathlib
import sys
from typing import Any

import jsonschema


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded document holds a string (or key) with a UTF-16
    surrogate that no pair completed: Python decodes "\\ud800" to one."""
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    return False


def parse(path: pathlib.Path) -> tuple[Any, Exception | None]:
    """The document, or None and why it is not JSON the loader would take."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        return None, e
    if has_lone_surrogate(doc):
        return None, ValueError("a string holds a lone surrogate")
    return doc, None


def main(root: pathlib.Path) -> int:
    scenarios = root / "scenarios"
    schema = json.loads((scenarios / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    checked = 0
    bad_dir = root / "tests" / "bad"
    bad_dirs = (bad_dir, bad_dir / "encoding")
    bench = scenarios / "bench"
    good = [
        p
        for p in sorted(scenarios.rglob("*.json"))
        if p != scenarios / "schema.json" and bench not in p.parents
    ]
    bad = [p for d in bad_dirs for p in sorted(d.glob("*.json"))]
    for path in good + bad:
        is_bad = path.parent in bad_dirs
        rel = path.relative_to(root if is_bad else scenarios)
        checked += 1
        doc, parse_error = parse(path)
        errors = [] if doc is None else sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        semantic = is_bad and rel.name.startswith("semantic-")
        if not is_bad or semantic:
            if parse_error or errors:
                failures += 1
                why = parse_error or f"{'/'.join(map(str, errors[0].absolute_path))}: {errors[0].message}"
                print(f"FAIL {rel}: should validate: {why}")
            else:
                print(f"ok   {rel}")
        else:
            if parse_error is None and not errors:
                failures += 1
                print(f"FAIL {rel}: the schema accepts it (name it tests/bad/semantic-*.json if only the loader can tell)")
            else:
                print(f"ok   {rel} (rejected)")
    if checked == 0:
        print("FAIL no scenario files found")
        return 1
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
