"""Reference side of benchmarks/recurrence.sh: expand the same rules with python-dateutil's rrule.

Run with Debian's interpreter (/usr/bin/python3, python3-dateutil). Prints one line:
  dateutil passes=N occurrences=M mean_ms=X mean_cpu_ms=Y min_ms=Z
Each pass parses every rule (rrulestr) and lists its occurrences in [from, to), exactly like the C# side.
"""
import sys
import time
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr


def load(path):
    rules = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            start, rule = line.split(" ", 1)
            rules.append((datetime.strptime(start, "%Y%m%dT%H%M%S"), rule))
    return rules


def one_pass(rules, start, end):
    total = 0
    last = end - timedelta(seconds=1)
    for dtstart, text in rules:
        rule = rrulestr(text, dtstart=dtstart)
        total += len(rule.between(start, last, inc=True))
    return total


def main():
    path, start, end, passes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    start = datetime.strptime(start, "%Y-%m-%d")
    end = datetime.strptime(end, "%Y-%m-%d")
    rules = load(path)
    # Warm-up as on the C# side: at least three passes and two seconds. The first pass gives the count.
    count = one_pass(rules, start, end)
    w0 = time.perf_counter()
    done = 1
    while done < 3 or time.perf_counter() - w0 < 2.0:
        one_pass(rules, start, end)
        done += 1
    c0 = time.process_time()
    t0 = time.perf_counter()
    best = float("inf")
    for _ in range(passes):
        p0 = time.perf_counter()
        if one_pass(rules, start, end) != count:
            raise SystemExit("unstable count")
        best = min(best, time.perf_counter() - p0)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"dateutil passes={passes} occurrences={count} mean_ms={elapsed * 1000 / passes:.3f} mean_cpu_ms={cpu * 1000 / passes:.3f} min_ms={best * 1000:.3f}")


if __name__ == "__main__":
    main()
