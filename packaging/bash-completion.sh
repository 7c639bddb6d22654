#!/usr/bin/env bash
# Writes the bash completion of intermap-cli to stdout, generated from the program's own --help
# (the command list and each command's options), so it never drifts from the program. Run at
# build time by cmake/Packaging.cmake: bash-completion.sh path/to/intermap-cli > intermap-cli.bash
set -euo pipefail
cli=${1:?usage: bash-completion.sh INTERMAP_CLI}

commands=$("$(dirname "${BASH_SOURCE[0]}")/cli-commands.sh" "$cli")

# A command's options: every --long name on its option lines (QCommandLineParser's layout:
# "  -h, --help", "  --method, --methods <LIST>"), and which of them take a file or folder.
options_of() { "$cli" "$1" --help | grep -E '^  +-' | grep -oE -- '--[a-z0-9][a-z0-9-]*' | grep -vx -- '--help-all' | sort -u | tr '\n' ' '; }
path_options_of() {
    "$cli" "$1" --help | grep -E '^  +-' | { grep -E '<[A-Z_./]*(FILE|DIR|PATH|FOLDER|OUT|CSV|JSON|NPY|IMAGE)[A-Z_./]*>' || true; } |
        grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u | tr '\n' ' '
}
# Options whose value is one of a few words ("--keep-maps <full|float16|none>"): one
# '"COMMAND --option") choices="..." ;;' line per option, for a case on "$command $prev".
choice_cases_of() {
    "$cli" "$1" --help | grep -E '^  +-' | { grep -E '<[a-z0-9+.-]+(\|[a-z0-9+.-]+)+>' || true; } |
        sed -E 's/.*(--[a-z0-9][a-z0-9-]*) <([^>]*)>.*/\1 \2/' |
        while read -r option words; do printf '        "%s %s") choices="%s" ;;\n' "$1" "$option" "${words//|/ }"; done
}

cat <<HEADER
# bash completion for intermap-cli $("$cli" --version | awk '{ print $NF }'), generated from its --help by
# packaging/bash-completion.sh: commands, each command's options, file names elsewhere.
_intermap_cli() {
    local cur prev command
    cur=\${COMP_WORDS[COMP_CWORD]}
    prev=\${COMP_WORDS[COMP_CWORD-1]}
    if [ "\$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=(\$(compgen -W "$(echo $commands) --help --version" -- "\$cur"))
        return
    fi
    command=\${COMP_WORDS[1]}
    local options="" path_options=""
    case "\$command" in
HEADER
for command in $commands; do
    printf '        %s) options="%s"; path_options="%s" ;;\n' "$command" "$(options_of "$command")" "$(path_options_of "$command")"
done
cat <<'MIDDLE'
    esac
    local choices=""
    case "$command $prev" in
MIDDLE
for command in $commands; do
    choice_cases_of "$command"
done
cat <<'FOOTER'
    esac
    if [ -n "$choices" ]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
        return
    fi
    case " $path_options " in
        *" $prev "*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _intermap_cli intermap-cli
FOOTER
