#!/usr/bin/env bash
# Checks that the C++ lines changed since a base revision follow .clang-format (clang-format 14).
# Only changed lines are checked (git clang-format), so editing a file does not ask for
# reformatting the code around the edit; the tree as a whole is not reformatted.
# Usage: scripts/check_format.sh [BASE]
#   BASE  a revision; default: on a branch other than main, where it forked from main
#         (`git merge-base HEAD main`, or origin/main); on main or a detached HEAD (CI's fresh clone), HEAD~1.
#         Without that commit (a one-commit or shallow history) there is nothing to check.
# Exit: 0 clean or nothing to check; 1 lines need formatting (files and the fix printed);
#       2 usage or setup error. To fix: git clang-format --binary clang-format-14 --extensions cpp,cc,h,hpp BASE
#       (without --extensions it also reformats JSON fixtures)
set -euo pipefail
cd "$(dirname "$0")/.."

# Generated sources (tools/gen_*.py) are not formatted.
excluded=(src/oqvl/data/text/unicode_tables.cpp src/oqvl/data/text/unicode_lower_table.cpp)

case "${1:-}" in
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
esac
[ $# -le 1 ] || { echo "check_format: at most one BASE revision" >&2; exit 2; }

if [ $# -eq 1 ]; then
  base=$1
  git rev-parse -q --verify "$base^{commit}" > /dev/null ||
    { echo "check_format: '$base' is not a revision" >&2; exit 2; }
else
  branch=$(git symbolic-ref --short -q HEAD || true)
  main=""
  for m in main origin/main; do
    git rev-parse -q --verify "$m^{commit}" > /dev/null && { main=$m; break; }
  done
  if [ -n "$branch" ] && [ "$branch" != main ] && [ -n "$main" ]; then
    base=$(git merge-base HEAD "$main")
  elif git rev-parse -q --verify HEAD~1^{commit} > /dev/null; then
    base=HEAD~1
  else
    echo "check_format: HEAD has no parent commit here (short history): nothing to compare, skipped"
    exit 0
  fi
fi

cf=$(command -v clang-format-14 || command -v clang-format || true)
gcf=$(command -v git-clang-format-14 || command -v git-clang-format || true)
if [ -z "$cf" ] || [ -z "$gcf" ]; then
  echo "check_format: clang-format (14) is not installed: run scripts/setup.sh" >&2
  exit 2
fi

# C++ files added, copied, modified or renamed since BASE (committed or not), minus generated ones.
files=()
while IFS= read -r f; do
  for x in "${excluded[@]}"; do [ "$f" = "$x" ] && continue 2; done
  files+=("$f")
done < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cpp' '*.cc' '*.h' '*.hpp')
short=$(git rev-parse --short "$base")
if [ ${#files[@]} -eq 0 ]; then
  echo "check_format: no C++ changes since $short"
  exit 0
fi

# git clang-format 14 exits 0 whether or not it prints a diff: the diff is the verdict.
out=$("$gcf" --binary "$cf" --diff "$base" -- "${files[@]}" 2>&1) ||
  { printf '%s\n' "$out" >&2; echo "check_format: git clang-format failed" >&2; exit 2; }
bad=$(printf '%s\n' "$out" | sed -n 's|^diff --git a/\(.*\) b/.*|\1|p')
if [ -z "$bad" ]; then
  echo "check_format: ${#files[@]} changed C++ file(s) since $short follow .clang-format"
  exit 0
fi
printf '%s\n' "$out"
echo
echo "check_format: changed lines need formatting in:"
printf '  %s\n' $bad
echo "fix with: git clang-format --binary $(basename "$cf") --extensions cpp,cc,h,hpp $short"
exit 1
