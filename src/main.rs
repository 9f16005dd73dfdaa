//! The `raftstorm` command: see `raftstorm --help`.

fn main() {
    std::process::exit(raftstorm::main_with_args(std::env::args_os()));
}
