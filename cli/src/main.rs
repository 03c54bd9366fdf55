//! `nlspec`: check a spec, generate code from it, or talk to the kernel with it.

fn main() {
    std::process::exit(nlspec_cli::main());
}
