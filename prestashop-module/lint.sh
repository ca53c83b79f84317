#!/bin/sh
# Run `php -l` on every PHP file of the module; exit 1 if any has a syntax error.
set -eu
cd "$(dirname "$0")"
if ! command -v php >/dev/null 2>&1; then
    echo "lint.sh: php is not on PATH (Debian/Ubuntu: apt-get install php-cli)" >&2
    exit 2
fi
failed=0
count=0
for file in $(find . -name '*.php' -not -path './dist/*' | sort); do
    count=$((count + 1))
    if ! output=$(php -d display_errors=1 -l "$file" 2>&1); then
        echo "$output" >&2
        failed=1
    fi
done
if [ "$count" -eq 0 ]; then
    echo "lint.sh: no PHP file found" >&2
    exit 1
fi
if [ "$failed" -ne 0 ]; then
    echo "lint.sh: syntax errors found" >&2
    exit 1
fi
echo "lint.sh: $count PHP files OK"
