//! `contend` binary: hands the command line to the library and exits with its code.
fn main() -> std::process::ExitCode {
    contend::main_with_args(std::env::args().collect())
}
