#!/usr/bin/env bash
# Writes a help2man include file to stdout: a COMMANDS section with every intermap-cli command's
# own --help, so `man intermap-cli` documents each command's options and never drifts from the
# program. Run at build time by cmake/Packaging.cmake: man-commands.sh path/to/intermap-cli
set -euo pipefail
cli=${1:?usage: man-commands.sh INTERMAP_CLI}
commands=$("$(dirname "${BASH_SOURCE[0]}")/cli-commands.sh" "$cli")

# troff: a backslash is written \e, and a line starting with . or ' would be read as a request.
escape() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

echo '[COMMANDS]'
for command in $commands; do
    echo ".SS $command"
    echo '.nf'
    # QCommandLineParser's generic lines say nothing about intermap.
    "$cli" "$command" --help | grep -v -e '--help-all' -e 'Displays help on commandline options' | escape
    echo '.fi'
done
cat <<'TAIL'
[FILES]
.TP
.I /usr/libexec/intermap/intermap-dicom-decoder
decodes one DICOM file in a process of its own (started by intermap; not meant to be run by hand).
[SEE ALSO]
.BR intermap (1)
TAIL
