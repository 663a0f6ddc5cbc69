"""``fairlearn-online monitor FILE.csv ...``: fairness monitoring of a prediction log.

The log is read in chunks (``--chunk-size`` rows at a time), so memory stays constant however
long the file: the state is one :class:`~fairlearn_online.metrics.StreamingMetricFrame` per view
(last ``--window`` rows, cumulative, optionally decayed) and a
:class:`~fairlearn_online.metrics.FairnessDriftDetector`. Every ``--every`` rows one line goes to
``metrics.csv`` (per-group selection rate with Wilson 95% bounds, the windowed DP difference
with its Newcombe interval, the windowed equalized-odds difference, the cumulative DP and the
alarm count); alarms are printed as they fire and listed in ``alarms.csv``; ``monitor.png`` /
``.svg`` draw the running DP. Rows with a missing value in a used column are counted, left out
of the metrics and reported (never dropped silently). Labels are read as text: ``--pos-label``
is compared with the text of the label column (default: the last of the two sorted labels).
The output folder is written as a whole at the end, like an experiment run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

__all__ = ["add_monitor_parser", "run_monitor"]


def add_monitor_parser(sub):
    """Register the ``monitor`` subcommand on an argparse subparsers object."""
    p = sub.add_parser("monitor", help="monitor fairness metrics of a prediction log (CSV) in "
                                       "constant memory, with intervals and drift alarms")
    p.add_argument("file", help="CSV file with a header row")
    p.add_argument("--y-true", required=True, help="column of the true labels")
    p.add_argument("--y-pred", required=True, help="column of the predicted labels")
    p.add_argument("--sensitive", required=True, nargs="+",
                   help="sensitive column(s); several give intersectional groups")
    p.add_argument("--window", required=True, type=int, help="rows in the moving window")
    p.add_argument("--decay", type=float, default=None,
                   help="also report a decayed view (weight decay**age per row)")
    p.add_argument("--every", type=int, default=None,
                   help="rows between two report lines (default: the window)")
    p.add_argument("--pos-label", default=None, help="positive label, as written in the file")
    p.add_argument("--chunk-size", type=int, default=100_000, help="rows read at a time")
    p.add_argument("--out", required=True, help="output folder")
    return p


def _check_args(args):
    for name in ("window", "chunk_size"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, "
                             f"got {getattr(args, name)}.")
    if args.every is not None and args.every < 1:
        raise ValueError(f"--every must be a positive integer, got {args.every}.")
    if args.decay is not None and not 0 < args.decay < 1:
        raise ValueError(f"--decay must be in (0, 1), got {args.decay}.")
    if not Path(args.file).is_file():
        raise ValueError(f"{args.file}: no such file.")


def _group_label(group) -> str:
    return ",".join(map(str, group)) if isinstance(group, tuple) else str(group)


class _Monitor:
    def __init__(self, args, pos_label, metrics_file):
        from .metrics import FairnessDriftDetector, StreamingMetricFrame

        rates = ["selection_rate", "true_positive_rate", "false_positive_rate", "count"]
        self.window = StreamingMetricFrame(rates, window=args.window, pos_label=pos_label)
        self.cumulative = StreamingMetricFrame("selection_rate", pos_label=pos_label)
        self.decayed = (StreamingMetricFrame("selection_rate", decay=args.decay,
                                             pos_label=pos_label) if args.decay else None)
        self.detector = FairnessDriftDetector(pos_label=pos_label)
        self.every = args.every or args.window
        self.file = metrics_file
        self.header = None
        self.rows = 0
        self.since_report = 0
        self.printed = 0

    def update(self, y_true, y_pred, groups):
        n, start = len(y_true), 0
        while start < n:
            stop = min(n, start + self.every - self.since_report)
            part = slice(start, stop)
            sf = groups.iloc[part]
            for frame in (self.window, self.cumulative, self.decayed):
                if frame is not None:
                    frame.update(y_true[part], y_pred[part], sensitive_features=sf)
            self.detector.update(y_true[part], y_pred[part], sensitive_features=sf)
            self.rows += stop - start
            self.since_report += stop - start
            start = stop
            self._print_alarms()
            if self.since_report == self.every:
                self.report()

    def _print_alarms(self):
        for alarm in self.detector.alarms_[self.printed:]:
            groups = ", ".join(_group_label(g) for g in alarm["groups"])
            print(f"alarm at row {alarm['n_samples']}: the demographic-parity gap changed "
                  f"(groups {groups}, direction {alarm['direction']:+d})", flush=True)
        self.printed = len(self.detector.alarms_)

    def report(self):
        if self.rows == 0:
            return
        self.since_report = 0
        w = self.window
        row = {"row": self.rows}
        band = w.difference_interval("selection_rate")
        row.update({"dp_difference_window": band["value"], "dp_lower": band["lower"],
                    "dp_upper": band["upper"]})
        diff = w.difference()
        row["eo_difference_window"] = max(diff["true_positive_rate"],
                                          diff["false_positive_rate"])
        row["dp_difference_cumulative"] = self.cumulative.difference()
        if self.decayed is not None:
            row["dp_difference_decayed"] = self.decayed.difference()
        row["alarms"] = len(self.detector.alarms_)
        table = w.interval("selection_rate")
        for group, values in table.iterrows():
            name = _group_label(group)
            row[f"selection_rate[{name}]"] = values["value"]
            row[f"selection_rate_lower[{name}]"] = values["lower"]
            row[f"selection_rate_upper[{name}]"] = values["upper"]
            row[f"count[{name}]"] = values["n"]
        import csv

        if self.header is None or any(k not in self.header for k in row):
            # a new group: widen the header (rare; earlier lines get empty cells on reading)
            # (new columns go last, so earlier lines stay aligned; metrics.csv gets the final
            # header when the run ends)
            self.header = list(dict.fromkeys((self.header or []) + list(row)))
        csv.writer(self.file).writerow([row.get(k, "") for k in self.header])
        self.file.flush()


def run_monitor(args) -> int:
    """Run the ``monitor`` command; returns the exit status."""
    _check_args(args)
    from ._results_dir import ResultsFolder, check_output_dir

    try:
        check_output_dir(args.out)
    except ValueError as exc:
        raise ValueError(f"--out: {exc}") from None
    import numpy as np
    import pandas as pd

    columns = [args.y_true, args.y_pred, *args.sensitive]
    if len(set(columns)) != len(columns):
        raise ValueError(f"--y-true, --y-pred and --sensitive name the same column twice: "
                         f"{columns}.")
    try:
        header = pd.read_csv(args.file, nrows=0).columns
    except pd.errors.EmptyDataError:
        raise ValueError(f"{args.file} is empty (no header row).") from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{args.file} has no column {', '.join(map(repr, missing))}; its "
                         f"columns are {list(header)}.")
    start = time.perf_counter()
    reader = pd.read_csv(args.file, usecols=columns, dtype=str, keep_default_na=True,
                         chunksize=args.chunk_size)
    with ResultsFolder(args.out) as folder:
        data_path = folder / "metrics.body.csv"
        n_rows = n_missing = 0
        monitor = labels = numeric = None
        with open(data_path, "w", newline="") as body:
            for chunk in reader:
                n_rows += len(chunk)
                bad = chunk.isna().any(axis=1).to_numpy()
                if bad.any():
                    n_missing += int(bad.sum())
                    chunk = chunk.loc[~bad]
                if len(chunk) == 0:
                    continue
                y_true, y_pred, numeric = _labels(chunk, args, numeric)
                seen = set(pd.unique(y_true)) | set(pd.unique(y_pred))
                if labels is None:
                    labels = set()
                labels |= seen
                if len(labels) > 2:
                    raise ValueError(
                        f"non-binary labels: columns {args.y_true!r} and {args.y_pred!r} hold "
                        f"{len(labels)} distinct values ({sorted(labels)[:6]}...); the "
                        "monitored rates are for binary labels.")
                if monitor is None:
                    if args.pos_label is not None:
                        pos_label = _pos_label(args.pos_label, numeric)
                    else:
                        pos_label = sorted(labels)[-1]
                        pos_label = getattr(pos_label, "item", lambda: pos_label)()
                    monitor = _Monitor(args, pos_label, body)
                    print(f"monitor: positive label {pos_label!r}, window {args.window}, "
                          f"report every {monitor.every} rows", flush=True)
                elif args.pos_label is None and sorted(labels)[-1] != monitor.window.pos_label:
                    raise ValueError(
                        f"the labels changed mid-file to {sorted(labels)}: pass --pos-label.")
                if args.pos_label is not None and len(labels) == 2 and \
                        _pos_label(args.pos_label, numeric) not in labels:
                    raise ValueError(f"--pos-label {args.pos_label!r} is not one of the labels "
                                     f"{sorted(labels)}.")
                groups = chunk[args.sensitive]
                if len(args.sensitive) == 1:
                    groups = groups[args.sensitive[0]]
                monitor.update(y_true, y_pred, groups)
            if monitor is None:
                raise ValueError(f"{args.file} has no data rows"
                                 + (f" (all {n_missing} rows have missing values)"
                                    if n_missing else "") + ".")
            if monitor.since_report:
                monitor.report()
        # header + body -> metrics.csv (the header may have widened when groups appeared)
        with open(folder / "metrics.csv", "w", newline="") as out, open(data_path) as body:
            out.write(",".join(_quote(h) for h in monitor.header) + "\n")
            for line in body:
                out.write(line)
        data_path.unlink()
        alarms = pd.DataFrame([{"row": a["n_samples"],
                                "groups": ";".join(_group_label(g) for g in a["groups"]),
                                "direction": a["direction"], "statistic": a["statistic"]}
                               for a in monitor.detector.alarms_],
                              columns=["row", "groups", "direction", "statistic"])
        alarms.to_csv(folder / "alarms.csv", index=False)
        _figure(folder, args)
        summary = {"file": str(args.file), "rows": n_rows, "rows_with_missing_values": n_missing,
                   "rows_monitored": n_rows - n_missing, "window": args.window,
                   "decay": args.decay, "every": monitor.every,
                   "pos_label": monitor.window.pos_label,
                   "groups": [_group_label(g) for g in monitor.window.groups_],
                   "alarms": int(len(alarms)),
                   "seconds": round(time.perf_counter() - start, 2)}
        (folder / "run.json").write_text(json.dumps(summary, indent=2, default=str))
    if n_missing:
        print(f"monitor: {n_missing} of {n_rows} rows have a missing value in "
              f"{columns} and were left out of the metrics", file=sys.stderr)
    print(f"monitor: {n_rows - n_missing} rows, {len(alarms)} alarms; wrote metrics.csv, "
          f"alarms.csv and monitor.png/svg to {args.out}/")
    return 0


def _labels(chunk, args, numeric):
    """The two label columns, as numbers when every value is numeric ("1" and "1.0" are one
    label), else as text; the kind is fixed by the first chunk."""
    import pandas as pd

    columns = [chunk[args.y_true], chunk[args.y_pred]]
    if numeric is not False:
        try:
            values = [pd.to_numeric(c).to_numpy(dtype=float) for c in columns]
            return values[0], values[1], True
        except (ValueError, TypeError):
            if numeric:
                raise ValueError(f"the label columns {args.y_true!r}/{args.y_pred!r} were "
                                 "numeric and now hold text; give one kind of label.") from None
    return columns[0].to_numpy(dtype=object), columns[1].to_numpy(dtype=object), False


def _pos_label(text, numeric):
    if not numeric:
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--pos-label {text!r} is not a number but the labels are.") from None


def _quote(text):
    text = str(text)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def _figure(folder, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from .utils import save_figure

    table = pd.read_csv(folder / "metrics.csv", usecols=lambda c: not c.startswith(
        ("selection_rate", "count")))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.fill_between(table["row"], table["dp_lower"], table["dp_upper"], color="C0", alpha=0.25,
                    label="95% interval (Newcombe / Bonferroni)")
    ax.plot(table["row"], table["dp_difference_window"], color="C0",
            label=f"DP difference, last {args.window:,} rows")
    ax.plot(table["row"], table["dp_difference_cumulative"], color="C1",
            label="DP difference, cumulative")
    if "dp_difference_decayed" in table:
        ax.plot(table["row"], table["dp_difference_decayed"], color="C2",
                label=f"DP difference, decay {args.decay}")
    alarms = pd.read_csv(folder / "alarms.csv")
    for i, row in enumerate(alarms["row"]):
        ax.axvline(row, color="C3", lw=1, ls="--", label="alarm" if i == 0 else None)
    ax.set(xlabel="rows", ylabel="demographic-parity difference",
           title=f"Monitoring {Path(args.file).name}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, folder / "monitor")
    plt.close(fig)
