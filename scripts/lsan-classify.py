#!/usr/bin/env python3
"""Sorts the leaks LeakSanitizer reported at the end of a `swift test` run (scripts/sanitize).

XCTest on Linux keeps every test case object, its run records and its teardown blocks
until the process exits, so what a test case holds (a fixture kept in a property, a
property's initial value, whatever a teardown block captures) is reported as leaked,
indirectly, behind three small leaks inside the toolchain (suppressed by name in
scripts/lsan-suppressions.txt). Those are not the project's leaks. A leak counts as held by
XCTest when its allocation stack shows it was made

  - by XCTest's own bookkeeping (test case and suite runs, teardown blocks, XCTMain), or
  - while XCTest created a test case object (`init(name:testClosure:)`: the object and
    its properties' initial values).

Everything else is the project's, and printed: a retain cycle shows up as indirect leaks
only, so indirect leaks are never ignored as such. Test classes release what setUp made in
tearDown, so a fixture that still leaks is a cycle. Exit status 0 when every leak is held
by XCTest.

Usage: lsan-classify.py LOG
"""
import re
import sys

# Frames (mangled names) that mark an allocation as XCTest's own.
XCTEST_FRAMES = (
    "$s6XCTest0A7CaseRunC",                      # XCTestCaseRun
    "$s6XCTest0A8SuiteRunC",                     # XCTestSuiteRun
    "$s6XCTest0A4CaseC19TeardownBlocksState",    # the teardown blocks of a test case
    "$s6XCTest0A4CaseC16addTeardownBlock",
    "C4name11testClosureA",                      # a test case object being created
)
# Frames that allocate on behalf of their caller (the runtime, the standard library).
ALLOCATORS = re.compile(r"^(malloc|calloc|realloc|swift_.*|\$ss.*|\$sS[A-Za-z].*)$")


def main(path):
    text = open(path, errors="replace").read()
    held = held_objects = 0
    ours = []
    for block in re.split(r"\n(?=(?:Direct|Indirect) leak of )", text)[1:]:
        header = re.match(r"(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object", block)
        if not header:
            continue
        frames = re.findall(r"#\d+ 0x[0-9a-f]+ in (\S+)", block.split("\n\n")[0])
        allocating = next((f for f in frames if not ALLOCATORS.match(f)), "")
        if any(marker in f for f in frames for marker in XCTEST_FRAMES) or allocating.startswith("$s6XCTest11XCTMainMisc"):
            held += 1
            held_objects += int(header.group(3))
        else:
            ours.append(block.split("\n\n")[0])
    print(f"lsan: {held} leak report(s) ({held_objects} objects) held by XCTest's test objects, "
          f"{len(ours)} other(s)", file=sys.stderr)
    for block in ours[:20]:
        print(block, file=sys.stderr)
    return 1 if ours else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
