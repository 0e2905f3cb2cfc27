#!/bin/sh
# Regenerates the XForm fixtures of the conformance test with pyxform 4.5.0, the version that made
# ../shared/forms/public/xform/, so the test itself needs no Python. A fixture is named after its
# XLSForm (`NAME.EXT.xml`) and takes precedence over shared/forms/public/xform/NAME.xml:
#   safe_migration_kap.xlsx  Fieldline's own form; shared/forms/public/xform may not carry it.
#   extra_columns.xls        shared/forms/public/xform/extra_columns.xml is pyxform's output for
#                            extra_columns.xlsx, a different form with the same base name.
# Usage: tests/conformance/forms/regenerate.sh [SHARED_FORMS_DIR]   (default: <workspace>/../shared/forms)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${1:-$here/../../../../shared/forms}
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet pyxform==4.5.0
for form in fieldline/safe_migration_kap.xlsx public/pyxform/extra_columns.xls; do
	"$venv/bin/xls2xform" --skip_validate "$shared/$form" "$here/$(basename "$form").xml"
done
