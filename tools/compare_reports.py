#!/usr/bin/python3
"""Compares two `fedprompt experiment` reports run by run: test accuracy and best validation loss,
and whether the second stays within the bf16 bars of the first (0.02 accuracy, 3% validation loss).

  python3 tools/compare_reports.py experiment-fp32/report.json experiment-bf16/report.json
"""
import json
import sys


def runs(path):
    report = json.load(open(path))
    return report, {(f["family"], r["name"]): r for f in report["families"] for r in f["runs"]}


def main():
    (first, a), (second, b) = runs(sys.argv[1]), runs(sys.argv[2])
    print(f"| run | {first['precision']} accuracy | {second['precision']} accuracy | Δ | {first['precision']} best val loss | {second['precision']} best val loss | Δ % |")
    print("|---|---|---|---|---|---|---|")
    within = True
    for key, run in a.items():
        other = b[key]
        accuracy = other["test"]["accuracy"] - run["test"]["accuracy"]
        loss = 100 * (other["best_validation_loss"] / run["best_validation_loss"] - 1)
        within &= abs(accuracy) <= 0.02 and abs(loss) <= 3
        print(f"| {key[0]}: {key[1]} | {run['test']['accuracy']:.3f} | {other['test']['accuracy']:.3f} | {accuracy:+.3f} "
              f"| {run['best_validation_loss']:.4f} | {other['best_validation_loss']:.4f} | {loss:+.2f} |")
    print(f"wall time: {first['wall_seconds'] / 60:.1f} vs {second['wall_seconds'] / 60:.1f} minutes "
          f"({first['wall_seconds'] / second['wall_seconds']:.2f}x); every run within 0.02 accuracy and 3% loss: {within}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
