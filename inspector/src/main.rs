//! The `rehearsal` binary: a thin shell over the inspector library.

use std::process::ExitCode;

fn main() -> ExitCode {
    rehearsal_inspector::main_with_args(std::env::args_os())
}
