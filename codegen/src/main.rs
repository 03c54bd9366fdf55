//! `nlspec`: check a spec, generate code from it, or talk to the kernel with it.
mod cli;

fn main() {
    std::process::exit(cli::main());
}
