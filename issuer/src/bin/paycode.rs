//! `paycode`: see `paycode --help`. All logic lives in `paycode_issuer::cli`.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let out = match args {
        Ok(args) => paycode_issuer::cli::run(&args, now),
        Err(_) => paycode_issuer::cli::Output {
            status: paycode_issuer::cli::status::ERROR,
            stdout: "{\"error\":\"bad_value\",\"message\":\"arguments must be valid UTF-8\"}\n"
                .to_owned(),
        },
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe is the reader's choice; the exit status still tells.
    let _ = stdout.write_all(out.stdout.as_bytes());
    let _ = stdout.flush();
    drop(stdout);
    std::process::exit(out.status);
}
