#!/usr/bin/env bash
# The generated bash completion of intermap-cli, driven as bash drives it (COMP_WORDS and
# COMP_CWORD set, the function called, COMPREPLY read): commands, a command's options, an
# option's word choices, file names after an option that takes a file.
# usage: test_bash_completion.sh GENERATED_COMPLETION INTERMAP_CLI
set -uo pipefail
completion=${1:?}; cli=${2:?}
# shellcheck disable=SC1090
source "$completion" || { echo "FAIL: $completion does not load"; exit 1; }
compopt() { :; } # only valid inside a real completion; the replies are what is tested
failures=0
complete_words() { # the words typed so far (the last is the one being completed) -> COMPREPLY
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _intermap_cli
}
expect() { # expect "DESCRIPTION" "EXPECTED REPLY WORDS (sorted)" WORDS...
    local description=$1 expected=$2; shift 2
    complete_words "$@"
    local got; got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$expected" ]; then echo "PASS: $description"; else
        echo "FAIL: $description: expected '$expected', got '$got'"; failures=$((failures + 1)); fi
}
expect "a command from its first letters" "evaluate explain" intermap-cli e
expect "an option of explain" "--check-precision --checkpoint" intermap-cli explain --che
expect "an option of another command" "--keep-maps" intermap-cli evaluate --keep
expect "an option's word choices" "float16 full" intermap-cli evaluate --keep-maps f
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
touch "$workdir/vit-b16.pth" "$workdir/notes.txt"
expect "a file after --checkpoint" "$workdir/vit-b16.pth" intermap-cli explain --checkpoint "$workdir/vit"
expect "an image argument is a file name" "$workdir/notes.txt" intermap-cli explain "$workdir/no"
# Every command the program lists is completed (the list is read from its --help, not from here).
commands=$("$(dirname "${BASH_SOURCE[0]}")/../../packaging/cli-commands.sh" "$cli")
[ "$(echo "$commands" | wc -w)" -ge 5 ] || { echo "FAIL: too few commands in '$cli --help'"; failures=$((failures + 1)); }
for command in $commands; do
    expect "'$command' completes" "$command" intermap-cli "$command"
    complete_words intermap-cli "$command" --
    case " ${COMPREPLY[*]} " in *" --help "*) ;; *) echo "FAIL: '$command --' does not offer --help"; failures=$((failures + 1)) ;; esac
done
[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
