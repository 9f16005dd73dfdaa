//! The `raftstorm` command: see `raftstorm --help`.

/// Trials allocate many small, short-lived strings; mimalloc serves them
/// much faster than the system allocator (see `raftstorm bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(raftstorm::main_with_args(std::env::args_os()));
}
