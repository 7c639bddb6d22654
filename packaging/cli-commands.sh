#!/usr/bin/env bash
# Prints intermap-cli's commands, one per line, as its top-level --help lists them (the
# two-space-indented words under "Commands:"): the one reading of that list, for the man page's
# COMMANDS section, the bash completion and the completion's test.
# usage: cli-commands.sh INTERMAP_CLI
set -euo pipefail
cli=${1:?usage: cli-commands.sh INTERMAP_CLI}
commands=$("$cli" --help | awk '/^Commands:/ { inside = 1; next } inside && /^$/ { exit } inside && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || { echo "cli-commands.sh: no commands found in '$cli --help'" >&2; exit 1; }
echo "$commands"
