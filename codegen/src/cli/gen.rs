//! `nlspec gen`: write the generated crate(s) for one spec.

use super::{load, out, Fail};

pub fn gen(spec: &str, dir: &str, kernel: bool) -> Result<(), Fail> {
    let fam = load(spec)?;
    let _ = (&fam, dir);
    if kernel {
        return Err(Fail::Error(format!(
            "nlspec: gen --kernel: the kernel-module emitter is not part of this build yet (spec {spec} is valid)"
        )));
    }
    out("")?;
    Err(Fail::Error(format!("nlspec: gen: the client emitter is not part of this build yet (spec {spec} is valid)")))
}
