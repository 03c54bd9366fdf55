//! Generate the nlctrl client from the spec at build time (prost-build style): edit
//! specs/nlctrl.yaml and `cargo build` regenerates it.

fn main() {
    if let Err(e) = nlspec_codegen::Builder::new().spec("../../specs/nlctrl.yaml").compile_client() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
