"""The country-name index (every CLDR language) and a list preview: build time, memory held, lines per second.

Builds the index the way the first import preview of a worker process does,
then reads the 161-line test list many times over.

    .venv/bin/python benchmarks/country_index.py
    .venv/bin/python benchmarks/country_index.py --memory     # tracemalloc: exact memory, but several times slower
"""
import argparse
import sys
import time
import tracemalloc

from support import ROOT

sys.path.insert(0, str(ROOT))

from petitions import countries  # noqa: E402
from petitions.letters.importing import read_line  # noqa: E402

LIST = ROOT / "tests" / "letters" / "data" / "joint_letter.txt"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="store_true", help="measure the memory the index holds (slower)")
    parser.add_argument("--rounds", type=int, default=50, help="times the test list is read")
    args = parser.parse_args()
    if args.memory:
        tracemalloc.start()
    start = time.perf_counter()
    index = countries.index()
    built = time.perf_counter() - start
    print(f"index: {len(index.names)} country names, {len(index.regions)} region names, "
          f"{len(index.aliases)} aliases, built in {built:.2f} s")
    if args.memory:
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"memory: {held / 1e6:.1f} MB held afterwards, {peak / 1e6:.1f} MB at the peak while building")
    lines = [line for line in LIST.read_text(encoding="utf-8").splitlines() if line.strip()]
    start = time.perf_counter()
    for _ in range(args.rounds):
        for number, line in enumerate(lines, 1):
            read_line(number, line)
    took = time.perf_counter() - start
    print(f"reading: {len(lines) * args.rounds / took:,.0f} lines per second ({len(lines)} lines × {args.rounds})")


if __name__ == "__main__":
    main()
