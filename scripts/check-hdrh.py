#!/usr/bin/env python3
"""Proves that HdrHistogram's own Python package (PyPI `hdrhistogram`, module `hdrh`) reads a run
as it is: every histogram of report.json decodes (V2 + DEFLATE, cookie 0x1c849314) and gives the
same count, percentiles and maximum as the summaries report.json shows, and histograms.hlog reads
with hdrh's interval-log reader, one interval per report.json key with the same counts.

Usage: check-hdrh.py RUN_DIR   (exit 0 when all agree; 1, naming the histogram, when one differs)
"""

import base64
import json
import os
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

# Summary fields (milliseconds in report.json) and the percentile each comes from.
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


def summary_for(report, key):
    """The summary report.json shows for histogram `key` (e.g. lifecycle.burst.tti_ms), or None."""
    section, part, metric = key.split(".", 2)
    holder = report.get(section) or {}
    if section == "lifecycle":
        return (holder.get(part) or {}).get(metric)
    if section == "checkpoint":
        if part == "all":
            return holder.get(metric)
        rounds = {f"round{r['round']}": r for r in holder.get("rounds", [])}
        return (rounds.get(part) or {}).get(metric)
    if section == "storage":
        for size in holder.get("sizes", []):
            if f"{size['size_mb']:g}mb" == part:
                return size.get(metric)
    return None


def check_report(run_dir, report):
    problems, checked = [], 0
    for key, text in sorted(report["histograms"].items()):
        raw = base64.b64decode(text)
        if raw[:4] != bytes.fromhex("1c849314"):
            problems.append(f"{key}: cookie {raw[:4].hex()}, not V2 + DEFLATE (1c849314)")
            continue
        hist = HdrHistogram.decode(text)
        summary = summary_for(report, key)
        # Keys with no latency summary beside them (or one plain number, like a round's
        # checkpoint_ms) are decoded above but have no percentiles to compare.
        if not isinstance(summary, dict):
            continue
        checked += 1
        ms = lambda us: round(us / 1000.0, 3)
        got = {"count": hist.get_total_count(), "max": ms(hist.get_max_value())}
        got.update({name: ms(hist.get_value_at_percentile(p)) for name, p in PERCENTILES.items()})
        for field, value in got.items():
            if abs(summary[field] - value) > 0.0015:
                problems.append(f"{key}: {field} is {summary[field]} in report.json, hdrh reads {value}")
    return problems, checked


def check_hlog(run_dir, report):
    path = os.path.join(run_dir, "histograms.hlog")
    if not os.path.exists(path):
        return [f"{path} is missing"]
    reader = HistogramLogReader(path, HdrHistogram(1, 3_600_000_000, 3))
    counts = {}
    while True:
        hist = reader.get_next_interval_histogram()
        if hist is None:
            break
        counts[hist.get_tag()] = hist.get_total_count()
    problems = []
    for key, text in report["histograms"].items():
        want = HdrHistogram.decode(text).get_total_count()
        if want and counts.get(key) != want:
            problems.append(f"histograms.hlog: {key} holds {counts.get(key)} values, report.json {want}")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    run_dir = sys.argv[1]
    with open(os.path.join(run_dir, "report.json")) as f:
        report = json.load(f)
    problems, checked = check_report(run_dir, report)
    problems += check_hlog(run_dir, report)
    for p in problems:
        print(f"check-hdrh: {p}", file=sys.stderr)
    if not problems:
        print(f"hdrh reads {len(report['histograms'])} histograms of report.json "
              f"({checked} checked against their summaries) and histograms.hlog the same")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
