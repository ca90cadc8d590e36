//! Standard output for commands, safe when the reader goes away.

use std::io::Write;

/// Writes one line to standard output. A closed pipe (the reader, such as `head`, has what it
/// wanted) ends the command quietly with success; nothing is half-written in the database,
/// because commands print after they commit.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}
