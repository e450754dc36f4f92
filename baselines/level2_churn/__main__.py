"""Level 2 command line.

python -m baselines.level2_churn [--config PATH] [--out DIR]        run the pipeline
python -m baselines.level2_churn join --config PATH --output CSV    write the joined table
python -m baselines.level2_churn predict --model M --input CSV [--output CSV]
"""

from __future__ import annotations

import argparse
import logging
import sys

from baselines.level1_eda.common import ConfigError, format_metrics, load_config, prepare_out_dir
from baselines.level2_churn.artifact import ArtifactError, load_model
from baselines.level2_churn.config import Level2Config
from baselines.level2_churn.features import FeatureConfigError, LeakageError
from baselines.level2_churn.tables import JoinValidationError, join_tables
from baselines.level2_churn.task import DEFAULT_CONFIG, LEVEL, run

USER_ERRORS = (
    ConfigError,
    FileNotFoundError,
    JoinValidationError,
    FeatureConfigError,
    LeakageError,
    ArtifactError,
)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.level2_churn")
    parser.add_argument("--config", help="YAML config (default: the packaged config.yaml)")
    parser.add_argument("--out", help="output folder (default: runs/baselines/level2_churn/<time>)")
    args = parser.parse_args(argv)
    out = prepare_out_dir(args.out, LEVEL)
    metrics = run(args.config, out)
    print(format_metrics(metrics))
    print(
        f"outputs in {out} (report: {out / 'report' / 'report.md'}, model: {out / 'model.joblib'})"
    )
    return 0


def _join(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.level2_churn join")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="YAML config")
    parser.add_argument("--output", required=True, help="CSV to write the joined table to")
    args = parser.parse_args(argv)
    joined = join_tables(load_config(args.config, Level2Config).data)
    joined.to_csv(args.output, index=False)
    print(f"wrote {len(joined)} rows x {joined.shape[1]} columns to {args.output}")
    return 0


def _predict(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.level2_churn predict")
    parser.add_argument("--model", required=True, help="model.joblib written by a run")
    parser.add_argument("--input", required=True, help="CSV with the joined columns")
    parser.add_argument("--output", help="CSV for the predictions (default: print them)")
    args = parser.parse_args(argv)
    import pandas as pd

    churn_model = load_model(args.model)
    try:
        # Same reading rule as training: only the configured strings are missing, so a real
        # category spelled "None" stays a category.
        na_values = churn_model.info.get("na_values")
        na_values = na_values if isinstance(na_values, list) else [""]
        df = pd.read_csv(args.input, keep_default_na=False, na_values=na_values)
    except OSError as exc:
        raise FileNotFoundError(f"cannot read --input {args.input}: {exc.strerror}") from exc
    preds = churn_model.predict(df)
    if args.output:
        preds.to_csv(args.output, index=False)
        print(
            f"wrote {len(preds)} predictions to {args.output} "
            f"({int(preds['churn_predicted'].sum())} flagged at threshold "
            f"{churn_model.threshold:.4f})"
        )
    else:
        print(preds.to_csv(index=False), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Dispatch to run (default), ``join`` or ``predict``; user mistakes exit 2 with a message."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    command = {"join": _join, "predict": _predict}.get(argv[0] if argv else "")
    try:
        return command(argv[1:]) if command else _run(argv)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
