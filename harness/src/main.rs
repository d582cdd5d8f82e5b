//! `contend` binary: hands the command line to the library and exits with its code.
fn main() -> std::process::ExitCode {
    contend::platform::quiet_broken_pipe();
    contend::main_with_args(std::env::args().collect())
}
