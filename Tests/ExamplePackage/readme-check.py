#!/usr/bin/env python3
"""Checks that every Swift example in README.md is code that `make example` compiles.

Each ```swift block in the README starts with a comment naming a file of the repository
(`// Tests/ExamplePackage/Sources/…`); the rest of the block must appear in that file, line for
line and in one piece. A block without such a comment, or one that differs from its file, fails.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
readme = (root / "README.md").read_text()
blocks = re.findall(r"^```swift\n(.*?)^```", readme, flags=re.S | re.M)
failures = []
for number, block in enumerate(blocks, 1):
    lines = block.rstrip("\n").split("\n")
    marker = re.fullmatch(r"// (\S+)", lines[0])
    if not marker or not (root / marker.group(1)).is_file():
        failures.append(f"swift block {number} does not start with `// PATH` of a file: {lines[0]!r}")
        continue
    body = "\n".join(lines[1:])
    source = (root / marker.group(1)).read_text()
    if body not in source:
        failures.append(f"swift block {number} is not a verbatim part of {marker.group(1)}")
for failure in failures:
    print(f"README.md: {failure}", file=sys.stderr)
if failures:
    sys.exit(1)
print(f"README.md: all {len(blocks)} Swift examples are verbatim parts of files that build")
