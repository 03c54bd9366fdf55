//! The build.rs-generated client talks to the host kernel's nlctrl.

#[test]
fn lists_nlctrl_itself() {
    let names = build_rs_client::family_names().expect("nlctrl dump");
    assert!(names.iter().any(|n| n == "nlctrl"), "families: {names:?}");
}
