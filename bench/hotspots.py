"""Summarise a py-spy collapsed-stack file (``--profile x.txt`` of the bench scripts).

    .venv/bin/python bench/hotspots.py var/overhead.txt [--match channel/] [--top 30]

Prints, for every function whose file path contains ``--match``, the share of samples in which
it is on the stack (inclusive) and at the top of the stack (exclusive).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--match", default="")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in Path(args.path).read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_name(frame) for frame in stack.split(";")]
        for name in set(frames):
            if args.match in name:
                inclusive[name] += count
        if args.match in frames[-1]:
            exclusive[frames[-1]] += count
    print(f"{total} samples")
    for title, counter in (("on the stack", inclusive), ("at the top", exclusive)):
        print(f"-- {title}")
        for name, count in counter.most_common(args.top):
            print(f"{count / total * 100:6.1f}%  {name}")


def _name(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"].split("site-packages/")[-1].split("wt-perf/")[-1]
    return f"{match['func']} ({path})"


if __name__ == "__main__":
    main()
