#!/usr/bin/env bash
# The default letter templates: each is one ODT source in crates/vigie-letters/modeles/, edited in
# LibreOffice; its DOCX version (for Word users, and for servers without LibreOffice) is produced
# from it by LibreOffice, never edited by hand:
#
#   scripts/courriers-docx.sh           rewrite every .docx from its .odt
#   scripts/courriers-docx.sh --check   convert into a temporary folder and compare the text
#                                       (tags included) with the committed .docx: exit 1 on drift
#
# The comparison is on the documents' text, paragraph by paragraph (LibreOffice writes a new
# timestamp and identifiers on each conversion, so the bytes always differ). The test suite
# checks the same pairing without LibreOffice (crates/vigie-letters/tests/defaults.rs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR="$ROOT/crates/vigie-letters/modeles"
command -v soffice >/dev/null 2>&1 || { echo "soffice introuvable : installez libreoffice-writer-nogui" >&2; exit 2; }
PROFILE=$(mktemp -d)
OUT=$(mktemp -d)
trap 'rm -rf "$PROFILE" "$OUT"' EXIT
soffice "-env:UserInstallation=file://$PROFILE" --headless --norestore \
  --convert-to docx:"MS Word 2007 XML" --outdir "$OUT" "$DIR"/*.odt >/dev/null
if [ "${1:-}" = "--check" ]; then
  status=0
  for new in "$OUT"/*.docx; do
    name=$(basename "$new")
    if ! cmp -s <(unzip -p "$new" word/document.xml | sed -e 's/<[^>]*>//g') \
                <(unzip -p "$DIR/$name" word/document.xml | sed -e 's/<[^>]*>//g'); then
      echo "différent de sa source ODT : $name (relancer scripts/courriers-docx.sh)" >&2
      status=1
    fi
  done
  [ "$status" -eq 0 ] && echo "les $(ls "$OUT" | wc -l) modèles DOCX correspondent à leur source ODT"
  exit "$status"
fi
cp "$OUT"/*.docx "$DIR"/
echo "$(ls "$OUT" | wc -l) modèles DOCX écrits dans $DIR"
