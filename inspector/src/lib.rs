//! The `rehearsal` command line: run scenarios under a seed, replay traces.
//!
//! `main.rs` only calls [`main_with_args`]; everything else lives here so it
//! can be tested without a process.

pub mod cli;
mod commands;
pub mod export;
pub mod shrink;
pub mod sweep;
pub mod tui;

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

use clap::Parser;

/// Exit code: every invariant held, or the replay matched.
pub const EXIT_OK: u8 = 0;
/// Exit code: an invariant failed, or the replay diverged.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad input (argument, file, trace).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Exit code: interrupted (Ctrl-C); what was done so far was written.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The Ctrl-C flag: set by the first Ctrl-C (the handler is installed on
/// first use). Runs stop between steps, sweeps between seeds, and what was
/// done so far is written; a second Ctrl-C exits at once.
pub fn interrupted() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // If a handler cannot be installed, Ctrl-C keeps its default meaning.
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
        flag
    })
    .clone()
}

/// A command's failure: what to print and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub code: u8,
    /// The message, one line.
    pub message: String,
}

impl CliError {
    /// A bad-input error (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError { code: EXIT_BAD_INPUT, message: message.into() }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `args` (the program name first) and runs the command; returns the
/// exit code. Output goes to stdout, errors to stderr.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line: clap's first paragraph, what is wrong and with what
            // (the missing arguments it lists below); its usage and tips
            // are one `--help` away.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = if first.is_empty() { "error: bad arguments".to_string() } else { first.join(" ") };
            eprintln!("{first} (see --help)");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(EXIT_OK);
        }
    };
    // Catch Ctrl-C from the start: runs and sweeps stop cleanly on it.
    let _ = interrupted();
    let mut out = std::io::stdout().lock();
    match commands::dispatch(cli, &mut out) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("error: {e}");
            }
            ExitCode::from(e.code)
        }
    }
}
