#!/usr/bin/python3
"""check_reports.py — every report test_analyze kept validates against the report schema
(shared/spec/report-v1.schema.json). Fails when the folder holds no report at all.

    check_reports.py REPORTS_DIR SCHEMA
SPDX-License-Identifier: GPL-3.0-or-later"""
import json
import pathlib
import sys

import jsonschema


def main():
    reports = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
    schema = json.loads(pathlib.Path(sys.argv[2]).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    if not reports:
        print(f"check_reports: no report in {sys.argv[1]}")
        return 1
    bad = 0
    for path in reports:
        errors = list(validator.iter_errors(json.loads(path.read_text())))
        for e in errors[:5]:
            print(f"{path.name}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        bad += bool(errors)
    print(f"check_reports: {len(reports) - bad} of {len(reports)} reports valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
