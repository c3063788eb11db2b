#!/usr/bin/env python3
"""Checks that every Swift example in README.md, and in the DocC articles the README sends readers
to, is code that `make example` (or the package's own build) compiles.

Each ```swift block in the README starts with a comment naming a file of the repository
(`// Tests/ExamplePackage/Sources/…`); the rest of the block must appear in that file, line for
line and in one piece. A block without such a comment, or one that differs from its file, fails.
In the DocC articles (`Sources/*/*.docc/*.md`) the same holds for every block that starts with
such a comment; the others are sketches that DocC shows as they are.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
documents = [root / "README.md"] + sorted(root.glob("Sources/*/*.docc/*.md"))
failures = []
checked = 0
for document in documents:
    name = document.relative_to(root)
    blocks = re.findall(r"^```swift\n(.*?)^```", document.read_text(), flags=re.S | re.M)
    for number, block in enumerate(blocks, 1):
        lines = block.rstrip("\n").split("\n")
        marker = re.fullmatch(r"// (\S+)", lines[0])
        if document.name != "README.md" and not re.fullmatch(r"// \S+/\S+\.swift", lines[0]):
            continue  # a DocC sketch
        checked += 1
        if not marker or not (root / marker.group(1)).is_file():
            failures.append(f"{name}: swift block {number} does not start with `// PATH` of a file: {lines[0]!r}")
            continue
        body = "\n".join(lines[1:])
        if body not in (root / marker.group(1)).read_text():
            failures.append(f"{name}: swift block {number} is not a verbatim part of {marker.group(1)}")
for failure in failures:
    print(failure, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"README.md and the DocC articles: all {checked} Swift examples that name a file are verbatim parts of it")
