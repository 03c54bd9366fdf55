fn main() {
    eprintln!("xtask: no task yet");
    std::process::exit(2);
}
