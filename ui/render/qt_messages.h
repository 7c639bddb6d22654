#pragma once
// Qt's messages as intermap's programs show them on stderr.

namespace intermap::render {

// Drops one Qt warning and passes every other message to Qt's handler: "XDG_RUNTIME_DIR not set",
// which Qt prints where that variable is unset (root shells, SSH sessions, cluster jobs, xvfb-run)
// before falling back to /tmp/runtime-<user>. intermap keeps nothing there, so the line is noise a
// user cannot act on. Call once, before the QGuiApplication is made.
void dropRuntimeFolderWarning();

} // namespace intermap::render
